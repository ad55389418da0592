"""The command line's words for the library's errors.

Library errors say what to do in library terms; where the fix is one of agepy's flags or
commands, the error carries a :class:`~agepy.errors.Reason` and this table words the hint
the CLI prints instead, with the flag names (as age's command line adds hints to the
library's plain errors). ``{name}``-style fields come from the error's ``details``;
``{hint}`` is the library's hint.
"""

from __future__ import annotations

from collections.abc import Mapping

import click

from agepy.errors import AgepyError, Reason

__all__ = ["CLI_HINTS", "cli_hint", "hint_for", "print_error"]

CLI_HINTS: dict[Reason, str] = {
    # age
    Reason.NO_IDENTITY: "pass the private key to decrypt with: -i PATH",
    Reason.IDENTITY_UNREADABLE: "check the path and its permissions (-i PATH)",
    Reason.PUBLIC_KEY_AS_IDENTITY: (
        "give the private key: the file without .pub (e.g. -i ~/.ssh/id_ed25519)"
    ),
    Reason.IDENTITY_KEY_TYPE: "check -i",
    Reason.WRONG_PASSPHRASE: "try again, or check -i",
    Reason.NO_IDENTITY_MATCH: (
        "decrypt with a key the file is encrypted to (-i PATH), or rekey it with yours"
    ),
    Reason.NO_RECIPIENTS: "give at least one public key (-r KEY or -R FILE)",
    # nix
    Reason.NO_RULES_FILE: (
        "run from the folder holding secrets.nix, or pass --rules PATH (or set RULES=PATH)"
    ),
    Reason.RULES_FILE_MISSING: "check the path (--rules PATH or $RULES)",
    Reason.NEEDS_NIX: "install Nix (Debian: apt install nix-bin) or use --evaluator nix",
    Reason.NIX_NOT_INSTALLED: (
        "install Nix (Debian: apt install nix-bin) or use --evaluator builtin"
    ),
    Reason.NIX_TIMEOUT: "the file may loop forever; try --evaluator builtin to find where",
    Reason.BUILTIN_EVALUATOR_RECURSION: (
        "look for a function that calls itself without end; else use --evaluator nix"
    ),
    Reason.BUILTIN_EVALUATOR_BUG: "use --evaluator nix, and please report this file",
    # rules
    Reason.UNKNOWN_KEY_NAME: (
        "give a public key or one of its names ({known}); "
        "add a host first with agepy add-host NAME ADDRESS"
    ),
    Reason.KEY_IN_NO_ENTRY: "agepy list shows who each secret is for",
    Reason.KEY_NOT_LISTED: "see the entry's keys with `agepy list`",
    # hosts
    Reason.HOST_TIMEOUT: "check the address, port and firewall; a slow host needs a longer -T",
    Reason.NO_USABLE_HOST_KEY: "{hint}, or scan other types with -t",
    Reason.BAD_SCAN_SETTINGS: "e.g. -T 5",
    Reason.UNKNOWN_HOST: "hosts: {known}; add one with `agepy add-host {name} ADDRESS`",
    Reason.HOST_EXISTS: "to take a reinstalled host's new key: agepy rescan {name}",
    Reason.HOST_WITHOUT_KEY: "agepy add-host {name} ADDRESS",
    Reason.HOST_NOT_SCANNED: "scan it: agepy rescan {name}",
    Reason.HOST_REBOUND: (
        "if the host was reinstalled: agepy add-host {name} {address} --key-file OLD.pub, "
        "then agepy rescan {name}"
    ),
    Reason.BAD_HOST_KEY_TYPE: "use --type ed25519 or --type rsa",
    Reason.NO_AGE_HOST_KEY: (
        "age needs an ssh-ed25519 or ssh-rsa host key; try --type rsa or another source"
    ),
    Reason.NOT_IN_KNOWN_HOSTS: "scan the host instead (leave out --known-hosts)",
    Reason.CONFIRMATION_NEEDED: "check the fingerprint, then pass --yes or --fingerprint SHA256:…",
    Reason.HOST_KEY_MISMATCH: (
        "someone may be intercepting the connection, or the host was reinstalled: "
        "check the new fingerprint on the host and pass --fingerprint SHA256:…"
    ),
    # store
    Reason.SECRET_FILE_MISSING: "create it with: agepy edit {name}",
    Reason.ENTRY_EXISTS: (
        "--to/--host only create new entries: change its keys in {rules}, then: agepy rekey {name}"
    ),
    Reason.NO_RECIPIENTS_FOR_ENTRY: (
        'add "{entry}".publicKeys = [ … ]; to {rules}, or give '
        "its recipients: --to KEY_OR_NAME / --host NAME"
    ),
    Reason.NOTHING_ON_STDIN: (
        "pipe the new content in, or run in a terminal (or give --editor) to use your editor"
    ),
    Reason.NO_EDITOR: (
        "set $EDITOR (e.g. export EDITOR=nano), or pipe the new content in: agepy edit NAME < FILE"
    ),
    Reason.CANNOT_DECRYPT_ALL: "decrypt with a key these files are encrypted to (-i PATH)",
    Reason.CHANGED_WHILE_REKEYED: "run agepy rekey again to rekey its new content",
    Reason.REKEY_WORKER_DIED: "run agepy rekey again: it picks up what is still stale",
    Reason.REKEY_WORKERS_FAILED: "free some memory or processes and run agepy rekey again",
    # generated secrets
    Reason.GENERATED_EXISTS: (
        "rotate it to replace its value (agepy generate NAME --kind KIND --rotate)"
    ),
    Reason.NOT_GENERATED: "create it once with: agepy generate NAME --kind KIND",
    Reason.GENERATED_WITHOUT_ENTRY: (
        "add its entry (agepy generate NAME --kind KIND --host H), "
        "or remove its table from agepy.toml"
    ),
    Reason.NOTHING_TO_ROTATE: "e.g. agepy generate --rotate wg.age",
    Reason.NO_PUBLIC_HALF: "only ssh-ed25519 and wireguard secrets made by agepy generate have one",
    # Matrix
    Reason.BAD_SERVER_NAME: (
        "the domain of your user ids, without https:// — e.g. --server-name example.com"
    ),
    Reason.SERVER_NAME_NEEDED: "pass --server-name example.com (the domain of your user ids)",
    Reason.BAD_PORT: "use 1-65535, e.g. --port 6167",
    Reason.BAD_ADDRESS: "e.g. --address 127.0.0.1 behind a reverse proxy",
    Reason.BAD_TOKEN: "leave out --token to generate one (agepy generate token)",
    Reason.TOKEN_TOO_SHORT: "use --bytes {minimum} or more",
    Reason.TOKEN_TOO_LONG: "use --bytes 16 to 1024",
    Reason.BAD_BRIDGE_URL: (
        "the address the homeserver reaches the bridge at, e.g. --url http://127.0.0.1:9898"
    ),
    Reason.BAD_BRIDGE_PORT: "e.g. --url http://127.0.0.1:9898",
    Reason.BAD_APPSERVICE_ID: "use letters, digits, '.', '_', '~' or '-', e.g. --id heisenbridge",
    Reason.BAD_SENDER: "use lowercase letters, digits and ._=/-, e.g. --sender heisenbridge",
    Reason.BAD_PREFIX: "lowercase letters, digits, =, - ending in '_' or '/', e.g. --prefix irc_",
    Reason.PREFIX_OVERLAPS_SENDER: "pick a different prefix, e.g. --prefix irc_",
    Reason.BAD_OWNER: "e.g. --owner @you:example.com",
    Reason.BAD_HOMESERVER: "e.g. --homeserver http://127.0.0.1:6167",
    Reason.OUTSIDE_FLAKE_DIR: "pass --flake-dir with the folder the module lives in",
    Reason.NO_TOKEN_LINE: "re-create it: agepy encrypt conduit-registration-token --rotate",
    Reason.BAD_BRIDGE_CONFIG: (
        "fix it with agepy edit, or move it away and run agepy encrypt heisenbridge-config again"
    ),
    Reason.MATRIX_NO_ENTRY: "create it first: agepy encrypt {what} --host NAME",
    Reason.MATRIX_NO_RECIPIENTS: (
        "say who may read it: agepy encrypt {what} --host NAME [--to KEY_OR_NAME]"
    ),
    Reason.MATRIX_SECRET_EXISTS: (
        "agepy encrypt {what} --rotate makes new tokens (keeping the rest), or agepy edit {name}"
    ),
    Reason.MATRIX_NOTHING_TO_ROTATE: "create it: agepy encrypt {what} (without --rotate)",
}


def cli_hint(reason: Reason | None, details: Mapping[str, str], hint: str | None) -> str | None:
    """The hint the CLI prints: its own wording for ``reason``, else the library's."""
    template = CLI_HINTS.get(reason) if reason is not None else None
    if template is None:
        return hint
    try:
        return template.format_map({**details, "hint": hint or ""})
    except (KeyError, IndexError, ValueError):  # a raise site without the details
        return hint


def hint_for(error: AgepyError) -> str | None:
    """The hint the CLI prints for ``error``."""
    return cli_hint(error.reason, error.details, error.hint)


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text or "\r" in text else text


def print_error(message: str, hint: str | None) -> None:
    """``agepy: error: …`` and, when there is a hint, ``agepy: hint: …``: one line each."""
    click.echo(f"agepy: error: {_one_line(message)}", err=True)
    if hint:
        click.echo(f"agepy: hint: {_one_line(hint)}", err=True)
