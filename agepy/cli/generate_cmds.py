"""Secrets of any kind: `agepy generate NAME --kind KIND`, `agepy generate [--rotate]
NAME…`, `agepy show NAME [--public]`, `agepy nixos-snippet NAME`. Parsing and printing
only; the generators are agepy.generators, the work agepy.store.generate.

The Matrix subcommands (`generate token|conduit-config`, `show heisenbridge-config`,
`nixos-snippet heisenbridge|conduit|all`) keep their names: agepy.cli routes here when
the word after the command is a secret's name.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from agepy.cli._common import (
    data,
    err,
    evaluator_option,
    identity_option,
    rules_option,
)
from agepy.cli._store import open_store
from agepy.errors import UsageError
from agepy.generators import KINDS
from agepy.store.generate import (
    GenerateResult,
    generate_missing,
    generate_secret,
    nixos_snippet_for,
    public_half,
    rotate_secrets,
)

__all__ = ["generate_command", "show_command", "snippet_command"]


def _option_value(text: str) -> str | int | bool:
    """``--option KEY=VALUE``: numbers and true/false as such, the rest as text."""
    if text in ("true", "false"):
        return text == "true"
    if text.isdigit():
        return int(text)
    return text


def _options(named: dict[str, Any], extra: tuple[str, ...]) -> dict[str, Any]:
    options = {key: value for key, value in named.items() if value is not None}
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(
                f"--option {item!r} is not KEY=VALUE", hint="e.g. --option url=http://[::1]:9898"
            )
        options[key] = _option_value(value)
    return options


def _report(result: GenerateResult) -> None:
    if result.action == "unchanged":
        err(f"{result.name}: up to date, not rewritten")
        return
    verb = "wrote" if result.action == "created" else "rotated"
    readers = ", ".join(result.recipients)
    err(f"agepy: {verb} {result.name} ({result.kind}), readable by {readers}")
    if result.created_entry:
        err(f"agepy: added the entry {result.name!r} to secrets.nix")
    if result.shown is not None:
        if result.kind == "password-hash":
            err(f"agepy: the password of {result.name}, shown once and stored nowhere:")
        else:
            err(f"agepy: the token in {result.name} (agepy decrypt shows it again):")
        data(result.shown)
    if result.public is not None:
        if result.public_changed:
            err(f"agepy: the public half of {result.name} changed; give its users the new one:")
        else:
            err(f"agepy: the public half of {result.name} (also in agepy.toml):")
        data(result.public)


@click.command("generate")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--kind", type=click.Choice(list(KINDS)), help="What to make (a new secret).")
@click.option(
    "--format", "format_", type=click.Choice(["hex", "base64", "alnum"]), help="token, env."
)
@click.option("--length", type=int, help="Characters: token, env (32), password-hash (20).")
@click.option("--words", type=int, help="passphrase: words (6 ≈ 77.5 bits, 12.9 bits each).")
@click.option("--separator", help="passphrase: between the words (default ' ').")
@click.option("--var", metavar="NAME", help="env: the variable's name (required).")
@click.option("--comment", help="ssh-ed25519: the public key's comment (default: the name).")
@click.option("--rounds", type=int, help="password-hash: SHA-crypt rounds (5000).")
@click.option(
    "--option", "extra", multiple=True, metavar="KEY=VALUE", help="Any option of the kind."
)
@click.option(
    "--to", "to", multiple=True, metavar="KEY_OR_NAME", help="New entry: a recipient; repeatable."
)
@click.option(
    "--host", "hosts", multiple=True, metavar="NAME", help="New entry: a host; repeatable."
)
@click.option("--rotate", is_flag=True, help="Make new values for the NAMEs (recorded ones).")
@rules_option
@evaluator_option
def generate_command(
    names: tuple[str, ...],
    kind: str | None,
    to: tuple[str, ...],
    hosts: tuple[str, ...],
    rotate: bool,
    extra: tuple[str, ...],
    rules: Path | None,
    evaluator: str,
    format_: str | None,
    **named: Any,
) -> None:
    """Make a secret, encrypt it to its keys and record how (never its value) in
    agepy.toml; without --kind, make the recorded secrets whose files are missing.

    \b
    Kinds: token, passphrase, password-hash (the clear password is shown once),
    ssh-ed25519 and wireguard (the public half is printed and recorded), env
    (NAME=token for a systemd EnvironmentFile), heisenbridge-config,
    conduit-registration-token. A new NAME needs --host or --to (as agepy edit does).
    Running it again changes nothing; --rotate makes new values for exactly the NAMEs.
    No private key is needed. `agepy generate token` still prints a random token.

    \b
    Example:
      agepy generate alice-password.age --kind password-hash --to alice
      agepy generate wg-web.age --kind wireguard --host web
      agepy generate api.env.age --kind env --var API_TOKEN --host web
      agepy generate                      # the recorded secrets whose files are missing
      agepy generate --rotate wg-web.age  # a new key; prints the new public half
    """
    options = _options({"format": format_, **named}, extra)
    store = open_store(rules, evaluator)
    if kind is not None:
        if len(names) != 1:
            raise UsageError("--kind makes one secret: give exactly one NAME", hint="e.g. wg.age")
        results = [
            generate_secret(
                store, names[0], kind, options, recipients=to, hosts=hosts, rotate=rotate
            )
        ]
    else:
        if options or to or hosts:
            given = "--to/--host" if to or hosts else "generator options"
            raise UsageError(
                f"{given} need --kind (they describe a new secret)",
                hint="a recorded secret keeps its kind and options (see agepy.toml)",
            )
        if rotate:
            results = rotate_secrets(store, list(names))
        else:
            results = generate_missing(store, list(names) or None)
            if not results:
                err("agepy: no generated secrets recorded in agepy.toml yet")
    for result in results:
        _report(result)


@click.command("show")
@click.argument("name")
@click.option("--public", is_flag=True, help="The recorded public half; no identity needed.")
@rules_option
@identity_option
@evaluator_option
def show_command(
    name: str, public: bool, rules: Path | None, identities: tuple[Path, ...], evaluator: str
) -> None:
    """Print a secret's recorded public half (--public: an SSH public line, a WireGuard
    public key), or else its decrypted content.

    \b
    Example:
      agepy show wg-web.age --public
      agepy show deploy-key.age --public >> authorized_keys
      agepy show heisenbridge-config --register-command --server-name example.com
    """
    store = open_store(rules, evaluator, identities)
    if public:
        data(public_half(store, name))
        return
    sys.stdout.buffer.write(store.decrypt(name))
    sys.stdout.buffer.flush()


@click.command("nixos-snippet")
@click.argument("name")
@click.option("--owner", metavar="USER", help="Owner of the decrypted file (NixOS only).")
@click.option("--group", metavar="GROUP", help="Group of the decrypted file (NixOS only).")
@click.option("--mode", metavar="MODE", help="Permissions, e.g. 0440 (agenix: 0400).")
@click.option("--path", "path", metavar="PATH", help="Where to decrypt it (agenix's default).")
@click.option("--user", metavar="USER", help="password-hash: users.users.USER.")
@click.option("--interface", default="wg0", show_default=True, help="wireguard: the interface.")
@click.option("--service", metavar="UNIT", help="env: the systemd service given the file.")
@click.option("--kind", type=click.Choice(list(KINDS)), help="Use this kind's line (unrecorded).")
@click.option("--home-manager", is_flag=True, help="The home-manager module's form.")
@click.option(
    "--module-dir",
    "--flake-dir",
    "module_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Folder the module will live in (default: the one with flake.nix above the rules, "
    "else the rules folder's parent).",
)
@rules_option
@evaluator_option
def snippet_command(
    name: str,
    kind: str | None,
    module_dir: Path | None,
    rules: Path | None,
    evaluator: str,
    **fields: Any,
) -> None:
    """Print a NixOS module wiring one secret in: its age.secrets block (the file path
    relative to the module) and, for its kind, the line that uses it
    (users.users.USER.hashedPasswordFile, networking.wireguard.interfaces.IF
    .privateKeyFile, systemd EnvironmentFile). --home-manager: agenix's home-manager
    module form.

    \b
    Example:
      agepy nixos-snippet alice-password.age --user alice > alice.nix
      agepy nixos-snippet wg-web.age --interface wg0
      agepy nixos-snippet api.env.age --service myapp --owner myapp
      agepy nixos-snippet token.age --home-manager
    """
    store = open_store(rules, evaluator)
    click.echo(nixos_snippet_for(store, name, module_dir=module_dir, kind=kind, **fields), nl=False)
