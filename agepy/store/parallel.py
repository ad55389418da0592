"""Rekey on several cores: forked workers encrypt, this process writes.

Python code holds the GIL between the crypto calls, so threads do not help; forked
workers inherit the loaded rules and the unlocked identities (no second passphrase prompt, no second
evaluation of secrets.nix). Workers take a few files at a time from a pipe of tickets,
decrypt and re-encrypt each in memory, and send the new ciphertext (never plaintext)
back on a pipe. This process writes each file atomically (the same BatchWriter as the
serial path) and reports it once it is in place, so progress is per file.

Why the parent writes: file-system calls in a worker's own threads would contend with
its crypto for that worker's GIL, and cost it a quarter of its speed.

Each worker dies with its parent (PR_SET_PDEATHSIG), so a killed run leaves no worker
behind; SIGINT or SIGTERM makes a worker take no more files.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import signal
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agepy._files import Stamp, file_mode, file_stamp
from agepy.age import read_header
from agepy.errors import AgepyError, Reason, StoreError
from agepy.store._worker_pipes import (
    FAILED,
    RECORD,
    Tickets,
    failure_from_record,
    failure_record,
    send,
)
from agepy.store.writer import BatchWriter

if TYPE_CHECKING:
    from agepy.store.store import Store

__all__ = [
    "MIN_PARALLEL",
    "Outcome",
    "changed_while_rekeyed",
    "default_jobs",
    "rekey_files",
    "rekey_parallel",
]

# Below this many files, forking costs more than it saves.
MIN_PARALLEL = 24
_PR_SET_PDEATHSIG = 1
# Records come hundreds a second: reading them in batches keeps this process off the
# cores the workers need.
_READ_INTERVAL = 0.005
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
Outcome = tuple[str, AgepyError | None]  # name, and why it failed (None: rekeyed)


def default_jobs(count: int) -> int:
    """How many worker processes for ``count`` files (1: do it in this process)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if count < MIN_PARALLEL or not sys.platform.startswith("linux"):
        return 1
    return max(1, min(cpus or 1, 8))


def rekey_files(
    store: Store, names: Iterable[str], done: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Decrypt and re-encrypt each named file in this process.

    A file that cannot be decrypted or encrypted is a failed outcome and the run goes on;
    a file that cannot be written raises StoreError (the next would fail alike). ``done``
    hears of each file once its new version is in place (or failed)."""

    names = list(names)
    outcomes: list[Outcome] = []
    by_file: dict[Path, Outcome] = {}

    def changed(path: Path) -> None:
        outcome = _changed_outcome(by_file.pop(path)[0])
        outcomes[outcomes.index((outcome[0], None))] = outcome
        if done is not None:
            done(outcome)

    with BatchWriter(
        on_commit=None if done is None else lambda p: done(by_file.pop(p)),
        stamps=_stamps(store, names),
        on_changed=changed,
    ) as w:
        for name in names:
            secret = store.rules.secrets[name]
            try:
                data = store.encrypt_secret(secret, store.decrypt_secret(secret))
            except AgepyError as exc:
                outcome: Outcome = (name, exc)
                outcomes.append(outcome)
                if done is not None:
                    done(outcome)
                continue
            outcome = (name, None)
            outcomes.append(outcome)
            by_file[secret.file] = outcome
            w.write(secret.file, data, mode=file_mode(secret.file))
    return outcomes


def _stamps(store: Store, names: Sequence[str]) -> dict[Path, Stamp | None]:
    """Each file as it is before it is read: a file that changes before its new version
    lands (someone wrote it meanwhile) is left as it is."""
    files = [store.rules.secrets[name].file for name in names]
    return {file: file_stamp(file) for file in files}


def _changed_outcome(name: str) -> Outcome:
    return (name, changed_while_rekeyed())


def changed_while_rekeyed() -> StoreError:
    return StoreError(
        "it changed on disk while being rekeyed; left as it is",
        hint="rekey it again to rekey its new content",
        reason=Reason.CHANGED_WHILE_REKEYED,
    )


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _prepare(store: Store, names: Sequence[str]) -> None:
    """Load everything workers need, and unlock (ask passphrases) here, once."""

    rules = store.rules
    locked = [i for i in store.identities if i.encrypted and not i.unlocked]
    if not locked:
        return
    tags: set[str] = set()
    for name in names:
        with contextlib.suppress(AgepyError):
            tags.update(read_header(rules.secrets[name].file).ssh_tags())
    for identity in locked:
        if identity.tag is None or identity.tag in tags:
            identity.unwrapper()


def _worker(store: Store, names: Sequence[str], tickets: Tickets, out: int) -> None:
    """A forked child: decrypt and re-encrypt the files of the tickets, sending one
    record per file on ``out``. Never returns: the child must not run on into the
    parent's code. SIGINT and SIGTERM make it take no more files."""

    code = 0
    try:
        _die_with_parent()
        stop: list[int] = []

        def request_stop(signum: int, frame: object) -> None:
            stop.append(signum)

        for signum in _STOP_SIGNALS:
            signal.signal(signum, request_stop)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        index_of = {name: i for i, name in enumerate(names)}
        for name in tickets.take(names, stop):
            secret = store.rules.secrets[name]
            try:
                data = store.encrypt_secret(secret, store.decrypt_secret(secret))
                mode = file_mode(secret.file)
            except AgepyError as exc:
                data, mode = failure_record(exc), FAILED
            send(out, RECORD.pack(index_of[name], mode, len(data)) + data)
        code = 1 if stop else 0
    except BaseException:  # the parent reports a worker that died
        code = 1
    finally:
        os._exit(code)


def rekey_parallel(
    store: Store,
    names: Sequence[str],
    jobs: int,
    done: Callable[[Outcome], None],
) -> None:
    """Rekey ``names`` with ``jobs`` forked workers; ``done`` is called per file.

    Raises StoreError when a file cannot be written (the run stops) or a worker died.
    """

    _prepare(store, names)
    stamps = _stamps(store, names)
    try:
        tickets = Tickets(len(names))
    except OSError as exc:
        raise _start_error(exc) from None
    children: dict[int, int] = {}  # pipe read end -> pid
    reported = 0

    def report(outcome: Outcome) -> None:
        nonlocal reported
        reported += 1
        done(outcome)

    sys.stdout.flush()
    sys.stderr.flush()
    try:
        for _ in range(jobs):
            read_end, pid = _start(store, names, tickets, list(children))
            children[read_end] = pid
        pending: dict[Path, str] = {}  # file -> name, until it is in place
        with BatchWriter(
            on_commit=lambda p: report((pending.pop(p), None)),
            stamps=stamps,
            on_changed=lambda p: report(_changed_outcome(pending.pop(p))),
        ) as writer:
            _collect(store, names, list(children), tickets, writer, pending, report)
    except BaseException:
        # Stop the workers: they take no more files.
        for pid in children.values():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        raise
    finally:
        died = False
        tickets.close()
        for fd, pid in children.items():
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(ChildProcessError):
                died |= os.waitpid(pid, 0)[1] != 0
    if died or reported < len(names):
        raise StoreError(
            "a rekey worker process died; files already rekeyed are complete",
            hint="rekey again: it picks up what is still stale",
            reason=Reason.REKEY_WORKER_DIED,
        )


def _start(
    store: Store, names: Sequence[str], tickets: Tickets, others: list[int]
) -> tuple[int, int]:
    """Fork one worker; return the read end of its pipe and its pid."""
    try:
        read_end, write_end = os.pipe()
    except OSError as exc:
        raise _start_error(exc) from None
    # Ctrl-C right at the fork must wait until the child has its handlers.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            for fd in others:
                os.close(fd)
            tickets.close_writing()  # else the tickets would never reach end-of-file
            _worker(store, names, tickets, write_end)
    except OSError as exc:
        os.close(read_end)
        raise _start_error(exc) from None
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        os.close(write_end)
    return read_end, pid


def _start_error(exc: OSError) -> StoreError:
    return StoreError(
        f"cannot start rekey workers: {exc.strerror or exc}",
        hint="free some memory or processes and rekey again",
        reason=Reason.REKEY_WORKERS_FAILED,
    )


def _collect(
    store: Store,
    names: Sequence[str],
    pipes: list[int],
    tickets: Tickets,
    writer: BatchWriter,
    pending: dict[Path, str],
    report: Callable[[Outcome], None],
) -> None:
    """Read the workers' records until every pipe is closed; hand each new ciphertext
    to ``writer``, report each failure, and write the tickets the pipe had no room for."""
    buffers = {fd: bytearray() for fd in pipes}
    with selectors.DefaultSelector() as selector:
        for fd in pipes:
            selector.register(fd, selectors.EVENT_READ)
        if not tickets.all_written:
            selector.register(tickets.write_end, selectors.EVENT_WRITE)
        while buffers:
            for key, _ in selector.select():
                fd = int(key.fd)
                if fd == tickets.write_end:
                    selector.unregister(fd)
                    tickets.fill()
                    if not tickets.all_written:
                        selector.register(tickets.write_end, selectors.EVENT_WRITE)
                    continue
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    selector.unregister(fd)
                    del buffers[fd]
                    continue
                buffer = buffers[fd]
                buffer += chunk
                start = 0
                while len(buffer) - start >= RECORD.size:
                    index, mode, length = RECORD.unpack_from(buffer, start)
                    end = start + RECORD.size + length
                    if len(buffer) < end:
                        break
                    payload = bytes(buffer[start + RECORD.size : end])
                    start = end
                    name = names[index]
                    if mode == FAILED:
                        report((name, failure_from_record(payload)))
                        continue
                    file = store.rules.secrets[name].file
                    pending[file] = name
                    writer.write(file, payload, mode=mode)
                del buffer[:start]
            if buffers:
                time.sleep(_READ_INTERVAL)
