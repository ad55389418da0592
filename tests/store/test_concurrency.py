"""Concurrent writers: the store lock makes them take turns, so no update is lost.

Each round starts two agepy processes at once; whichever gets the lock second waits
(and says so). Nothing is timed: the rekey-beside-edit rounds synchronise on a line the
editor script writes, on the waiting message and on a line the editor reads. The
processes are real `python -m agepy` children, forked by tests.support.forkserver.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from agepy.store import Store
from tests.support.forkserver import popen_agepy
from tests.support.keys import Key
from tests.support.repo import MakeRepo

ROUNDS = 20


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, NO_COLOR="1", HOME=str(home), PYTHONPATH=os.pathsep.join(sys.path))
    for name in ("RULES", "VISUAL", "EDITOR"):
        env.pop(name, None)
    env.update(extra)
    return env


def _start(
    args: list[str], cwd: Path, env: dict[str, str], stdin: bytes | None = None
) -> subprocess.Popen[bytes]:
    process = popen_agepy(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if stdin is not None and process.stdin is not None:
        process.stdin.write(stdin)
        process.stdin.close()
        process.stdin = None  # communicate() must not flush it again
    return process


def _finish(process: subprocess.Popen[bytes]) -> bytes:
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return stderr


def test_two_add_hosts_at_once_lose_nothing(
    make_repo: MakeRepo, tmp_path: Path, ssh_keygen_bin: str
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    env = _env(tmp_path)
    names = []
    for round_ in range(ROUNDS):
        pair = []
        for side in "ab":
            name = f"h{side}{round_}"
            key = tmp_path / name
            subprocess.run(
                [ssh_keygen_bin, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True
            )
            names.append(name)
            args = ["add-host", name, "192.0.2.1", "--key-file", f"{key}.pub", "--yes"]
            pair.append(_start(args, repo.dir, env))
        for process in pair:
            _finish(process)
    rules = repo.rules.read_text()
    inventory = (repo.dir / "agepy.toml").read_text()
    assert [n for n in names if f"{n} = " not in rules] == []
    assert [n for n in names if f"[hosts.{n}]" not in inventory] == []


def test_two_new_secrets_at_once_lose_nothing(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo({"a.age": ["alice"]})
    env = _env(repo.dir)
    for round_ in range(ROUNDS):
        pair = [
            _start(
                ["edit", f"n{side}{round_}.age", "--to", "alice"],
                repo.dir,
                env,
                f"{side}{round_}".encode(),
            )
            for side in "ab"
        ]
        for process in pair:
            _finish(process)
    store = Store(repo.rules, identities=[keys["alice"].private])
    for round_ in range(ROUNDS):
        for side in "ab":
            assert store.decrypt(f"n{side}{round_}.age") == f"{side}{round_}".encode()
    assert not [p for p in repo.dir.iterdir() if p.name.endswith(".tmp")]


def _wait_for(line: bytes, process: subprocess.Popen[bytes]) -> None:
    """Until ``line`` comes on ``process``'s standard error (its editor's too)."""
    assert process.stderr is not None
    seen = []
    while (got := process.stderr.readline()) != line:
        seen.append(got)
        assert got, (seen, process.communicate())


def test_rekey_beside_an_edit_never_reverts_it(
    make_repo: MakeRepo, keys: dict[str, Key], tmp_path: Path
) -> None:
    repo = make_repo({"a.age": ["alice"], "b.age": ["alice"]})
    editor = tmp_path / "editor.sh"
    # The editor tells it has the file (on agepy's standard error, which it inherits),
    # waits for the test's go (a line on agepy's standard input), then saves the round's text.
    editor.write_text(
        '#!/bin/sh\necho editor-started >&2\nread go\nprintf "edit %s\\n" "$ROUND" > "$1"\n'
    )
    editor.chmod(0o755)
    alice = str(keys["alice"].private)
    store = Store(repo.rules, identities=[keys["alice"].private])
    for round_ in range(ROUNDS):
        env = _env(repo.dir, EDITOR=str(editor), ROUND=str(round_))
        edit = _start(["edit", "--editor", str(editor), "a.age", "-i", alice], repo.dir, env)
        _wait_for(b"editor-started\n", edit)
        rekey = _start(["rekey", "--force", "-i", alice], repo.dir, env)
        # The rekey must wait for the edit's lock before it reads a.age.
        assert rekey.stderr is not None
        line = rekey.stderr.readline()
        assert b"waiting for another agepy" in line, line
        assert edit.stdin is not None
        edit.stdin.write(b"go\n")
        edit.stdin.close()
        edit.stdin = None  # communicate() must not flush it again
        _finish(edit)
        _finish(rekey)
        assert store.decrypt("a.age") == f"edit {round_}\n".encode()
    assert not [p for p in repo.dir.iterdir() if p.name.endswith(".tmp")]
