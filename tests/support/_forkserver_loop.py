"""The fork server's own side: the loop that forks a child per request, and what each
child does before it runs agepy (see :mod:`tests.support.forkserver`, the side tests call).

It runs in a fresh interpreter of its own, started by the client; nothing here runs in
the test process except the message formats below.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import fcntl
import gc
import io
import json
import os
import select
import signal
import socket
import struct
import sys
import termios
import threading
from typing import Any

__all__ = ["MAX_REQUEST", "STARTED", "STATUS", "serve"]

# The child's first message: its pid and the errno of its set-up (0: running agepy).
STARTED = struct.Struct("=ii")
# The server's last message: the child's wait status.
STATUS = struct.Struct("=i")
MAX_REQUEST = 1 << 20


def _preload() -> None:
    """Import agepy's command line, every command module and what they import on first
    use, as a run may import them."""
    import importlib

    import agepy.cli as cli

    specs = [
        *(spec for spec, _help in cli.COMMANDS.values()),
        *cli.ENCRYPT_GENERATORS.values(),
        *cli.SECRET_COMMANDS.values(),
    ]
    # And what cryptography and click import only when first used (loading a key,
    # wrapping help text): else each child imports them again.
    later = ["cryptography.hazmat.backends.openssl.backend", "click._textwrap"]
    for module in [*(spec.split(":")[0] for spec in specs), *later]:
        importlib.import_module(module)


def serve() -> None:
    """The server's loop: fork a child per request, send each child's wait status."""
    control = socket.socket(fileno=int(sys.argv[1]))
    os.set_inheritable(control.fileno(), False)
    # What this fresh interpreter started with, before the server changes anything.
    initial: dict[int, Any] = {
        signum: signal.getsignal(signum)
        for signum in signal.valid_signals()
        if signum not in (signal.SIGKILL, signal.SIGSTOP)
    }
    mask: set[int] = set(signal.pthread_sigmask(signal.SIG_BLOCK, []))
    streams = {
        name: (getattr(sys, name).encoding, getattr(sys, name).errors)
        for name in ("stdin", "stdout", "stderr")
    }
    _preload()
    assert threading.active_count() == 1, threading.enumerate()
    # The children's collector leaves what the server imported alone (untouched pages
    # stay shared with the server instead of being copied into each child).
    gc.collect()
    gc.freeze()

    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: None)
    running: dict[int, socket.socket] = {}  # pid -> reply socket, until the child ended
    # A child that ended stays a zombie (as a subprocess child does until its parent
    # waits): its pid and process group stay taken until the caller read its status
    # and closed the reply socket. reply socket's descriptor -> (pid, reply socket)
    ended: dict[int, tuple[int, socket.socket]] = {}
    poller = select.poll()
    poller.register(control.fileno(), select.POLLIN)
    poller.register(wake_read, select.POLLIN)
    while True:
        events = dict(poller.poll())
        if wake_read in events:
            with contextlib.suppress(BlockingIOError):
                while os.read(wake_read, 4096):
                    pass
        for pid, reply in list(running.items()):
            status = _ended(pid)
            if status is not None:
                del running[pid]
                with contextlib.suppress(OSError):
                    reply.sendall(STATUS.pack(status))
                ended[reply.fileno()] = (pid, reply)
                poller.register(reply.fileno(), select.POLLIN)
        for fd in events.keys() & ended.keys():  # the caller is done with it: reap
            pid, reply = ended.pop(fd)
            poller.unregister(fd)
            os.waitpid(pid, 0)
            reply.close()  # the caller's wait returns now, with the pid free
        if control.fileno() in events:
            message, fds, _flags, _address = socket.recv_fds(control, MAX_REQUEST, 4)
            if not message:
                return
            request = json.loads(message)
            reply = socket.socket(fileno=fds[3])
            pid = os.fork()
            if pid == 0:
                own = [control, *running.values(), *(r for _, r in ended.values())]
                _child(
                    request, fds[:3], reply, own, (wake_read, wake_write), initial, mask, streams
                )
            for fd in fds[:3]:
                os.close(fd)
            running[pid] = reply


def _ended(pid: int) -> int | None:
    """The wait status of child ``pid`` if it ended, leaving it to be waited for."""
    info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    if info is None or info.si_pid == 0:
        return None
    if info.si_code == os.CLD_EXITED:
        return (info.si_status & 0xFF) << 8
    return info.si_status | (0x80 if info.si_code == os.CLD_DUMPED else 0)


def _child(
    request: dict[str, Any],
    fds: list[int],
    reply: socket.socket,
    server_sockets: list[socket.socket],
    server_fds: tuple[int, int],
    initial: dict[int, Any],
    mask: set[int],
    streams: dict[str, tuple[str, str]],
) -> None:
    """In the forked child: become `python -m agepy ARGV`; never returns."""
    status = 255
    try:
        signal.set_wakeup_fd(-1)
        for signum, handler in initial.items():
            with contextlib.suppress(OSError, ValueError):
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        error = 0
        try:
            if request["new_session"]:
                os.setsid()
            for sock in server_sockets:
                os.close(sock.detach())
            for fd in server_fds:
                os.close(fd)
            for standard, fd in enumerate(fds):
                os.dup2(fd, standard)
            if request["controlling_terminal"]:
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            if request["drop_dac"]:
                _drop_capabilities(_DAC_CAPABILITIES)
            os.chdir(request["cwd"])
            os.umask(request["umask"])
            os.environ.clear()
            os.environ.update(request["env"])
        except OSError as exc:
            error = exc.errno or errno.EIO
        reply.sendall(STARTED.pack(os.getpid(), error))
        os.close(reply.detach())
        if error:
            os._exit(255)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        status = _run_as_main(request["argv"], streams, request["script"])
    finally:
        os._exit(status)


_DAC_CAPABILITIES = (1, 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
_PR_CAPBSET_DROP = 24
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in ("effective", "permitted", "inheritable")]


def _drop_capabilities(numbers: tuple[int, ...]) -> None:
    """Take ``numbers`` out of this process's capability sets and its bounding set (so
    no program it executes gets them back); OSError if the kernel refuses."""
    libc = ctypes.CDLL(None, use_errno=True)
    for number in numbers:
        if libc.prctl(_PR_CAPBSET_DROP, number, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    for number in numbers:
        word, bit = divmod(number, 32)
        for field in ("effective", "permitted", "inheritable"):
            setattr(data[word], field, getattr(data[word], field) & ~(1 << bit))
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def _standard_streams(streams: dict[str, tuple[str, str]]) -> None:
    """sys.stdin/stdout/stderr on descriptors 0, 1, 2, as the interpreter makes them."""
    made = []
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        encoding, errors = streams[name]
        raw = io.FileIO(fd, "rb" if fd == 0 else "wb", closefd=False)
        interactive = raw.isatty()
        buffered: io.BufferedIOBase
        buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        text = io.TextIOWrapper(
            buffered,
            encoding=encoding,
            errors=errors,
            newline="\n",
            line_buffering=fd == 2 or (fd == 1 and interactive),
        )
        text.mode = "r" if fd == 0 else "w"  # type: ignore[misc]
        made.append(text)
    sys.stdin, sys.stdout, sys.stderr = made
    for name, stream in zip(("__stdin__", "__stdout__", "__stderr__"), made, strict=True):
        setattr(sys, name, stream)


def _run_as_main(
    argv: list[str], streams: dict[str, tuple[str, str]], script: str | None = None
) -> int:
    """Run agepy as `python -m agepy` does (or ``script`` as executing it does) and end as
    the interpreter ends; the status."""
    import runpy
    import tempfile

    interrupted = False
    try:
        _standard_streams(streams)
        if script is None:
            sys.argv = ["-m", *argv]
            sys.orig_argv = [sys.executable, "-m", "agepy", *argv]
            sys.path[0] = os.getcwd()
        else:  # the kernel runs `python SCRIPT ARGV`; Python puts the script's folder first
            sys.argv = [script, *argv]
            sys.orig_argv = [sys.executable, script, *argv]
            sys.path[0] = os.path.dirname(os.path.realpath(script))
        tempfile.tempdir = None
        status = 0
        try:
            if script is None:
                runpy._run_module_as_main("agepy")  # type: ignore[attr-defined]
            else:
                runpy.run_path(script, run_name="__main__")
        except SystemExit as exc:
            status = _exit_status(exc.code)
        except KeyboardInterrupt:
            sys.excepthook(*sys.exc_info())
            interrupted = True
        except BaseException:
            sys.excepthook(*sys.exc_info())
            status = 1
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                status = 120
    except KeyboardInterrupt:
        interrupted = True
    if interrupted:
        # As the interpreter ends after an uncaught KeyboardInterrupt: killed by SIGINT.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        return 128 + signal.SIGINT
    return status


def _exit_status(code: object) -> int:
    """What the interpreter exits with for ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(Exception):
        print(code, file=sys.stderr)
    return 1
