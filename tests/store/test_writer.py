"""Many files replaced at once: each lands whole, failures stop the batch, no temp is left.

Also the parallel rekey built on it: forked workers report each file as it lands, a
file they cannot decrypt is named with its keys' names, and a write error stops the run
with the error itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import agepy.store.writer as writer_module
from agepy.errors import StoreError
from agepy.store import Store
from agepy.store.writer import BatchWriter
from tests.support.keys import Key
from tests.support.repo import MakeRepo


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_every_file_lands_with_its_mode_and_is_reported_in_order(tmp_path: Path) -> None:
    paths = [tmp_path / f"f{i:03}" for i in range(100)]
    for path in paths[::2]:
        path.write_bytes(b"old")
        path.chmod(0o640)  # an existing file keeps its own mode; new ones get mode= (umask)
    committed: list[Path] = []
    with BatchWriter(window=8, on_commit=committed.append) as writer:
        for path in paths:
            writer.write(path, path.name.encode(), mode=0o640 if path in paths[1::2] else 0o600)
    assert committed == paths
    assert all(p.read_bytes() == p.name.encode() for p in paths)
    assert {p.stat().st_mode & 0o777 for p in paths} == {0o640}
    assert _temps(tmp_path) == []


def test_data_held_for_writing_stays_within_the_byte_budget(tmp_path: Path) -> None:
    paths = [tmp_path / f"f{i}" for i in range(20)]
    with BatchWriter(max_pending_bytes=3000) as writer:
        for path in paths:
            writer.write(path, b"x" * 1000)
            assert writer._pending_bytes <= 3000
    assert all(p.read_bytes() == b"x" * 1000 for p in paths)


def test_a_failed_write_raises_and_leaves_no_temp_file(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.write_bytes(b"old")
    with pytest.raises(StoreError, match=r"cannot write .*missing/bad"), BatchWriter() as writer:
        writer.write(good, b"new")
        writer.write(tmp_path / "missing" / "bad", b"new")
    assert good.read_bytes() in (b"old", b"new")
    assert _temps(tmp_path) == []


def test_an_exception_in_the_batch_leaves_each_file_old_or_new(tmp_path: Path) -> None:
    paths = [tmp_path / f"f{i:03}" for i in range(200)]
    for path in paths:
        path.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), BatchWriter() as writer:
        for path in paths:
            writer.write(path, b"new")
        raise KeyboardInterrupt
    assert {p.read_bytes() for p in paths} <= {b"old", b"new"}
    assert _temps(tmp_path) == []


def test_parallel_rekey_reports_each_file_and_names_the_keys_of_a_failure(
    make_repo: MakeRepo, keys: dict[str, Key]
) -> None:
    names = [f"s{i:02}.age" for i in range(40)]
    repo = make_repo({n: ["bob"] if n == "s17.age" else ["alice", "host"] for n in names})
    heard: list[str] = []
    report = Store(repo.rules, identities=[keys["alice"].private]).rekey(
        force=True, jobs=2, progress=heard.append
    )
    assert sorted(heard) == names
    assert [r.name for r in report.failed] == ["s17.age"]
    assert "ssh-ed25519 bob" in (report.failed[0].error or "")
    assert len(report.rekeyed) == 39
    assert _temps(repo.dir) == []


def test_parallel_rekey_stops_on_a_write_error_with_that_error(
    make_repo: MakeRepo, keys: dict[str, Key], monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"s{i:02}.age" for i in range(40)]
    repo = make_repo({n: ["alice"] for n in names})
    real = writer_module._replace_atomically

    def full_disk(path: Path, *args: object) -> bool:
        if path.name == "s23.age":
            raise OSError(28, "No space left on device")
        return real(path, *args)  # type: ignore[arg-type]

    # A write fails as on a full disk (the parent process writes what workers encrypt).
    monkeypatch.setattr(writer_module, "_replace_atomically", full_disk)
    store = Store(repo.rules, identities=[keys["alice"].private])
    with pytest.raises(StoreError, match=r"cannot write .*s23\.age: No space left on device"):
        store.rekey(force=True, jobs=2)
    assert _temps(repo.dir) == []
    for name in names:
        assert store.decrypt(name) == repo.plaintexts[name]


def test_parallel_rekey_that_cannot_fork_says_so_and_changes_nothing(
    make_repo: MakeRepo, keys: dict[str, Key], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    names = [f"s{i:02}.age" for i in range(30)]
    repo = make_repo({n: ["alice"] for n in names})
    before = {n: (repo.dir / n).read_bytes() for n in names}

    def no_fork() -> int:
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    monkeypatch.setattr(os, "fork", no_fork)
    store = Store(repo.rules, identities=[keys["alice"].private])
    with pytest.raises(StoreError, match="cannot start rekey workers: Resource temporarily"):
        store.rekey(force=True, jobs=2)
    assert {n: (repo.dir / n).read_bytes() for n in names} == before


def test_tickets_beyond_what_a_pipe_holds_all_arrive_once() -> None:
    """More batches than a pipe holds: the rest are written as workers read."""
    import select
    import threading

    from agepy.store._worker_pipes import Tickets

    names = [str(i) for i in range(300_000)]  # 75,000 tickets, 300 KB: over 64 KiB
    tickets = Tickets(len(names))
    assert not tickets.all_written

    def keep_filling() -> None:
        while not tickets.all_written:
            select.select([], [tickets.write_end], [])
            tickets.fill()

    filler = threading.Thread(target=keep_filling)
    filler.start()
    try:
        assert list(tickets.take(names, [])) == names
    finally:
        filler.join()
        tickets.close()


def test_an_interruption_is_not_replaced_by_a_write_error_behind_it(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), BatchWriter() as writer:
        writer.write(tmp_path / "missing" / "bad", b"new")
        raise KeyboardInterrupt
    assert _temps(tmp_path) == []
