"""Running the CLI: every failure becomes one `agepy: error:` line (and a hint) with
the exit status agepy (or, called as `agenix`, agenix) gives it; never a traceback."""

from __future__ import annotations

import io
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from click.utils import _PacifyFlushWrapper

from agepy._plaintext import wipe_dead_sessions
from agepy._signals import raise_on_signals
from agepy.cli._output import (
    ClosedOutput,
    StdoutClosedError,
    broken_pipe,
    os_error_message,
    output_failed,
    quiet_after_broken_pipe,
)
from agepy.cli.compat import AGENIX_HELP, AgenixHelp, translate_agenix_args
from agepy.cli.hints import hint_for, print_error
from agepy.errors import AgepyError, UsageError

__all__ = ["run"]

_NO_ARGS_IS_HELP: type[click.UsageError] = getattr(
    click.exceptions, "NoArgsIsHelpError", click.exceptions.UsageError
)


def _wants_debug(args: Sequence[str]) -> bool:
    return "--debug" in args


def _interrupted(exc: KeyboardInterrupt) -> Any:
    # Exit 128 + signal number, as shells report a process killed by that signal:
    # Ctrl-C (SIGINT) 130; the store's handlers raise a KeyboardInterrupt carrying
    # .signum for SIGTERM (143) and SIGHUP (129).
    signum = getattr(exc, "signum", 2)
    name = "" if signum == 2 else f" ({exc})"
    print_error(f"interrupted{name}", None)
    return sys.exit(128 + signum)


def _print_usage_error(exc: click.UsageError, args: Sequence[str]) -> None:
    command = exc.ctx.command_path if exc.ctx is not None else "agepy"
    hint = f"run '{command} --help' for usage"
    option = getattr(exc, "option_name", None) or ""
    if isinstance(exc, click.NoSuchOption) and option:
        # A file whose name starts with '-' (click read `-x.age` as the flags -x, -.…).
        named = [a for a in args if a.startswith(option) and os.path.lexists(a)]
        if named:
            hint = f"a name starting with '-' goes after '--': {command} -- {named[0]}"
    print_error(exc.format_message(), hint)


def _tell(message: str) -> None:
    click.echo(f"agepy: {message}", err=True)


def run(group: click.Group, argv: Sequence[str] | None, *, as_agenix: bool | None) -> Any:
    """Run ``group`` on ``argv`` (None: sys.argv) and exit with its status; standard
    output's own failures are reported here, once (see :mod:`agepy.cli._output`)."""
    if sys.stdout is None:
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(ClosedOutput()))
    try:
        with raise_on_signals():
            _main(group, argv, as_agenix=as_agenix)
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    except OSError as exc:
        return output_failed(exc)
    try:
        sys.stdout.flush()
    except OSError as exc:
        if code in (0, None):
            return output_failed(exc)
        sys.stdout = io.StringIO()  # the failure was already reported
    return sys.exit(code)


def _main(group: click.Group, argv: Sequence[str] | None, *, as_agenix: bool | None) -> Any:
    args = list(sys.argv[1:] if argv is None else argv)
    if as_agenix is None:
        as_agenix = argv is None and Path(sys.argv[0]).name == "agenix"
    debug = _wants_debug(args)
    # agenix exits 1 on every usage error (it prints its help); agepy exits 2, as click.
    usage_status = 1 if as_agenix else 2
    try:
        # A run killed by SIGKILL may have left plaintext in RAM: every start wipes it.
        wipe_dead_sessions(_tell)

        if as_agenix and not args:
            click.echo(AGENIX_HELP)
            return sys.exit(1)
        try:
            args = translate_agenix_args(args, as_agenix=as_agenix)
        except AgenixHelp:
            click.echo(AGENIX_HELP)
            return sys.exit(0)
        except UsageError as exc:
            print_error(exc.message, hint_for(exc))
            return sys.exit(usage_status)
        # Not standalone: click hands back ctx.exit(N) as a return value instead of exiting.
        try:
            status = group.main(args=args, prog_name="agepy", standalone_mode=False)
        except SystemExit:
            # click meets EPIPE itself (even when not standalone): it wraps stdout and
            # exits 1. The reader went away; end quietly as cat does.
            if isinstance(sys.stdout, _PacifyFlushWrapper):
                return quiet_after_broken_pipe()
            raise
        if isinstance(status, int) and status:
            return sys.exit(status)
    except _NO_ARGS_IS_HELP as exc:
        # A group run with no subcommand: its help, as click prints it, exit 2.
        click.echo(exc.format_message(), err=True)
        return sys.exit(usage_status)
    except click.UsageError as exc:
        _print_usage_error(exc, args)
        return sys.exit(usage_status)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            return _interrupted(exc.__cause__)
        print_error("aborted", None)
        return sys.exit(1)
    except click.exceptions.Exit as exc:
        return sys.exit(exc.exit_code)
    except click.ClickException as exc:
        print_error(exc.format_message(), None)
        return sys.exit(exc.exit_code)
    except AgepyError as exc:
        if broken_pipe(exc):
            return quiet_after_broken_pipe()
        if debug:
            traceback.print_exc()
        print_error(exc.message, hint_for(exc))
        return sys.exit(1 if as_agenix and isinstance(exc, UsageError) else exc.exit_code)
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except OSError as exc:
        if broken_pipe(exc) or isinstance(exc, StdoutClosedError):
            raise  # run() reports standard output's failures
        if debug:
            traceback.print_exc()
        print_error(os_error_message(exc), "check the path, its permissions and free space")
        return sys.exit(1)
    except RecursionError:
        if debug:
            traceback.print_exc()
        print_error(
            "the input is nested too deeply to read",
            "flatten the deepest nesting (secrets.nix, a .age header, a key file)",
        )
        return sys.exit(1)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print_error(
            f"internal error: {type(exc).__name__}: {exc}".splitlines()[0],
            "this is a bug in agepy; rerun with --debug and report the traceback",
        )
        return sys.exit(1)
    return sys.exit(0)
