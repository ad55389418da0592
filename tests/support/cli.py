"""Run agepy's command line in this process, as `python -m agepy` runs it in a child.

Starting Python and importing agepy costs ~0.3 s per run; hundreds of runs made most of
the suite's time. :func:`run_agepy` calls the same entry point (:func:`agepy.cli.main`,
which `python -m agepy` and the `agepy` script call) with what a child would get:

- file descriptors 0, 1 and 2 are pipes for the call (stdin carries ``input``, else it is
  empty), and ``sys.stdin``/``sys.stdout``/``sys.stderr`` are fresh streams on them, so
  code that calls ``fileno()``/``isatty()`` or ``os.write(1, …)``, and the tools agepy
  starts (editors, nix-instantiate, plugins), write where a child's would;
- the working directory and environment are the call's, and restored after it (with
  ``tempfile``'s cached folder, which follows $TMPDIR);
- signal handlers and the signal mask are restored after it;
- the exit status is the one `python -m agepy` would exit with (``SystemExit``'s code);
  an exception escaping ``main`` is printed as Python prints it, status 1.

The result is a :class:`subprocess.CompletedProcess`, so callers convert drop-in.
Child processes stay where they are the point: signals, terminals, crashes, locks between
processes, a reader closing the pipe (EPIPE); those are real `python -m agepy` processes
forked by :mod:`tests.support.forkserver` (a few ms each instead of an interpreter's
start). Fresh interpreters stay where the start is the point: what gets imported
(:func:`modules_after`), the `agenix` launcher.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, overload

import agepy
from agepy.cli import main
from tests.support.forkserver import popen_agepy

__all__ = ["AGEPY", "modules_after", "run_agepy"]

# What a caller would run as a child; the in-process run reports it as its args.
AGEPY = [sys.executable, "-m", "agepy"]
_MAIN_PY = str(Path(agepy.__file__).with_name("__main__.py"))
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE, signal.SIGCHLD)
_READ_TIMEOUT = 120.0  # a tool agepy started still holding the pipes open


class _Drain(threading.Thread):
    """Reads a pipe to its end, as subprocess.communicate does for a child."""

    def __init__(self, fd: int) -> None:
        super().__init__(daemon=True)
        self.fd = fd
        self.data = bytearray()

    def run(self) -> None:
        try:
            while chunk := os.read(self.fd, 65536):
                self.data += chunk
        finally:
            os.close(self.fd)


class _Feed(threading.Thread):
    """Writes ``data`` into a pipe and closes it; a reader that stops early is fine."""

    def __init__(self, fd: int, data: bytes) -> None:
        super().__init__(daemon=True)
        self.fd = fd
        self.data = data

    def run(self) -> None:
        view = memoryview(self.data)
        try:
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError:  # the command stopped reading (EPIPE), as a child may
            return
        finally:
            os.close(self.fd)


@contextmanager
def _process_state(
    cwd: Path | str | None, env: Mapping[str, str] | None, umask: int | None
) -> Iterator[None]:
    """Working directory, environment, umask, argv, signal handlers and mask: the call's,
    then back."""
    old_cwd = os.getcwd()
    old_env = dict(os.environ)
    old_argv = sys.argv[:]
    old_handlers = {s: signal.getsignal(s) for s in _SIGNALS}
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    old_recursion = sys.getrecursionlimit()
    old_tempdir = tempfile.tempdir
    old_umask = os.umask(0o022 if umask is None else umask)
    if umask is None:
        os.umask(old_umask)
    try:
        tempfile.tempdir = None  # cached from $TMPDIR on first use: the call's $TMPDIR counts
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if cwd is not None:
            os.chdir(cwd)
        yield
    finally:
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)
        sys.argv[:] = old_argv
        for signum, handler in old_handlers.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        sys.setrecursionlimit(old_recursion)
        tempfile.tempdir = old_tempdir
        os.umask(old_umask)


@contextmanager
def _standard_streams(stdin: bytes) -> Iterator[tuple[_Drain, _Drain]]:
    """Descriptors 0, 1, 2 (and sys.std*) on fresh pipes for the call, then back."""
    in_read, in_write = os.pipe()
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    old_streams = (sys.stdin, sys.stdout, sys.stderr)
    feed = _Feed(in_write, stdin)
    out = _Drain(out_read)
    err = _Drain(err_read)
    try:
        os.dup2(in_read, 0)
        os.dup2(out_write, 1)
        os.dup2(err_write, 2)
        for fd in {in_read, out_write, err_write}:
            os.close(fd)
        feed.start()
        out.start()
        err.start()
        # As Python sets them up in a child whose standard streams are pipes (UTF-8 locale).
        sys.stdin = io.TextIOWrapper(
            io.BufferedReader(io.FileIO(0, "rb", closefd=False)), encoding="utf-8"
        )
        sys.stdout = io.TextIOWrapper(
            io.BufferedWriter(io.FileIO(1, "wb", closefd=False)), encoding="utf-8"
        )
        sys.stderr = io.TextIOWrapper(
            io.BufferedWriter(io.FileIO(2, "wb", closefd=False)),
            encoding="utf-8",
            errors="backslashreplace",
            line_buffering=True,
        )
        yield out, err
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()  # Python drops what it cannot flush at exit too
        sys.stdin, sys.stdout, sys.stderr = old_streams
        for fd, copy in zip((0, 1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
        for thread in (feed, out, err):
            if thread.ident is not None:  # started
                thread.join(_READ_TIMEOUT)
                if thread.is_alive():
                    raise RuntimeError("a process agepy started still holds its output open")


def _exit_status(code: object) -> int:
    """What the interpreter exits with for ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _has_controlling_terminal() -> bool:
    # Field 7 of /proc/self/stat is the controlling terminal's device number, 0 for none.
    stat = Path("/proc/self/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[4]) != 0


def _text(data: bytes) -> str:
    # As subprocess's text mode reads a pipe: UTF-8, universal newlines.
    return data.decode().replace("\r\n", "\n").replace("\r", "\n")


@overload
def run_agepy(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | str | None = ...,
    env: Mapping[str, str] | None = ...,
    set_env: Mapping[str, str | None] | None = ...,
    input: bytes | str | None = ...,
    stdin: int | None = ...,
    text: Literal[True],
    as_agenix: bool = ...,
    no_terminal: bool = ...,
    child: bool = ...,
    umask: int | None = ...,
) -> subprocess.CompletedProcess[str]: ...


@overload
def run_agepy(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | str | None = ...,
    env: Mapping[str, str] | None = ...,
    set_env: Mapping[str, str | None] | None = ...,
    input: bytes | str | None = ...,
    stdin: int | None = ...,
    text: Literal[False] = ...,
    as_agenix: bool = ...,
    no_terminal: bool = ...,
    child: bool = ...,
    umask: int | None = ...,
) -> subprocess.CompletedProcess[bytes]: ...


def run_agepy(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    set_env: Mapping[str, str | None] | None = None,
    input: bytes | str | None = None,
    stdin: int | None = None,
    text: bool = False,
    as_agenix: bool = False,
    no_terminal: bool = False,
    child: bool = False,
    umask: int | None = None,
) -> subprocess.CompletedProcess[str] | subprocess.CompletedProcess[bytes]:
    """`agepy ARGS` in this process; see the module's docstring for what it gets.

    ``env`` replaces the whole environment (as subprocess's ``env=``); ``set_env`` then
    sets variables, or unsets those given as None. ``input`` is standard input's bytes;
    ``stdin`` a descriptor instead (a terminal's follower end: the run is then a child;
    ``subprocess.DEVNULL`` reads as empty). ``as_agenix`` runs agenix's command line.
    ``no_terminal`` promises the run no controlling terminal (as under cron or CI): when
    this process has one, the run is a child in its own session instead. ``child`` runs
    `python -m agepy` as a child process, where a separate process is the point (locks).
    ``umask`` is the call's umask (as a shell's `umask` before the command).
    """
    argv = [os.fspath(a) for a in args]
    environment = dict(os.environ if env is None else env)
    for name, value in (set_env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    data = input.encode() if isinstance(input, str) else (input or b"")
    if stdin == subprocess.DEVNULL:
        stdin = None
    own_session = no_terminal and _has_controlling_terminal()
    if child or own_session or stdin is not None:
        assert umask is None, "set a child's umask through its shell"
        assert not as_agenix, "the agenix launchers are tested as children of their own"
        with popen_agepy(
            argv,
            stdin=stdin if stdin is not None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=environment,
            text=text,
            start_new_session=own_session,
        ) as process:
            try:
                stdout, stderr = process.communicate(
                    None if stdin is not None else (data.decode() if text else data),
                    timeout=_READ_TIMEOUT,
                )
            except BaseException:
                process.kill()
                raise
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    with (
        _process_state(cwd, environment, umask),
        _standard_streams(data) as (out, err),
    ):
        sys.argv[:] = [_MAIN_PY, *argv]
        try:
            main(argv, as_agenix=as_agenix)
            status = 0
        except SystemExit as exc:
            status = _exit_status(exc.code)
        except Exception:  # as the interpreter reports an uncaught exception
            traceback.print_exc()
            status = 1
    stdout = bytes(out.data)
    stderr = bytes(err.data)
    if text:
        return subprocess.CompletedProcess([*AGEPY, *argv], status, _text(stdout), _text(stderr))
    return subprocess.CompletedProcess([*AGEPY, *argv], status, stdout, stderr)


def modules_after(
    argv: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[int, set[str]]:
    """The exit status of `agepy ARGV` run in a fresh interpreter (what is imported is the
    point, so not in-process), and the modules loaded by its end."""
    code = (
        "import json, sys\n"
        "from agepy.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "finally:\n"
        "    sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)) + '\\n')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    return run.returncode, set(json.loads(run.stderr.rpartition("\nMODULES ")[2]))
