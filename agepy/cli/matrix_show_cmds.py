"""Matrix commands that use the secrets: `agepy show heisenbridge-config` (the YAML, or
Conduit's admin-room message) and `agepy nixos-snippet`. Parsing and printing only; the
work is in agepy.matrix.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from agepy.cli._common import (
    err,
    evaluator_option,
    identity_option,
    prompt_passphrase,
    rules_option,
)
from agepy.cli.matrix_cmds import heisenbridge_name_option
from agepy.errors import UsageError
from agepy.matrix.conduit import register_appservice_message, validate_server_name
from agepy.matrix.snippets import SnippetOptions, module_root
from agepy.matrix.snippets import nixos_snippet as make_snippet
from agepy.ops.matrix_secrets import read_heisenbridge_config
from agepy.rules import locate_rules, rules_in_reach

__all__ = ["nixos_snippet", "show"]


# --- show --------------------------------------------------------------------------------


@click.group("show")
def show() -> None:
    """Decrypt and print a Matrix secret in the form it is used in; `agepy show NAME
    --public` prints any generated secret's public half (see `agepy show NAME --help`).

    \b
    Example:
      agepy show wg-web.age --public
      agepy show heisenbridge-config --register-command --server-name example.com
    """


@show.command("heisenbridge-config")
@click.option(
    "--register-command",
    is_flag=True,
    help="Print Conduit's admin-room message that registers the bridge.",
)
@click.option("--server-name", metavar="DOMAIN", help="The homeserver's server name.")
@heisenbridge_name_option
@rules_option
@identity_option
@evaluator_option
def show_heisenbridge_config(
    register_command: bool,
    server_name: str | None,
    name: str,
    rules: Path | None,
    identities: tuple[Path, ...],
    evaluator: str,
) -> None:
    """Print the decrypted Heisenbridge registration YAML, or with --register-command the
    message to paste into Conduit's admin room (#admins:DOMAIN).

    \b
    Example:
      agepy show heisenbridge-config --register-command --server-name example.com
      agepy show heisenbridge-config > /run/user/1000/registration.yaml
    """

    if register_command and not server_name:
        raise UsageError(
            "--register-command needs --server-name", hint="e.g. --server-name example.com"
        )
    if server_name:
        validate_server_name(server_name)
    text = read_heisenbridge_config(
        rules,
        name=name,
        identities=list(identities) or None,
        prompt=prompt_passphrase,
        evaluator=evaluator,
    )
    if register_command:
        assert server_name is not None
        text = register_appservice_message(server_name, text)
    click.echo(text, nl=False)


# --- nixos-snippet -----------------------------------------------------------------------


def _relative_secret(rules_dir: Path, root: Path, name: str) -> str:
    return os.path.relpath(os.path.normpath(rules_dir / name), root)


@click.command("nixos-snippet")
@click.argument(
    "part", type=click.Choice(["heisenbridge", "conduit", "all"]), default="all", required=False
)
@click.option("--server-name", metavar="DOMAIN", help="Conduit's server_name (needed for conduit).")
@click.option("--owner", metavar="MXID", help="The bridge owner, e.g. @you:example.com.")
@click.option(
    "--homeserver",
    metavar="URL",
    help="URL Heisenbridge talks to (default: the local Conduit, http://ADDRESS:PORT).",
)
@click.option("--port", type=int, default=6167, show_default=True, help="Conduit's port.")
@click.option("--address", default="127.0.0.1", show_default=True, help="Conduit's address.")
@click.option(
    "--heisenbridge-name", default="heisenbridge-config.age", show_default=True, metavar="NAME"
)
@click.option("--conduit-name", default="conduit-env.age", show_default=True, metavar="NAME")
@click.option(
    "--flake-dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Folder the module will live in (default: the one with flake.nix above the rules, "
    "else the rules folder's parent).",
)
@rules_option
def nixos_snippet(
    part: str,
    server_name: str | None,
    owner: str | None,
    homeserver: str | None,
    port: int,
    address: str,
    heisenbridge_name: str,
    conduit_name: str,
    flake_dir: Path | None,
    rules: Path | None,
) -> None:
    """Print a NixOS module wiring the secrets into agenix, Heisenbridge and Conduit;
    `agepy nixos-snippet NAME` does it for any secret (see `agepy nixos-snippet NAME --help`).

    Secret paths are relative to the module's folder, derived from where secrets.nix
    is (./secrets/x.age for a flake with secrets/secrets.nix).

    \b
    Example:
      agepy nixos-snippet all --server-name example.com --owner @you:example.com > matrix.nix
      agepy nixos-snippet heisenbridge --homeserver https://matrix.example.com
      agepy nixos-snippet wg-web.age --interface wg0
    """

    if not rules_in_reach(rules):
        rules_dir = Path("secrets").absolute()  # no rules here: assume ./secrets/secrets.nix
        err("agepy: no secrets.nix found; assuming ./secrets/ (use --rules to say where)")
    else:
        rules_dir = locate_rules(rules).parent
    root = flake_dir.absolute() if flake_dir is not None else module_root(rules_dir)
    options = SnippetOptions(
        heisenbridge_file=_relative_secret(rules_dir, root, heisenbridge_name),
        conduit_env_file=_relative_secret(rules_dir, root, conduit_name),
        server_name=server_name,
        owner=owner,
        homeserver=homeserver,
        conduit_port=port,
        conduit_address=address,
    )
    click.echo(make_snippet(part, options), nl=False)  # type: ignore[arg-type]
