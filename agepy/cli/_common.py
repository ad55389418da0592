"""What every agepy command shares: common options, output helpers, error printing.

Conventions (click's and age's): output for people on stdout, errors and progress on
stderr; colour only on a terminal and never with NO_COLOR; exit 0 success, 1 failure or
findings, 2 usage.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = [
    "FILE_PATH",
    "State",
    "announce_rules",
    "data",
    "debug_option",
    "emit_json",
    "err",
    "evaluator_option",
    "identity_option",
    "json_option",
    "out",
    "prompt_passphrase",
    "quiet_option",
    "recipients_file_option",
    "rules_option",
    "state",
    "style",
    "timeout_option",
    "yes_option",
]

F = TypeVar("F", bound=Callable[..., Any])

# A file argument, converted but not checked: the library reports a missing, unreadable
# or directory path as an error with a hint (exit 1), where click would call it bad
# usage (exit 2) and suggest --help.
FILE_PATH = click.Path(path_type=Path, readable=False)


@dataclass
class State:
    """Per-invocation settings gathered from root and subcommand options."""

    debug: bool = False
    quiet: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def state() -> State:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


def _colour(stream: Any) -> bool:
    if os.environ.get("NO_COLOR", "") != "":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def style(text: str, *, fg: str | None = None, bold: bool = False, stream: Any = None) -> str:
    """Colour ``text`` only when it goes to a terminal and NO_COLOR is unset."""
    if not _colour(stream if stream is not None else sys.stdout):
        return text
    return click.style(text, fg=fg, bold=bold)


def out(message: str = "", *, nl: bool = True) -> None:
    """A line for people, on stdout; silenced by -q."""
    if not state().quiet:
        click.echo(message, nl=nl)


def data(message: str = "") -> None:
    """A row of the answer asked for (a listing, a report): on stdout, even with -q."""
    click.echo(message)


def err(message: str, *, nl: bool = True) -> None:
    """Progress or a warning, on stderr; silenced by -q."""
    if not state().quiet:
        click.echo(message, err=True, nl=nl)


def prompt_passphrase(path: Path) -> str:
    """Ask an SSH key's passphrase on the terminal (/dev/tty, so piped stdin still
    works), in age's words; identities ask once per key and process."""

    return getpass.getpass(f'Enter passphrase for "{path}": ')


def announce_rules(found: Path, given: Path | None) -> None:
    """Say which rules file is used when it was found elsewhere than ./secrets.nix
    (in ./secrets/ or a parent folder): once a run, on stderr."""
    if given is not None or os.environ.get("RULES"):
        return
    if found == Path.cwd().absolute() / "secrets.nix" or state().extra.get("rules-announced"):
        return
    state().extra["rules-announced"] = True
    relative = os.path.relpath(found)
    # A few folders up reads better relative; farther away, the absolute path does.
    shown = relative if relative.count(os.pardir + os.sep) <= 4 else str(found)
    err(f"agepy: using the rules in {shown}")


def emit_json(value: Any) -> None:
    """The machine-readable answer: one JSON document on stdout (never silenced)."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


# --- options -------------------------------------------------------------------------


def _set_flag(name: str) -> Callable[[click.Context, click.Parameter, bool], bool]:
    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            setattr(state(), name, True)
        return value

    return callback


def debug_option(f: F) -> F:
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_flag("debug"),
        help="Show a traceback on errors.",
    )(f)


def quiet_option(f: F) -> F:
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_flag("quiet"),
        help="Print only errors and requested data.",
    )(f)


def rules_option(f: F) -> F:
    return click.option(
        "--rules",
        "rules",
        type=FILE_PATH,
        default=None,
        metavar="PATH",
        help="The rules file (else $RULES, else ./secrets.nix or ./secrets/secrets.nix, "
        "else one of those in a parent folder of the repository).",
    )(f)


recipients_file_option = click.option(
    "-R",
    "--recipients-file",
    "recipient_files",
    multiple=True,
    type=FILE_PATH,
    metavar="FILE",
    help="File of public keys, one per line (e.g. ~/.ssh/id_ed25519.pub); repeatable.",
)


def evaluator_option(f: F) -> F:
    return click.option(
        "--evaluator",
        type=click.Choice(["auto", "builtin", "nix"]),
        default="auto",
        show_default=True,
        help="How to evaluate secrets.nix: built in, real Nix, or built in with Nix fallback.",
    )(f)


def identity_option(f: F) -> F:
    return click.option(
        "-i",
        "--identity",
        "identities",
        multiple=True,
        type=FILE_PATH,
        metavar="PATH",
        help="Identity (private key) to decrypt with; repeatable. "
        "Default: ~/.ssh/id_ed25519, ~/.ssh/id_rsa.",
    )(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (see docs/json.md).")(f)


def yes_option(f: F) -> F:
    return click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")(f)


def timeout_option(f: F) -> F:
    return click.option(
        "-T",
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=5.0,
        show_default=True,
        metavar="SECONDS",
        help="Give up on a host after this long (as ssh-keyscan -T).",
    )(f)
