"""Crash safety: `agepy rekey --force` killed with SIGKILL at random moments, then rerun.

After every kill each file still parses and decrypts to its original plaintext (atomic
replacement: old or new, never half); in the end `check` is clean, no temp file is left
beside the secrets and no plaintext marker is anywhere in the secrets folder or the
system temp folder.
"""

from __future__ import annotations

import os
import secrets
import select
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from agepy.age import decrypt_bytes, parse_header
from agepy.age.identities import load_identities
from agepy.store.parallel import MIN_PARALLEL
from tests.conftest import FindLeaks
from tests.support.cli import run_agepy
from tests.support.forkserver import popen_agepy
from tests.support.inotify import Renames
from tests.support.keys import Key
from tests.support.repo import MakeRepo

COUNT = 200
KILLS = 30
# The store the 30 kills land in: big enough for a parallel rekey (forked workers, from
# MIN_PARALLEL files on), small enough that 30 runs stay cheap.
KILLED_COUNT = MIN_PARALLEL + 8


def _env(cwd: Path, runtime: Path) -> dict[str, str]:
    # A private runtime folder: any plaintext folder agepy made would show up there.
    env = dict(os.environ, NO_COLOR="1", HOME=str(cwd), XDG_RUNTIME_DIR=str(runtime))
    env.pop("RULES", None)
    return env


def _processes_in(folder: Path) -> list[int]:
    """Processes (other than this one) whose current folder is ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                if Path(os.readlink(proc / "cwd")) == folder:
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


_PF_EXITING = 0x4
_SIGKILL_BIT = 1 << (signal.SIGKILL - 1)


def _dying(pid: int) -> bool:
    """Whether process ``pid`` is gone, exiting, or has a SIGKILL pending (as a worker
    has from the moment its parent died, PR_SET_PDEATHSIG, until it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    flags = int(stat[stat.rindex(")") + 2 :].split()[6])
    pending = 0
    for line in status.splitlines():
        if line.startswith(("SigPnd:", "ShdPnd:")):
            pending |= int(line.split()[1], 16)
    return bool(flags & _PF_EXITING or pending & _SIGKILL_BIT)


def _wait_gone(pids: list[int]) -> None:
    """Until every process of ``pids`` has exited."""
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            assert select.select([fd], [], [], 60)[0], f"process {pid} did not end"
        finally:
            os.close(fd)


def _rekey_args(folder: Path, key: Key, *options: str) -> tuple[list[str], dict[str, str]]:
    """The `agepy rekey --force` arguments and environment for ``folder`` (with a private
    runtime folder)."""
    argv = ["rekey", "--force", *options, "-i", str(key.private)]
    runtime = folder.parent / "runtime"
    runtime.mkdir(mode=0o700)
    return argv, _env(folder, runtime)


def _rekey_once(folder: Path, key: Key, *options: str) -> tuple[list[str], dict[str, str]]:
    """:func:`_rekey_args`, after one whole run of it as a child process (forked by
    tests.support.forkserver, as every run here), which must succeed."""
    argv, env = _rekey_args(folder, key, *options)
    process = popen_agepy(argv, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = process.communicate()
    assert process.returncode == 0, err
    return argv, env


@pytest.mark.slow
def test_rekey_survives_sigkill(
    make_repo: MakeRepo, keys: dict[str, Key], find_leaks: FindLeaks
) -> None:
    start = time.time() - 1
    names = [f"s{i:03}.age" for i in range(KILLED_COUNT)]
    entries = {
        n: (["alice", "host"] if i % 2 else ["alice", "bob", "host2"]) for i, n in enumerate(names)
    }
    repo = make_repo(entries, armored=names[::10])
    identities = load_identities([keys["alice"].private])
    argv, env = _rekey_once(repo.dir, keys["alice"], "-q")
    runtime = Path(env["XDG_RUNTIME_DIR"])

    draw = secrets.SystemRandom()
    interrupted_writes = 0
    verified: dict[str, bytes] = {}  # name -> the bytes last seen to decrypt right
    for _ in range(KILLS):
        mtimes = {n: (repo.dir / n).stat().st_mtime_ns for n in names}
        with Renames(repo.dir) as renames:
            process = popen_agepy(
                argv, cwd=repo.dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            # A random moment of the run: as soon as it started (0), or once a random
            # number of files were put in place while the workers encrypt the next ones.
            renames.wait_for(draw.randrange(KILLED_COUNT), process)
            process.send_signal(signal.SIGKILL)
        process.wait()
        changed = sum(1 for n in names if (repo.dir / n).stat().st_mtime_ns != mtimes[n])
        interrupted_writes += 0 < changed < KILLED_COUNT
        for name in names:
            data = (repo.dir / name).read_bytes()
            if data == verified.get(name):
                continue  # the very bytes that parsed and decrypted after an earlier kill
            if not data.startswith(b"-----BEGIN"):
                parse_header(data)
            assert decrypt_bytes(data, identities) == repo.plaintexts[name], name
            verified[name] = data

    # Forked workers die with their parent: none is left but those being killed now
    # (the kernel sends their SIGKILL as the parent dies; they end a moment later).
    left = _processes_in(repo.dir)
    assert [pid for pid in left if not _dying(pid)] == []
    _wait_gone(left)
    final = run_agepy(argv, cwd=repo.dir, env=env)
    assert final.returncode == 0, final.stderr
    check = run_agepy(["check"], cwd=repo.dir, env=env)
    assert check.returncode == 0, check.stdout
    leftovers = [p.name for p in repo.dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    markers = sorted({p.split(b"-")[1] for p in repo.plaintexts.values()})
    assert markers and all(len(m) == 16 for m in markers)
    needles = [b"PLAINTEXT-" + m for m in markers]
    assert find_leaks(needles, start) == []  # the secrets folder, /tmp, /dev/shm, ...
    assert list(runtime.iterdir()) == []
    assert list(Path(tempfile.gettempdir()).glob("agepy-plain-*")) == []
    # Not an assertion on timing: just that the kills did land inside runs sometimes.
    print(f"{interrupted_writes} of {KILLS} kills landed mid-rekey")


@pytest.mark.slow
def test_ctrl_c_stops_a_parallel_rekey_cleanly(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it): the run stops
    with exit 130 and one line, and leaves no worker, no temp file, no damaged file."""
    names = [f"s{i:03}.age" for i in range(COUNT)]
    repo = make_repo({n: ["alice", "bob"] for n in names})
    identities = load_identities([keys["alice"].private])
    argv, env = _rekey_args(repo.dir, keys["alice"])

    draw = secrets.SystemRandom()
    for _ in range(4):
        with Renames(repo.dir) as renames:
            process = popen_agepy(
                argv,
                cwd=repo.dir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            # Mid-rekey: after a random number of files were replaced, well before the
            # last (a signal after the run's summary would interrupt what follows it).
            renames.wait_for(draw.randint(1, COUNT * 3 // 4), process)
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=60)
        # -SIGINT: the signal came as Python was exiting after a finished run.
        assert process.returncode in (0, 130, -signal.SIGINT), err
        if process.returncode == 130:
            assert err.decode().strip().splitlines() == ["agepy: error: interrupted"]
        assert _processes_in(repo.dir) == []
        assert [p.name for p in repo.dir.iterdir() if p.name.endswith(".tmp")] == []
        for name in names:
            data = (repo.dir / name).read_bytes()
            assert decrypt_bytes(data, identities) == repo.plaintexts[name], name


@pytest.mark.slow
def test_a_worker_killed_mid_rekey_ends_the_run_with_an_error(
    make_repo: MakeRepo, keys: dict[str, Key]
) -> None:
    """SIGKILL to one worker (as the OOM killer would): the run neither hangs nor lies;
    it ends with one error line, and every file still decrypts."""
    names = [f"s{i:03}.age" for i in range(COUNT * 2)]
    repo = make_repo({n: ["alice", "bob"] for n in names})
    identities = load_identities([keys["alice"].private])
    argv, env = _rekey_args(repo.dir, keys["alice"], "-q")
    process = popen_agepy(argv, cwd=repo.dir, env=env, stderr=subprocess.PIPE)
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 30
    workers: list[str] = []
    while not workers and time.monotonic() < deadline and process.poll() is None:
        workers = children.read_text().split() if children.exists() else []
    if workers:
        os.kill(int(workers[0]), signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    print(f"workers {workers}, exit {process.returncode}: {err.decode().strip()}")
    if workers and process.returncode != 0:  # the kill landed before that worker finished
        assert err.decode().strip().splitlines()[0] == (
            "agepy: error: a rekey worker process died; files already rekeyed are complete"
        )
    assert [p.name for p in repo.dir.iterdir() if p.name.endswith(".tmp")] == []
    for name in names:
        assert decrypt_bytes((repo.dir / name).read_bytes(), identities) == repo.plaintexts[name]
