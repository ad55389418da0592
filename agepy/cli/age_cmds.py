"""`agepy encrypt`, `agepy decrypt`, `agepy inspect`: age files, as the `age` command does."""

from __future__ import annotations

import getpass
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from agepy._locate import locate_rules, rules_in_reach
from agepy.age import decrypt_to, encrypt_file, open_age, read_header
from agepy.age.identities import load_identities
from agepy.age.recipients import parse_recipient, parse_recipients_file, plugin_name_ok
from agepy.cli._common import (
    FILE_PATH,
    data,
    emit_json,
    err,
    evaluator_option,
    identity_option,
    json_option,
    prompt_passphrase,
    rules_option,
)
from agepy.cli._rules import located_rules
from agepy.cli._tag_names import LazyNames, default_key_files, tag_names
from agepy.cli.hints import hint_for, print_error
from agepy.errors import AgeFormatError, AgepyError, RecipientError, UsageError

if TYPE_CHECKING:
    from agepy.rules import Rules

__all__ = ["decrypt", "encrypt", "inspect"]


def _prompt_file_passphrase() -> str:
    return str(click.prompt("Enter passphrase", hide_input=True, err=True))


def _prompt_new_passphrase() -> str:
    """A passphrase for `encrypt -p`, asked twice on the terminal (stdin may be the
    plaintext)."""

    first = getpass.getpass("Enter passphrase: ")
    if not first:
        raise UsageError("empty passphrase", hint="type a passphrase, or encrypt to keys")
    if getpass.getpass("Confirm passphrase: ") != first:
        raise UsageError("the passphrases do not match", hint="try again")
    return first


def _binary_stdin() -> BinaryIO:
    return sys.stdin.buffer


def _binary_stdout() -> BinaryIO:
    return sys.stdout.buffer


def _resolve_input(
    arg: str, rules: Path | None, evaluator: str
) -> tuple[Path | BinaryIO, Rules | None]:
    """What `agepy decrypt ARG` reads: stdin for "-", the file ARG, or a rules entry's file
    (then also the rules it loaded, which name the keys in errors).

    A name that is no file here is looked up in secrets.nix (like `agenix -d NAME`), so
    it works from any folder when --rules or $RULES points at the rules (or it is found
    in ./secrets/ or a parent folder of the repository).
    """
    if arg == "-":
        return _binary_stdin(), None
    path = Path(arg)
    if path.exists() or not _have_rules(rules):
        if not path.is_file():
            what = "a directory, not an age file" if path.is_dir() else "no such file"
            raise AgepyError(
                f"{what}: {path}",
                hint="give an .age file, a secrets.nix entry name (with --rules), or - for stdin",
            )
        return path, None

    loaded = _load_rules(located_rules(rules), evaluator)
    return loaded.get(arg).file, loaded


def _load_rules(path: Path, evaluator: str) -> Rules:
    # Imported here, not at the top: `encrypt` and `decrypt FILE` never evaluate
    # secrets.nix, and the rules layer (Nix evaluator, tree-sitter) is a fifth of their
    # start-up, which counts in every scripted decryption.
    from agepy.rules import load_rules

    return load_rules(path, evaluator=evaluator)


def _have_rules(rules: Path | None) -> bool:

    return rules_in_reach(rules)


def _read_recipients(
    keys: tuple[str, ...], files: tuple[Path, ...], *, required: bool = True
) -> list[Any]:

    recipients: list[Any] = [parse_recipient(k) for k in keys]
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RecipientError(
                f"cannot read recipients file {path}: {getattr(exc, 'strerror', None) or exc}",
                hint="-R takes a file of public keys, one per line",
            ) from None
        try:
            found = parse_recipients_file(text)
        except RecipientError as exc:
            raise RecipientError(
                f"{path}: {exc.message}", hint=exc.hint, reason=exc.reason, details=exc.details
            ) from None
        if not found:
            # As age does: a recipients file without keys is a mistake, not "no one".
            raise RecipientError(
                f"no public keys in recipients file {path}",
                hint="-R takes a file of public keys, one per line",
            )
        recipients.extend(found)
    if not recipients and required:
        raise UsageError(
            "no recipients given", hint="give -r KEY or -R FILE (e.g. -R ~/.ssh/id_ed25519.pub)"
        )
    return recipients


_recipients_file_option = click.option(
    "-R",
    "--recipients-file",
    "recipient_files",
    multiple=True,
    type=FILE_PATH,
    metavar="FILE",
    help="File of public keys, one per line (e.g. ~/.ssh/id_ed25519.pub); repeatable.",
)


@click.command("encrypt")
@click.option(
    "-e", "--encrypt", "encrypt_flag", is_flag=True, help="Encrypt (the default; as age)."
)
@click.option(
    "-r",
    "--recipient",
    "recipients",
    multiple=True,
    metavar="KEY",
    help="Public key to encrypt to: ssh-ed25519, ssh-rsa or age1…; repeatable.",
)
@_recipients_file_option
@click.option(
    "-i",
    "--identity",
    "identities",
    multiple=True,
    type=FILE_PATH,
    metavar="PATH",
    help="Encrypt to the public key of this identity file (as age -e -i); repeatable.",
)
@click.option(
    "-p", "--passphrase", is_flag=True, help="Encrypt with a passphrase (asked on the terminal)."
)
@click.option("-a", "--armor", is_flag=True, help="Write ASCII-armored (PEM) output.")
@click.option(
    "-o",
    "--output",
    type=FILE_PATH,
    metavar="OUT",
    help="Write here (atomically) instead of stdout.",
)
@click.argument("input_", metavar="[IN|-]", required=False, default="-")
def encrypt(
    encrypt_flag: bool,
    recipients: tuple[str, ...],
    recipient_files: tuple[Path, ...],
    identities: tuple[Path, ...],
    passphrase: bool,
    armor: bool,
    output: Path | None,
    input_: str,
) -> None:
    """Encrypt a file (or stdin) to public keys, identities or a passphrase, like `age -e`.

    Keys: ssh-ed25519, ssh-rsa, age1… (X25519), age1pq1… (post-quantum; not mixed with
    others) and age1NAME1… (the age-plugin-NAME plugin).

    \b
    Example:
      agepy encrypt -R ~/.ssh/id_ed25519.pub -o secret.age secret.txt
      echo hunter2 | agepy encrypt -a -r "ssh-ed25519 AAAA…" > secret.age
      agepy encrypt -p -o secret.age secret.txt
    """

    if passphrase and (recipients or recipient_files or identities):
        raise UsageError(
            "-p/--passphrase cannot be combined with -r, -R or -i",
            hint="encrypt either with a passphrase or to keys",
        )
    keys = _read_recipients(recipients, recipient_files, required=not (identities or passphrase))
    own = load_identities(list(identities), prompt=prompt_passphrase) if identities else []
    if output is None and not armor and sys.stdout.isatty():
        raise UsageError(
            "refusing to write binary age data to the terminal",
            hint="use -a/--armor, -o FILE, or redirect stdout",
        )
    secret = _prompt_new_passphrase() if passphrase else None
    src: Path | BinaryIO = _binary_stdin() if input_ == "-" else Path(input_)
    dst = output if output is not None else _binary_stdout()
    encrypt_file(src, dst, keys, armor=armor, identities=own, passphrase=secret)


@click.command("decrypt")
@identity_option
@rules_option
@evaluator_option
@click.option(
    "-o",
    "--output",
    type=FILE_PATH,
    metavar="OUT",
    help="Write the plaintext here (atomically; a new file gets 0666 less the umask, "
    "as with age) instead of stdout.",
)
@click.argument("input_", metavar="[FILE|-]", required=False, default="-")
def decrypt(
    identities: tuple[Path, ...],
    rules: Path | None,
    evaluator: str,
    output: Path | None,
    input_: str,
) -> None:
    """Decrypt an age file (binary or armored) with SSH or age private keys, like `age -d`.

    FILE may also be a secrets.nix entry name, as with `agenix -d NAME`. Passphrase-
    protected SSH keys are unlocked only if the file is encrypted to them.

    \b
    Example:
      agepy decrypt -i ~/.ssh/id_ed25519 secret.age
      agepy decrypt --rules secrets/secrets.nix heisenbridge-config.age
      agepy decrypt -o secret.txt secret.age
    """

    src, loaded = _resolve_input(input_, rules, evaluator)
    if isinstance(src, Path):
        header = read_header(src)  # a malformed file fails before any prompt
        need_keys = header.count("scrypt") == 0
    else:
        need_keys = True
    keys = load_identities(list(identities), prompt=prompt_passphrase) if need_keys else []
    decrypt_to(
        src,
        keys,
        output if output is not None else _binary_stdout(),
        passphrase=_prompt_file_passphrase,
        key_names=LazyNames(
            lambda: tag_names(default_key_files(), named=_rules_names(rules, evaluator, loaded))
        ),
    )


def _rules_names(
    rules: Path | None, evaluator: str, loaded: Rules | None = None
) -> list[tuple[Any, str]]:
    """(recipient, name) pairs from the rules (``loaded``, else the rules file if there
    is one and it loads)."""
    if loaded is None:
        if not _have_rules(rules):
            return []

        try:
            loaded = _load_rules(locate_rules(rules), evaluator)
        except AgepyError as exc:
            if rules is not None:
                raise
            err(f"agepy: warning: ignoring the rules file: {exc.message}")
            return []
    pairs = []
    for secret in loaded.secrets.values():
        for recipient in secret.recipients:
            name = loaded.name_of(recipient.text)
            if name != recipient.fingerprint:
                pairs.append((recipient, name))
    return pairs


def _describe(path: Path, names: dict[str, str]) -> dict[str, Any]:

    header = open_age(_binary_stdin()).header if str(path) == "-" else read_header(path)
    stanzas = [
        {
            "type": s.type,
            "kind": s.kind,
            "tag": s.tag,
            "key": names.get(s.tag) if s.tag else None,
        }
        for s in header.stanzas
    ]
    counts: dict[str, int] = {}
    for stanza in header.stanzas:
        counts[stanza.type] = counts.get(stanza.type, 0) + 1
    return {
        "file": str(path),
        "format": "age-encryption.org/v1",
        "armored": header.armored,
        "stanzas": stanzas,
        "counts": counts,
    }


def _print_description(info: dict[str, Any]) -> None:
    count = len(info["stanzas"])
    encoding = "armored" if info["armored"] else "binary"
    data(f"{info['file']}: age v1, {encoding}, {count} stanza{'s' if count != 1 else ''}")
    for stanza in info["stanzas"]:
        if stanza["tag"] is not None:
            who = stanza["key"] or "unknown key"
            data(f"  {stanza['type']:<12} {stanza['tag']}  {who}")
        else:
            note = _KIND_NOTES[stanza["kind"]]
            if stanza["kind"] == "plugin/other" and (program := _plugin_for(stanza["type"])):
                note = f"plugin stanza, opened by {program} (on PATH)"
            data(f"  {stanza['type']:<12} ({note})")


def _plugin_for(stanza_type: str) -> str | None:
    """The installed plugin that likely reads this stanza type (a type from an untrusted
    header: only a valid plugin name is looked up). age-plugin-yubikey writes piv-p256."""
    name = {"piv-p256": "yubikey"}.get(stanza_type, stanza_type)
    program = f"age-plugin-{name}"
    return program if plugin_name_ok(name) and shutil.which(program) else None


# What inspect says of each kind of stanza (agepy.age.header.stanza_kind).
_KIND_NOTES = {
    "X25519": "age recipients are not named in the file",
    "mlkem768x25519": "post-quantum age1pq1… recipient; not named in the file",
    "scrypt": "passphrase",
    "ssh-ed25519": "SSH key",
    "ssh-rsa": "SSH key",
    "grease": "grease: random filler, no recipient",
    "plugin/other": "plugin or other recipient",
}


def _about(path: Path, message: str) -> str:
    return message if str(path) in message else f"{path}: {message}"


@click.command("inspect")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@_recipients_file_option
@rules_option
@evaluator_option
@json_option
def inspect(
    files: tuple[Path, ...],
    recipient_files: tuple[Path, ...],
    rules: Path | None,
    evaluator: str,
    as_json: bool,
) -> None:
    """Show who an age file is for, without decrypting it (no FILE or -: stdin).

    Names SSH recipients from -R files, ~/.ssh/authorized_keys, ~/.ssh/*.pub and the
    rules (--rules, $RULES, ./secrets.nix or one found above). X25519 recipients leave no
    trace but a count.

    \b
    Example:
      agepy inspect secrets/*.age
      agepy inspect --json -R admins.pub secret.age
    """

    names = tag_names(
        default_key_files(), named=_rules_names(rules, evaluator), required=recipient_files
    )
    if not files and sys.stdin.isatty():
        raise UsageError(
            "no age file given", hint="give one or more .age files, or pipe one into stdin"
        )
    files = files or (Path("-"),)
    results: list[dict[str, Any]] = []
    failed = False
    for path in files:
        try:
            info = _describe(path, names)
        except AgeFormatError as exc:
            if len(files) == 1:
                raise
            failed = True
            info = {"file": str(path), "error": exc.message, "kind": exc.kind}
            print_error(_about(path, exc.message), hint_for(exc))
        except AgepyError as exc:
            if len(files) == 1:
                raise
            failed = True
            info = {"file": str(path), "error": exc.message}
            print_error(_about(path, exc.message), hint_for(exc))
        results.append(info)
        if not as_json and "error" not in info:
            _print_description(info)
    if as_json:
        emit_json({"files": results})
    if failed:
        sys.exit(1)  # the errors are printed above; click's Exit would end with status 0 here
