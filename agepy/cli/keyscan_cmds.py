"""`agepy keyscan`: fetch SSH host keys as ssh-keyscan does (parsing and printing only)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from agepy.cli._common import FILE_PATH, emit_json, json_option, timeout_option
from agepy.cli.hints import hint_for, print_error
from agepy.errors import HostError
from agepy.hosts import keyscan as run_keyscan
from agepy.hosts.scan import KEY_TYPES, format_target, parse_target

__all__ = ["keyscan"]


_SSH_TYPE_NAMES = {
    "ssh-ed25519": "ed25519",
    "ssh-rsa": "rsa",
    "ecdsa-sha2-nistp256": "ecdsa",
    "ecdsa-sha2-nistp384": "ecdsa",
    "ecdsa-sha2-nistp521": "ecdsa",
}


def _types(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:

    # ssh-keyscan's -t takes both the short names and the SSH key types.
    given = [t.strip() for t in value.split(",") if t.strip()]
    types = tuple(dict.fromkeys(_SSH_TYPE_NAMES.get(t, t) for t in given))
    unknown = [t for t in types if t not in KEY_TYPES]
    if unknown or not types:
        raise click.BadParameter(
            f"unknown key type: {', '.join(unknown) or '(none)'}; use ed25519, rsa or ecdsa "
            "(or ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256)"
        )
    return types


def _with_port(target: str, port: int) -> str:
    """``target`` with ``port`` unless it names its own (HOST:PORT wins, as in ssh)."""

    host, own = parse_target(target, default_port=0)
    return format_target(host, own or port) if own or port != 22 else target


def _read_targets(path: Path) -> list[str]:
    """The HOST[:PORT] lines of a -f file ('-': stdin)."""

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
    help="Key types to fetch, comma-separated: ed25519, rsa, ecdsa (or ssh-ed25519, ssh-rsa).",
)
@click.option(
    "-p",
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    metavar="PORT",
    help="Port for the hosts that do not name one (as ssh-keyscan -p; default 22).",
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
    port: int | None,
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
      agepy keyscan -p 2222 -t ssh-ed25519 10.0.0.5
    """

    wanted = list(targets)
    if targets_file is not None:
        wanted += _read_targets(targets_file)
    if not wanted:
        raise click.UsageError("give at least one HOST[:PORT] (or -f FILE)")
    if port is not None:
        wanted = [_with_port(target, port) for target in wanted]
    results = run_keyscan(wanted, types=types, timeout=timeout)
    if as_json:
        emit_json({"hosts": [result.to_json() for result in results]})
    else:
        for result in results:
            for line in result.lines():
                click.echo(line)
    for result in results:
        if result.error is not None:
            print_error(result.error.message, hint_for(result.error))
    if any(result.error is not None for result in results):
        sys.exit(1)
