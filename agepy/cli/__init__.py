"""The ``agepy`` command line: parsing and printing only; the work is in the library.

Subcommands live in one module per area and are imported only when used; ``COMMANDS``
carries each one's one-line help, so that ``agepy --help`` imports none of them.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Sequence
from typing import Any

import click

from agepy.cli._common import State, debug_option, quiet_option
from agepy.cli._run import run

__all__ = ["agenix_main", "cli", "main"]

# name -> ("module:attribute", one-line help); the order here is the order in `agepy --help`,
# which prints this help without importing the command modules (tests check it matches).
COMMANDS: dict[str, tuple[str, str]] = {
    "encrypt": (
        "agepy.cli.age_cmds:encrypt",
        "Encrypt a file (or stdin) to public keys, identities or a passphrase, like `age -e`.",
    ),
    "decrypt": (
        "agepy.cli.age_cmds:decrypt",
        "Decrypt an age file (binary or armored) with SSH or age private keys, like `age -d`.",
    ),
    "inspect": (
        "agepy.cli.inspect_cmds:inspect",
        "Show who an age file is for, without decrypting it (no FILE or -: stdin).",
    ),
    "list": (
        "agepy.cli.store_cmds:list_",
        "List the secrets of secrets.nix: file, recipients by name, armor, status.",
    ),
    "edit": (
        "agepy.cli.store_cmds:edit",
        "Edit a secret in your editor; it is re-encrypted only if you changed it.",
    ),
    "rekey": (
        "agepy.cli.store_cmds:rekey",
        "Re-encrypt the secrets whose files do not match their keys in secrets.nix.",
    ),
    "check": (
        "agepy.cli.store_cmds:check",
        "Check that every secret is encrypted to exactly its keys (for CI and pre-commit).",
    ),
    "rotate": (
        "agepy.cli.rotate_cmds:rotate",
        "Give secrets a NEW value, because a key that left can read their old ones in git.",
    ),
    "keyscan": (
        "agepy.cli.keyscan_cmds:keyscan",
        "Fetch SSH host keys, as ssh-keyscan does, proving each with a key exchange.",
    ),
    "add-host": (
        "agepy.cli.host_cmds:add_host",
        "Add a host: fetch its SSH host key, bind NAME to it in secrets.nix, record it.",
    ),
    "rescan": (
        "agepy.cli.host_cmds:rescan",
        "Scan a host again; if it was reinstalled, take its new key everywhere.",
    ),
    "hosts": (
        "agepy.cli.host_cmds:hosts",
        "List the hosts of agepy.toml and whether secrets.nix agrees with each.",
    ),
    "generate": (
        "agepy.cli.matrix_cmds:generate",
        "Generate secrets: `agepy generate NAME --kind KIND` makes, encrypts and records one "
        "(see `agepy generate NAME --help`); `agepy generate` makes the recorded ones whose "
        "files are missing, `--rotate NAME…` new values.",
    ),
    "show": (
        "agepy.cli.matrix_show_cmds:show",
        "Decrypt and print a Matrix secret in the form it is used in; `agepy show NAME "
        "--public` prints any generated secret's public half (see `agepy show NAME --help`).",
    ),
    "nixos-snippet": (
        "agepy.cli.matrix_show_cmds:nixos_snippet",
        "Print a NixOS module wiring the secrets into agenix, Heisenbridge and Conduit; "
        "`agepy nixos-snippet NAME` does it for any secret (see `agepy nixos-snippet NAME "
        "--help`).",
    ),
    "demo": (
        "agepy.cli.misc_cmds:demo",
        "Play the Matrix + Heisenbridge walkthrough end to end in a temporary folder.",
    ),
    "completion": (
        "agepy.cli.misc_cmds:completion",
        "Print the shell completion script for SHELL.",
    ),
    "agenix-shim": (
        "agepy.cli.misc_cmds:agenix_shim",
        "Install an `agenix` command that runs agepy with agenix's command line (opt-in).",
    ),
}

# `agepy encrypt <generator> …` runs a generator instead of plain `agepy encrypt FILE`.
ENCRYPT_GENERATORS: dict[str, str] = {
    "heisenbridge-config": "agepy.cli.matrix_cmds:encrypt_heisenbridge_config",
    "conduit-registration-token": "agepy.cli.matrix_cmds:encrypt_conduit_registration_token",
}

# `agepy generate [NAME…]`, `agepy show NAME`, `agepy nixos-snippet NAME`: a secret of any
# kind. The word after the command picks the form: one of the Matrix subcommands (with no
# --kind, for generate) keeps its old meaning.
SECRET_COMMANDS: dict[str, str] = {
    "generate": "agepy.cli.generate_cmds:generate_command",
    "show": "agepy.cli.generate_cmds:show_command",
    "nixos-snippet": "agepy.cli.generate_cmds:snippet_command",
}
_MATRIX_FORMS: dict[str, set[str]] = {
    "generate": {"token", "conduit-config"},
    "show": {"heisenbridge-config"},
    "nixos-snippet": {"heisenbridge", "conduit", "all"},
}
_HELP = {"-h", "--help"}
_COMMON_FLAGS = {"-q", "--quiet", "--debug"}  # allowed before the word that decides


def _secret_form(args: list[str]) -> bool:
    """True when ``args`` (command first) ask for the any-secret form of the command."""
    command = args[0]
    rest = list(itertools.dropwhile(lambda a: a in _COMMON_FLAGS, args[1:]))
    if command not in SECRET_COMMANDS or (rest[:1] and rest[0] in _HELP):
        return False
    if command == "generate":
        has_kind = any(a == "--kind" or a.startswith("--kind=") for a in rest)
        return not (rest and rest[0] in _MATRIX_FORMS[command] and not has_kind)
    return bool(rest) and not rest[0].startswith("-") and rest[0] not in _MATRIX_FORMS[command]


def _with_common_options(command: click.Command) -> click.Command:
    """Give every (sub)command --debug and -q/--quiet, so they work after its name too."""
    names = {opt for param in command.params for opt in getattr(param, "opts", ())}
    for decorate, flag in ((quiet_option, "--quiet"), (debug_option, "--debug")):
        if flag not in names:
            decorate(command)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_common_options(sub)
    return command


def _load(spec: str) -> click.Command:
    module, attr = spec.split(":")
    command = getattr(importlib.import_module(module), attr)
    assert isinstance(command, click.Command), spec
    return _with_common_options(command)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        return _load(entry[0]) if entry else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click.Group prints them, but from the table: `--help` imports no command module.
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, click.Command(name, help=text).get_short_help_str(limit))
            for name, (_spec, text) in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if len(args) >= 2 and args[0] == "encrypt" and args[1] in ENCRYPT_GENERATORS:
            command = _load(ENCRYPT_GENERATORS[args[1]])
            return f"encrypt {args[1]}", command, args[2:]
        if args and _secret_form(args):
            return args[0], _load(SECRET_COMMANDS[args[0]]), args[1:]
        return super().resolve_command(ctx, args)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Examples:
  agepy add-host matrix matrix.example.com --to heisenbridge-config.age
  agepy encrypt heisenbridge-config --host matrix
  agepy edit secret.age
  agepy rekey && agepy check
Run 'agepy COMMAND --help' for the options of each command.""",
)
@click.version_option(package_name="agepy", message="agepy %(version)s")
@debug_option
@quiet_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """agenix secrets for NixOS servers: age files, secrets.nix, host keys, Matrix bridges.

    agepy reads and edits the secrets.nix of agenix, keyscans hosts, encrypts, edits and
    rekeys .age files (readable by `age` and the agenix NixOS module), and generates the
    secrets of a Conduit + Heisenbridge Matrix setup.
    """
    if not isinstance(ctx.obj, State):
        ctx.obj = State()


def agenix_main(argv: Sequence[str] | None = None) -> Any:
    """Entry point under the name `agenix`: agenix's command line and exit codes."""
    return main(argv, as_agenix=True)


def main(argv: Sequence[str] | None = None, *, as_agenix: bool | None = None) -> Any:
    """Entry point: run the CLI, turn every failure into one `agepy: error:` line.

    Called as `agenix` (a symlink, `agepy agenix-shim`), the command line is agenix's:
    `-h` prints its help and exits 0, no arguments or a bad one exit 1, as agenix does.
    """
    return run(cli, argv, as_agenix=as_agenix)
