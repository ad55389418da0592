"""Lazy rekey (only stale files are rewritten) and `agepy check` (headers only)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agepy.errors import StoreError
from agepy.store import Store
from tests.store.conftest import run_agepy
from tests.support.keys import Key
from tests.support.repo import MakeRepo

ENTRIES = {
    "a.age": ["alice", "host"],
    "b.age": ["alice", "bob"],
    "c.age": ["alice"],
    "hosts/d.age": ["alice", "host", "host2"],
}


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*.age"))
    }


def test_lazy_rekey_touches_only_the_changed_entry(
    make_repo: MakeRepo, keys: dict[str, Key], age_bin: str
) -> None:
    repo = make_repo(ENTRIES)
    assert run_agepy(["check"], cwd=repo.dir).returncode == 0
    before = snapshot(repo.dir)
    repo.rules.write_text(repo.rules.read_text().replace("[ alice bob ]", "[ alice bob carol ]"))

    check = run_agepy(["check"], cwd=repo.dir)
    assert check.returncode == 1
    assert check.stdout.decode().splitlines() == ["stale: b.age: not encrypted to carol"]

    dry = run_agepy(["rekey", "--dry-run", "--json"], cwd=repo.dir)
    assert dry.returncode == 0, dry.stderr
    plan = {f["name"]: f for f in json.loads(dry.stdout)["files"]}
    assert plan["b.age"]["action"] == "would-rekey"
    assert plan["b.age"]["reasons"] == ["not encrypted to carol"]
    assert {n for n, f in plan.items() if f["action"] == "skipped"} == set(ENTRIES) - {"b.age"}
    assert snapshot(repo.dir) == before

    result = run_agepy(["rekey", "-i", str(keys["alice"].private)], cwd=repo.dir)
    assert result.returncode == 0, result.stderr
    assert "1 rekeyed, 3 up to date" in result.stderr.decode()
    after = snapshot(repo.dir)
    assert {n for n in after if after[n] != before[n]} == {"b.age"}
    assert run_agepy(["check"], cwd=repo.dir).returncode == 0
    # carol can now read it, with the real age
    import subprocess

    out = subprocess.run(
        [age_bin, "-d", "-i", str(keys["carol"].private), str(repo.dir / "b.age")],
        capture_output=True,
        check=True,
    ).stdout
    assert out == repo.plaintexts["b.age"]


def test_staleness_reasons(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo(ENTRIES)
    text = repo.rules.read_text()
    text = text.replace(
        '"a.age" = { publicKeys = [ alice host ];', '"a.age" = { publicKeys = [ alice ];'
    )
    text = text.replace("[ alice host host2 ]", "[ alice host ]")
    text = text.replace(
        '"c.age" = { publicKeys = [ alice ];', '"c.age" = { publicKeys = [ alice ]; armor = true;'
    )
    repo.rules.write_text(text)
    (repo.dir / "b.age").write_bytes(b"not an age file\n")
    (repo.dir / "old.age").write_bytes((repo.dir / "a.age").read_bytes())
    (repo.dir / ".git").mkdir()
    (repo.dir / ".git" / "ignored.age").write_bytes(b"")
    findings = [str(f) for f in Store(repo.rules).check()]
    assert findings == [
        "stale: a.age: 1 X25519 stanza(s) for 0 X25519 key(s)",
        "unreadable: b.age: not an age file (no age-encryption.org header)",
        "stale: c.age: binary, the rules say armor",
        "stale: hosts/d.age: 2 X25519 stanza(s) for 1 X25519 key(s)",
        "orphan: old.age: no entry in secrets.nix (add one, or delete it)",
    ]
    result = run_agepy(["check", "--json"], cwd=repo.dir)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert [f["kind"] for f in data["findings"]] == [
        "stale",
        "unreadable",
        "stale",
        "stale",
        "orphan",
    ]


def test_rekey_goes_on_past_a_failure(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo({"a.age": ["alice"], "b.age": ["bob"], "c.age": ["alice"]})
    text = repo.rules.read_text().replace("[ alice ]", "[ alice carol ]")
    repo.rules.write_text(text.replace("[ bob ]", "[ bob carol ]"))
    store = Store(repo.rules, identities=[keys["alice"].private])
    report = store.rekey()
    assert report.rekeyed == ["a.age", "c.age"]
    assert [r.name for r in report.failed] == ["b.age"]
    assert "no identity opens" in (report.failed[0].error or "")
    assert not report.ok
    assert [f.file for f in store.check()] == ["b.age"]


def test_all_or_nothing_writes_nothing_on_a_failure(
    make_repo: MakeRepo, keys: dict[str, Key]
) -> None:
    repo = make_repo({"a.age": ["alice"], "b.age": ["bob"]})
    before = snapshot(repo.dir)
    store = Store(repo.rules, identities=[keys["alice"].private])
    with pytest.raises(StoreError, match="nothing was rekeyed"):
        store.rekey(["a.age", "b.age"], force=True, all_or_nothing=True)
    assert snapshot(repo.dir) == before
    report = store.rekey(["a.age"], force=True, all_or_nothing=True)
    assert report.rekeyed == ["a.age"]
    assert store.decrypt("a.age") == repo.plaintexts["a.age"]


def test_rekey_for_key_and_missing_files(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo({"a.age": ["alice"], "b.age": ["bob"], "c.age": ["alice"]})
    (repo.dir / "c.age").unlink()
    store = Store(repo.rules, identities=[keys["alice"].private])
    holding = [s.name for s in store.rules.secrets_for_key(keys["alice"].public_text)]
    report = store.rekey(holding, force=True)
    assert report.rekeyed == ["a.age"]
    assert [r.action for r in report.results] == ["rekeyed", "missing"]
    assert report.ok


def test_rekey_cleans_temp_files_left_by_a_kill(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo({"a.age": ["alice"]})
    dead = _dead_pid()
    leftover = repo.dir / f".a.age.agepy-{dead}-00aa11bb22cc.tmp"
    leftover.write_bytes(b"half a file")
    # Not agepy's to remove: a user's file, and a live run's temp file.
    users = repo.dir / ".a.age.bak.tmp"
    users.write_bytes(b"mine")
    live = repo.dir / f".a.age.agepy-{os.getppid()}-00aa11bb22cc.tmp"
    live.write_bytes(b"being written")
    Store(repo.rules, identities=[keys["alice"].private]).rekey(force=True)
    assert not leftover.exists()
    assert users.read_bytes() == b"mine"
    assert live.read_bytes() == b"being written"


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_passphrase_asked_once_for_a_parallel_rekey(
    make_repo: MakeRepo, keys: dict[str, Key], tmp_path: Path, ssh_keygen_bin: str
) -> None:
    import subprocess

    locked = tmp_path / "locked"
    subprocess.run(
        [ssh_keygen_bin, "-q", "-t", "ed25519", "-N", "sesame", "-C", "locked", "-f", str(locked)],
        check=True,
    )
    public = (tmp_path / "locked.pub").read_text().strip()
    names = [f"s{i:02}.age" for i in range(40)]
    repo = make_repo({n: ["alice"] for n in names})
    text = repo.rules.read_text().replace("in\n", f'  locked = "{public}";\nin\n', 1)
    repo.rules.write_text(text.replace("[ alice ]", "[ alice locked ]"))
    Store(repo.rules, identities=[keys["alice"].private]).rekey(jobs=2)
    asked: list[Path] = []

    def prompt(path: Path) -> str:
        asked.append(path)
        return "sesame"

    store = Store(repo.rules, identities=[locked], prompt=prompt)
    report = store.rekey(force=True, jobs=2)
    assert report.ok and len(report.rekeyed) == 40
    assert asked == [locked]
    assert (
        Store(repo.rules, identities=[keys["alice"].private]).decrypt("s07.age")
        == (repo.plaintexts["s07.age"])
    )


def test_rekey_only_the_secrets_that_list_a_key(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    """`rekey --key` by a key's text or its name (agenix's main branch has no `-r KEY`)."""
    repo = make_repo(ENTRIES)
    alice = str(keys["alice"].private)

    def rekeyed(args: list[str]) -> list[str]:
        before = snapshot(repo.dir)
        result = run_agepy(args, cwd=repo.dir)
        assert result.returncode == 0, result.stderr
        after = snapshot(repo.dir)
        return sorted(name for name in after if after[name] != before[name])

    assert rekeyed(["rekey", "--force", "--key", "bob", "-i", alice]) == ["b.age"]
    assert rekeyed(["rekey", "--force", "--key", keys["host"].public_text, "-i", alice]) == [
        "a.age",
        "hosts/d.age",
    ]
    store = Store(repo.rules)
    assert [s.name for s in store.rules.secrets_listing(keys["bob"].public_text + " bob@x")] == [
        "b.age"
    ]
    nobody = run_agepy(["rekey", "--key", keys["carol"].public_text, "-i", alice], cwd=repo.dir)
    assert nobody.returncode == 1
    assert nobody.stderr.decode().startswith("agepy: error: ")
    assert "no entry lists the key" in nobody.stderr.decode()
    unknown = run_agepy(["rekey", "--key", "dave", "-i", alice], cwd=repo.dir)
    assert unknown.returncode == 1 and "neither a public key nor a name" in unknown.stderr.decode()
    both = run_agepy(["rekey", "a.age", "--key", "bob", "-i", alice], cwd=repo.dir)
    assert both.returncode == 2
