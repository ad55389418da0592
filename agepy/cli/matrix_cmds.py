"""Matrix commands that make secrets: tokens, Heisenbridge's registration, Conduit's.

`agepy generate token|conduit-config`, `agepy encrypt heisenbridge-config`,
`agepy encrypt conduit-registration-token`. Parsing and printing only; the work is in
agepy.matrix. Reading them back (`show`) and `nixos-snippet` are in matrix_show_cmds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from agepy.cli._common import (
    err,
    evaluator_option,
    identity_option,
    prompt_passphrase,
    rules_option,
    state,
)
from agepy.errors import UsageError
from agepy.matrix.conduit import conduit_config_toml
from agepy.matrix.heisenbridge import RegistrationOptions
from agepy.matrix.tokens import hex_token
from agepy.ops.matrix_secrets import Recipients, WriteResult
from agepy.ops.matrix_secrets import encrypt_conduit_registration_token as encrypt_token
from agepy.ops.matrix_secrets import encrypt_heisenbridge_config as encrypt_config

__all__ = [
    "encrypt_conduit_registration_token",
    "encrypt_heisenbridge_config",
    "generate",
]


def _identities(paths: tuple[Path, ...]) -> list[Path] | None:
    return list(paths) or None


heisenbridge_name_option = click.option(
    "--name",
    default="heisenbridge-config.age",
    show_default=True,
    help="The secret (relative to the rules folder).",
)
_to_option = click.option(
    "--to",
    "to",
    multiple=True,
    metavar="KEY_OR_NAME",
    help="Who may read a new entry: a name bound in secrets.nix or a public key; repeatable.",
)
_host_option = click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="NAME",
    help="A host (name bound in secrets.nix, e.g. by agepy add-host) that decrypts it; repeatable.",
)
_no_self_option = click.option(
    "--no-self",
    is_flag=True,
    help="Do not add your own key (from -i or ~/.ssh) to a new entry.",
)
_rotate_option = click.option(
    "--rotate", is_flag=True, help="Replace the token(s) of the existing secret."
)


def _done(result: WriteResult, what: str) -> None:
    readers = ", ".join(result.recipients)
    verb = "rotated the tokens of" if result.rotated else "wrote"
    err(f"agepy: {verb} {result.name} ({what}), readable by {readers}")
    if result.created_entry:
        err(f"agepy: added the entry {result.name!r} to secrets.nix")


# --- generate ----------------------------------------------------------------------------


@click.group("generate")
def generate() -> None:
    """Generate secrets: `agepy generate NAME --kind KIND` makes, encrypts and records
    one (see `agepy generate NAME --help`); `agepy generate` makes the recorded ones whose
    files are missing, `--rotate NAME…` new values. The subcommands below only print.

    \b
    Example:
      agepy generate wg-web.age --kind wireguard --host web
      agepy generate alice-password.age --kind password-hash --to alice
      agepy generate token
      agepy generate conduit-config --server-name example.com > conduit.toml
    """


@generate.command("token")
@click.option(
    "--bytes",
    "nbytes",
    type=int,
    default=16,
    show_default=True,
    help="Random bytes (the token has twice as many hex digits).",
)
def generate_token(nbytes: int) -> None:
    """Print a random hex token, like `openssl rand -hex 16` (from Python's secrets).

    \b
    Example:
      agepy generate token
      agepy generate token --bytes 32
    """

    click.echo(hex_token(nbytes))


@generate.command("conduit-config")
@click.option("--server-name", required=True, metavar="DOMAIN", help="The domain of user ids.")
@click.option("--port", type=int, default=6167, show_default=True, help="Conduit's port.")
@click.option("--address", default="127.0.0.1", show_default=True, help="Conduit's address.")
def generate_conduit_config(server_name: str, port: int, address: str) -> None:
    """Print a conduit.toml [global] section, for a Conduit outside NixOS.

    The registration token is not written into it: Conduit reads it from the
    environment variable CONDUIT_REGISTRATION_TOKEN (see the comment at the top).

    \b
    Example:
      agepy generate conduit-config --server-name example.com > conduit.toml
    """

    click.echo(conduit_config_toml(server_name, port=port, address=address), nl=False)


# --- encrypt <generator> -----------------------------------------------------------------

_REGISTRATION_OPTIONS = ("url", "no_compat", "app_id", "sender", "prefix")


@click.command("heisenbridge-config")
@click.option(
    "--url",
    default="http://127.0.0.1:9898",
    show_default=True,
    help="Where the homeserver reaches the bridge.",
)
@click.option(
    "--no-compat",
    is_flag=True,
    help="Synapse layout (heisenbridge --generate); default: Conduit/Dendrite (--generate-compat).",
)
@click.option("--id", "app_id", default="heisenbridge", show_default=True, help="Appservice id.")
@click.option(
    "--sender", default="heisenbridge", show_default=True, help="The bridge user's localpart."
)
@click.option("--prefix", default="irc_", show_default=True, help="Puppet user prefix.")
@_to_option
@_host_option
@_no_self_option
@_rotate_option
@heisenbridge_name_option
@rules_option
@identity_option
@evaluator_option
def encrypt_heisenbridge_config(
    url: str,
    no_compat: bool,
    app_id: str,
    sender: str,
    prefix: str,
    to: tuple[str, ...],
    hosts: tuple[str, ...],
    no_self: bool,
    rotate: bool,
    name: str,
    rules: Path | None,
    identities: tuple[Path, ...],
    evaluator: str,
) -> None:
    """Encrypt a new Heisenbridge appservice registration, as
    `heisenbridge --generate-compat` makes it, to the keys of its secrets.nix entry.

    A missing entry is created from --host/--to (plus your own key, unless --no-self).
    An existing secret is never overwritten: --rotate decrypts it and replaces only
    as_token and hs_token (then register it again and restart Heisenbridge).

    \b
    Example:
      agepy encrypt heisenbridge-config --host matrix
      agepy encrypt heisenbridge-config --rotate
      agepy show heisenbridge-config --register-command --server-name example.com
    """

    ctx = click.get_current_context()
    if rotate:
        given = [
            f"--{p.replace('_', '-')}"
            for p in _REGISTRATION_OPTIONS
            if ctx.get_parameter_source(p) == click.core.ParameterSource.COMMANDLINE
        ]
        if given:
            raise UsageError(
                f"--rotate keeps the registration's settings; {', '.join(given)} would be ignored",
                hint="rotate alone, or move the secret away and create a new one",
            )
    options = RegistrationOptions(
        url=url, compat=not no_compat, id=app_id, sender_localpart=sender, prefix=prefix
    )
    result = encrypt_config(
        rules,
        name=name,
        options=options,
        recipients=Recipients(to=to, hosts=hosts, include_self=not no_self),
        rotate=rotate,
        identities=_identities(identities),
        prompt=prompt_passphrase,
        evaluator=evaluator,
    )
    _done(result, "Heisenbridge registration")
    if not rotate:
        err("agepy: next: agepy show heisenbridge-config --register-command --server-name DOMAIN")


@click.command("conduit-registration-token")
@click.option(
    "--token",
    metavar="TOKEN",
    help="Use this token ('-': read it from stdin) instead of a new random one.",
)
@_to_option
@_host_option
@_no_self_option
@_rotate_option
@click.option(
    "--name",
    default="conduit-env.age",
    show_default=True,
    help="The secret (relative to the rules folder).",
)
@rules_option
@identity_option
@evaluator_option
def encrypt_conduit_registration_token(
    token: str | None,
    to: tuple[str, ...],
    hosts: tuple[str, ...],
    no_self: bool,
    rotate: bool,
    name: str,
    rules: Path | None,
    identities: tuple[Path, ...],
    evaluator: str,
) -> None:
    """Encrypt `CONDUIT_REGISTRATION_TOKEN=<token>` for a systemd EnvironmentFile, so the
    token never enters the world-readable Nix store.

    A new random token (16 bytes, hex) is printed once on stdout: you need it to
    register the first user. -q prints nothing; read it back later with
    `agepy decrypt conduit-env.age`. A token given with --token is not echoed.
    --rotate replaces the token of the existing secret and keeps its other lines.

    \b
    Example:
      agepy encrypt conduit-registration-token --host matrix
      agepy encrypt conduit-registration-token --rotate
      agepy nixos-snippet conduit --server-name example.com
    """

    given = token is not None
    if token == "-":  # noqa: S105 -- "-" means stdin, not a password
        token = sys.stdin.readline().strip()
    result = encrypt_token(
        rules,
        name=name,
        token=token,
        recipients=Recipients(to=to, hosts=hosts, include_self=not no_self),
        rotate=rotate,
        identities=_identities(identities),
        prompt=prompt_passphrase,
        evaluator=evaluator,
    )
    _done(result, "Conduit registration token")
    if not given and not state().quiet:
        click.echo(result.token)
