"""Rekey on several cores: forked worker processes that share out the files.

pyrage holds the GIL, so threads do not help; forked workers inherit the loaded rules
and the unlocked identities (no second passphrase prompt, no second evaluation of
secrets.nix). Workers take a few files at a time from a shared counter, write each
atomically as the serial path does, and report each file on a pipe as soon as it is in
place, so progress is per file and no worker waits for another at a batch boundary.
Each worker dies with its parent (PR_SET_PDEATHSIG), so a killed run leaves no worker
behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import multiprocessing
import os
import selectors
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agepy.errors import AgepyError, StoreError

if TYPE_CHECKING:
    from agepy.store.store import Store

__all__ = ["MIN_PARALLEL", "default_jobs", "rekey_files", "rekey_parallel"]

# Below this many files, forking costs more than it saves.
MIN_PARALLEL = 24
# Files a worker takes from the shared counter at a time: few enough to balance at the
# end, enough that the counter's lock is rarely contended.
_BATCH = 4
_PR_SET_PDEATHSIG = 1
_REPORT_INTERVAL = 0.005
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}

Outcome = tuple[str, str | None, str | None]  # name, error message, hint


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
    from agepy.store.store import file_mode
    from agepy.store.writer import BatchWriter

    outcomes: list[Outcome] = []
    with BatchWriter(on_commit=None if done is None else lambda p: done(by_file.pop(p))) as w:
        by_file: dict[Path, Outcome] = {}
        for name in names:
            secret = store.rules.secrets[name]
            try:
                data = store.encrypt_secret(secret, store.decrypt_secret(secret))
            except AgepyError as exc:
                outcome: Outcome = (name, exc.message, exc.hint)
                outcomes.append(outcome)
                if done is not None:
                    done(outcome)
                continue
            outcome = (name, None, None)
            outcomes.append(outcome)
            by_file[secret.file] = outcome
            w.write(secret.file, data, mode=file_mode(secret.file))
    return outcomes


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _prepare(store: Store, names: Sequence[str]) -> None:
    """Load everything workers need, and unlock (ask passphrases) here, once."""
    from agepy.age import read_header

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
            identity.to_pyrage()


def _worker(store: Store, names: Sequence[str], counter: _Counter, out: int) -> None:
    """A forked child: rekey files taken from ``counter``, reporting one JSON line per
    file on ``out``: [index, error, hint], or [-1, error, hint] for an error that stops
    the run. Never returns: the child must not run on into the parent's code.

    SIGINT and SIGTERM (Ctrl-C, or the parent stopping the run) make it take no more
    files; the files already handed to the writer still land, so none is left half done.
    """
    code = 0
    try:
        _die_with_parent()
        stop: list[int] = []

        def request_stop(signum: int, frame: object) -> None:
            stop.append(signum)

        for signum in _STOP_SIGNALS:
            signal.signal(signum, request_stop)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        with os.fdopen(out, "w", buffering=1) as report:
            index_of = {name: i for i, name in enumerate(names)}

            def tell(outcome: Outcome) -> None:
                report.write(json.dumps([index_of[outcome[0]], outcome[1], outcome[2]]) + "\n")

            try:
                rekey_files(store, _take(counter, names, stop), tell)
            except AgepyError as exc:
                report.write(json.dumps([-1, exc.message, exc.hint]) + "\n")
                code = 1
        code = code or (1 if stop else 0)
    except BaseException:  # the parent reports a worker that died
        code = 1
    finally:
        os._exit(code)


class _Counter:
    """The index of the next file to hand out, shared by the forked workers."""

    def __init__(self) -> None:
        self._value = multiprocessing.get_context("fork").Value("q", 0)

    def take(self, count: int) -> int:
        with self._value.get_lock():
            start = int(self._value.value)
            self._value.value = start + count
        return start


def _take(counter: _Counter, names: Sequence[str], stop: list[int]) -> Iterator[str]:
    """Names from the shared counter, a few at a time, until none is left or ``stop``."""
    while not stop and (start := counter.take(_BATCH)) < len(names):
        for name in names[start : start + _BATCH]:
            if stop:
                return
            yield name


def rekey_parallel(
    store: Store,
    names: Sequence[str],
    jobs: int,
    done: Callable[[Outcome], None],
) -> None:
    """Rekey ``names`` with ``jobs`` forked workers; ``done`` is called per file."""
    _prepare(store, names)
    counter = _Counter()
    fatal: StoreError | None = None
    reported = 0
    children: dict[int, int] = {}  # pipe read end -> pid
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        for _ in range(jobs):
            read_end, write_end = os.pipe()
            # Ctrl-C right at the fork must wait until the child has its handlers.
            signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
            try:
                pid = os.fork()
                if pid == 0:
                    os.close(read_end)
                    for fd in children:
                        os.close(fd)
                    _worker(store, names, counter, write_end)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
            os.close(write_end)
            children[read_end] = pid
        reported, fatal = _collect(names, list(children), done)
    except BaseException:
        # Stop the workers: they finish the files they are writing and take no more.
        for pid in children.values():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        raise
    finally:
        died = False
        for fd, pid in children.items():
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(ChildProcessError):
                died |= os.waitpid(pid, 0)[1] != 0
    if fatal is not None:
        raise fatal
    if died or reported < len(names):
        raise StoreError(
            "a rekey worker process died; files already rekeyed are complete",
            hint="run agepy rekey again: it picks up what is still stale",
        )


def _collect(
    names: Sequence[str], pipes: list[int], done: Callable[[Outcome], None]
) -> tuple[int, StoreError | None]:
    """Read the workers' reports until every pipe is closed: how many files were
    reported, and the first error that stopped a worker."""
    reported, fatal = 0, None
    buffers = {fd: b"" for fd in pipes}
    with selectors.DefaultSelector() as selector:
        for fd in pipes:
            selector.register(fd, selectors.EVENT_READ)
        while buffers:
            for key, _ in selector.select():
                fd = int(key.fd)
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    selector.unregister(fd)
                    del buffers[fd]
                    continue
                *lines, buffers[fd] = (buffers[fd] + chunk).split(b"\n")
                for line in lines:
                    index, error, hint = json.loads(line)
                    if index < 0:
                        fatal = fatal or StoreError(error, hint=hint)
                        continue
                    done((names[index], error, hint))
                    reported += 1
            if buffers:
                # Reports come hundreds a second: reading them in batches keeps this
                # process off the cores the workers need (a progress bar needs no more).
                time.sleep(_REPORT_INTERVAL)
    return reported, fatal
