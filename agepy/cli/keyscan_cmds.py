"""`agepy keyscan`: fetch SSH host keys as ssh-keyscan does (parsing and printing only)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from agepy.cli._common import FILE_PATH, emit_json, json_option, timeout_option

__all__ = ["keyscan"]


def _types(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    from agepy.hosts.scan import KEY_TYPES

    types = tuple(t.strip() for t in value.split(",") if t.strip())
    unknown = [t for t in types if t not in KEY_TYPES]
    if unknown or not types:
        raise click.BadParameter(
            f"unknown key type: {', '.join(unknown) or '(none)'}; use ed25519, rsa or ecdsa"
        )
    return types


def _read_targets(path: Path) -> list[str]:
    """The HOST[:PORT] lines of a -f file ('-': stdin)."""
    from agepy.errors import HostError

    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise HostError(
            f"cannot read the targets file {path}: {reason}",
            hint="-f takes a text file of HOST[:PORT] lines, one a line ('-' for stdin)",
        ) from None
    return [line.strip() for line in text.splitlines() if line.strip()]


@click.command()
@click.argument("targets", nargs=-1, metavar="HOST[:PORT]...")
@click.option(
    "-t",
    "--type",
    "types",
    default="ed25519,rsa",
    show_default=True,
    callback=_types,
    metavar="TYPES",
    help="Key types to fetch, comma-separated: ed25519, rsa, ecdsa.",
)
@timeout_option
@click.option(
    "-f",
    "--file",
    "targets_file",
    type=FILE_PATH,
    default=None,
    metavar="FILE",
    help="Read more targets from FILE, one a line ('-' for stdin).",
)
@json_option
def keyscan(
    targets: tuple[str, ...],
    types: tuple[str, ...],
    timeout: float,
    targets_file: Path | None,
    as_json: bool,
) -> None:
    """Fetch SSH host keys, as ssh-keyscan does, proving each with a key exchange.

    Prints the lines ssh-keyscan prints (HOST TYPE KEY, [HOST]:PORT for other ports).
    Hosts that fail are reported on stderr; the others are still scanned. Exit 1 if any
    host failed.

    \b
    Example:
      agepy keyscan matrix.example.com
      agepy keyscan -t ed25519 [10.0.0.5]:2222 --json
    """
    from agepy.hosts import keyscan as run_keyscan

    wanted = list(targets)
    if targets_file is not None:
        wanted += _read_targets(targets_file)
    if not wanted:
        raise click.UsageError("give at least one HOST[:PORT] (or -f FILE)")
    results = run_keyscan(wanted, types=types, timeout=timeout)
    if as_json:
        emit_json({"hosts": [result.to_json() for result in results]})
    else:
        for result in results:
            for line in result.lines():
                click.echo(line)
    for result in results:
        if result.error is not None:
            click.echo(f"agepy: error: {result.error.message}", err=True)
            if result.error.hint:
                click.echo(f"agepy: hint: {result.error.hint}", err=True)
    if any(result.error is not None for result in results):
        sys.exit(1)
