"""Real `python -m agepy` child processes in a few milliseconds instead of ~0.3 s.

A test that needs agepy as a separate process (signals, SIGKILL, a lock held between
processes, a terminal, a session of its own) used to pay for a fresh interpreter and
agepy's imports each time. Here one server process per set of interpreter settings
imports agepy and every command module once, then forks a child for each request.

Each child is a real OS process, a child of the server, that gets what the exec'd
interpreter would have had:

- file descriptors 0, 1 and 2 are the ones the caller passed (pipes, a terminal, /dev/null
  or the caller's own), every other descriptor is closed (as ``close_fds``);
- its working directory, environment and umask are the caller's, and it starts a session
  of its own when asked (``start_new_session``);
- signal handlers and mask are those a fresh interpreter had in the server before it
  changed any (SIGINT raising KeyboardInterrupt, SIGPIPE and SIGXFSZ ignored, the rest as
  the caller left them), and ``sys.argv``, ``sys.path[0]`` and the standard streams are as
  `python -m agepy` sets them up;
- it runs agepy/__main__.py as ``__main__`` through runpy, as `-m` does, and ends as the
  interpreter ends: SystemExit's status, a traceback and 1 for an uncaught exception,
  threads joined, atexit handlers run, exit 120 if standard output cannot be flushed, and
  killed by SIGINT after an uncaught KeyboardInterrupt.

:class:`AgepyPopen` is a :class:`subprocess.Popen` (pipes, ``communicate``, timeouts,
``send_signal``); its exit status comes from the server, which reaps the child.

``script=`` runs a Python script whose #! line names this interpreter (the `agenix`
launchers) as executing it does: ``sys.argv[0]`` its path, ``sys.path[0]`` its real
folder, run as ``__main__``.

What an exec'd interpreter reads from the environment at start (locale, ``PYTHON*``)
picks the server: each distinct set gets one of its own, so those stay exact too. What
differs from an exec'd interpreter: the children share the server's hash seed, and
nothing is imported anew. So real executions stay where the start is the point: what
gets imported (tests.support.cli.modules_after), the `python -m agepy` entry itself,
and the first run of each `agenix` launcher (its #! line, its name on PATH).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import pty
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.support._forkserver_loop import MAX_REQUEST, STARTED, STATUS

__all__ = ["AgepyPopen", "popen_agepy", "popen_agepy_on_terminal"]

AGEPY = [sys.executable, "-m", "agepy"]
_ROOT = str(Path(__file__).resolve().parents[2])
# The servers' own standard error: this process's as it was at import. A server first
# started inside an in-process run (whose fd 2 is that run's pipe) must not keep the
# pipe open after the run.
_SERVER_STDERR = os.dup(2)
os.set_inheritable(_SERVER_STDERR, False)


def _interpreter_settings(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """What an exec'd interpreter reads from ``env`` before running anything."""
    return tuple(
        sorted(
            (k, v)
            for k, v in env.items()
            if k.startswith(("PYTHON", "LC_")) or k in ("LANG", "LANGUAGE")
        )
    )


class _Server:
    """One fork server, started with the interpreter settings of its key."""

    def __init__(self, settings: tuple[tuple[str, str], ...]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {
            k: v for k, v in os.environ.items() if k not in dict(_interpreter_settings(os.environ))
        }
        env.update(settings)
        # This module's folder goes last: agepy is imported as the settings' PYTHONPATH says.
        code = (
            f"import sys; sys.path.append({_ROOT!r})\n"
            "from tests.support._forkserver_loop import serve; serve()"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=_SERVER_STDERR,
            cwd="/",
            env=env,
        )
        theirs.close()
        self.socket = ours
        self.lock = threading.Lock()

    def request(self, request: dict[str, Any], fds: Sequence[int]) -> None:
        data = json.dumps(request).encode()
        assert len(data) < MAX_REQUEST
        with self.lock:
            socket.send_fds(self.socket, [data], list(fds))

    def close(self) -> None:
        self.socket.close()  # the server ends at end-of-file
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_servers: dict[tuple[tuple[str, str], ...], _Server] = {}
_servers_lock = threading.Lock()


def _server_for(env: Mapping[str, str]) -> _Server:
    settings = _interpreter_settings(env)
    with _servers_lock:
        server = _servers.get(settings)
        if server is None or server.process.poll() is not None:
            server = _servers[settings] = _Server(settings)
        return server


@atexit.register
def _stop_servers() -> None:
    with _servers_lock:
        for server in _servers.values():
            server.close()
        _servers.clear()


def _current_umask() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


class AgepyPopen(subprocess.Popen[Any]):
    """``subprocess.Popen([*AGEPY, *argv], …)`` whose child is forked by a fork server.

    Takes Popen's arguments except those about the program (``shell``, ``executable``,
    ``preexec_fn``, ``pass_fds``, users and groups, ``process_group``).
    """

    _status: socket.socket | None = None

    def __init__(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        controlling_terminal: bool = False,
        script: str | os.PathLike[str] | None = None,
        drop_dac: bool = False,
        **kwargs: Any,
    ) -> None:
        # controlling_terminal: standard input (a terminal's follower end) becomes the
        # controlling terminal of the child's new session, as pty.fork makes it.
        # script: run this Python script (its #! line naming this interpreter), as
        # executing `SCRIPT ARGV` does, instead of `python -m agepy ARGV`.
        # drop_dac: the child loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (for good,
        # also for what it runs), so that file modes bind root as they bind a user; what
        # `setpriv --bounding-set=-dac_override,-dac_read_search` gives a new process.
        assert not controlling_terminal or kwargs.get("start_new_session")
        self._controlling_terminal = controlling_terminal
        self._drop_dac = drop_dac
        self._script = None if script is None else os.fspath(script)
        if self._script is not None:
            with open(self._script, "rb") as file:
                shebang = file.readline().rstrip(b"\n")
            assert shebang == b"#!" + os.fsencode(sys.executable), shebang
        head = AGEPY if self._script is None else [self._script]
        super().__init__([*head, *(os.fspath(a) for a in argv)], **kwargs)

    def _execute_child(
        self,
        args: list[str],
        executable: object,
        preexec_fn: object,
        close_fds: bool,
        pass_fds: Sequence[int],
        cwd: str | os.PathLike[str] | None,
        env: Mapping[str, str] | None,
        startupinfo: object,
        creationflags: int,
        shell: bool,
        p2cread: int,
        p2cwrite: int,
        c2pread: int,
        c2pwrite: int,
        errread: int,
        errwrite: int,
        restore_signals: bool,
        gid: object,
        gids: object,
        uid: object,
        umask: int,
        start_new_session: bool,
        process_group: int = -1,
    ) -> None:
        assert not shell and executable is None and preexec_fn is None and not pass_fds
        assert gid is None and gids is None and uid is None and process_group in (-1, None)
        head = AGEPY if self._script is None else [self._script]
        assert list(args[: len(head)]) == head, args
        environment = dict(os.environ if env is None else env)
        request = {
            "argv": list(args[len(head) :]),
            "script": self._script,
            "cwd": os.path.abspath(os.fspath(cwd) if cwd is not None else os.getcwd()),
            "env": environment,
            "umask": _current_umask() if umask < 0 else umask,
            "new_session": bool(start_new_session),
            "controlling_terminal": self._controlling_terminal,
            "drop_dac": self._drop_dac,
        }
        fds = [p2cread, c2pwrite, errwrite]
        fds = [fd if fd != -1 else standard for standard, fd in enumerate(fds)]
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            _server_for(environment).request(request, [*fds, theirs.fileno()])
            theirs.close()
            started = _read_exactly(ours, STARTED.size)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
            popen: Any = self  # Popen's private helpers, as its own _execute_child uses
            popen._close_pipe_fds(p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite)
        if len(started) < STARTED.size:
            ours.close()
            raise subprocess.SubprocessError("the agepy fork server went away")
        pid, error = STARTED.unpack(started)
        self.pid = pid
        self._child_created = True
        self._status = ours
        if error:
            self.wait()
            raise OSError(error, os.strerror(error), request["cwd"])

    def _read_status(self, timeout: float | None) -> int | None:
        """The child's wait status, once it ended (None: not within ``timeout``)."""
        assert self._status is not None
        ready, _, _ = select.select([self._status], [], [], timeout)
        if not ready:
            return None
        data = _read_exactly(self._status, STATUS.size)
        # As after a real wait, the pid must be gone when this returns (agepy checks pids
        # for liveness): say we are done, then wait until the server has reaped it.
        with contextlib.suppress(OSError):
            self._status.shutdown(socket.SHUT_WR)
            self._status.recv(1)
        self._status.close()
        if len(data) < STATUS.size:
            raise subprocess.SubprocessError("the agepy fork server went away")
        (status,) = STATUS.unpack(data)
        return int(status)

    def _internal_poll(self, _deadstate: int | None = None, **_: Any) -> int | None:
        popen: Any = self  # Popen's private lock and status decoding, as its own uses
        if self.returncode is None and popen._waitpid_lock.acquire(False):
            try:
                if self.returncode is None:
                    status = self._read_status(0)
                    if status is not None:
                        popen._handle_exitstatus(status)
            except (OSError, subprocess.SubprocessError):
                if _deadstate is None:
                    raise
                self.returncode = _deadstate
            finally:
                popen._waitpid_lock.release()
        return self.returncode

    def _wait(self, timeout: float | None) -> int:
        popen: Any = self
        end = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            with popen._waitpid_lock:
                if self.returncode is not None:
                    break
                left = None if end is None else max(0.0, end - time.monotonic())
                status = self._read_status(left)
                if status is not None:
                    popen._handle_exitstatus(status)
                    break
            if end is not None and time.monotonic() >= end:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        assert self.returncode is not None
        return int(self.returncode)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def popen_agepy(argv: Sequence[str | os.PathLike[str]], **kwargs: Any) -> AgepyPopen:
    """`python -m agepy ARGV` as a child process (see the module's docstring)."""
    return AgepyPopen(argv, **kwargs)


def popen_agepy_on_terminal(
    argv: Sequence[str | os.PathLike[str]], *, stdout: Any = None, **kwargs: Any
) -> tuple[AgepyPopen, int]:
    """`python -m agepy ARGV` as in a terminal window: in a session of its own whose
    controlling terminal is a new pseudo-terminal, also its stdin, stderr and (unless
    ``stdout`` says otherwise) stdout. Returns the process and the terminal's leader
    side, which the caller reads, writes and closes."""
    leader, follower = pty.openpty()
    try:
        process = popen_agepy(
            argv,
            stdin=follower,
            stdout=follower if stdout is None else stdout,
            stderr=follower,
            start_new_session=True,
            controlling_terminal=True,
            **kwargs,
        )
    except BaseException:
        os.close(leader)
        raise
    finally:
        os.close(follower)
    return process, leader
