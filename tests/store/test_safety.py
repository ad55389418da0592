"""Safe writes: FIFOs, symlinks and read-only targets; modes and owners; rollback; names.

Only FIFOs and symlinks made in temp folders: nothing here writes to a /dev path by name.
"""

from __future__ import annotations

import os
import shlex
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from agepy._files import atomic_write, restore_on_failure
from agepy._lock import store_lock
from agepy.nix.eval import _RECURSION_LIMIT
from agepy.store import Store
from agepy.store.writer import BatchWriter, file_stamp
from tests.store.conftest import run_agepy
from tests.support import cli
from tests.support.cli import AGEPY
from tests.support.forkserver import popen_agepy
from tests.support.inotify import Renames
from tests.support.keys import Key
from tests.support.repo import MakeRepo


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _umasked(umask: int, argv: list[str], cwd: Path, stdin: bytes | None = None) -> int:
    """Run ``argv`` under ``umask`` (through sh, as a user's shell would; agepy in this
    process, under that umask); its status."""
    env = dict(os.environ, NO_COLOR="1", HOME=str(cwd))
    for name in ("RULES", "VISUAL", "EDITOR"):
        env.pop(name, None)
    if argv[: len(AGEPY)] == AGEPY:
        result = cli.run_agepy(argv[len(AGEPY) :], cwd=cwd, env=env, input=stdin, umask=umask)
    else:
        command = f"umask {umask:03o} && exec {shlex.join(argv)}"
        result = subprocess.run(
            ["sh", "-c", command], cwd=cwd, env=env, input=stdin, capture_output=True, check=False
        )
    assert result.returncode == 0, result.stderr
    return result.returncode


# --- -o targets -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["decrypt", "encrypt"])
def test_output_to_a_fifo_is_written_through(
    make_repo: MakeRepo, keys: dict[str, Key], tmp_path: Path, command: str
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    if command == "decrypt":
        args = ["decrypt", "-i", str(keys["alice"].private), "-o", str(fifo), "a.age"]
    else:
        (tmp_path / "plain").write_bytes(b"through the fifo\n")
        args = [
            "encrypt",
            "-a",
            "-r",
            keys["host"].public_text,
            "-o",
            str(fifo),
            str(tmp_path / "plain"),
        ]
    result = run_agepy(args, cwd=repo.dir)
    received, _ = reader.communicate(timeout=60)
    assert result.returncode == 0, result.stderr
    if command == "decrypt":
        assert received == repo.plaintexts["a.age"]
    else:
        assert received.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_output_to_a_symlink_writes_its_target(
    make_repo: MakeRepo, keys: dict[str, Key], tmp_path: Path
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    target = tmp_path / "real.txt"
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    args = ["decrypt", "-i", str(keys["alice"].private), "-o", str(link), "a.age"]
    result = run_agepy(args, cwd=repo.dir)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and link.readlink() == target
    assert target.read_bytes() == repo.plaintexts["a.age"]
    assert _mode(target) == 0o640


@pytest.mark.parametrize("command", ["decrypt", "encrypt"])
def test_output_to_a_read_only_file_is_refused(
    make_repo: MakeRepo, keys: dict[str, Key], tmp_path: Path, command: str
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    target = tmp_path / "keep.txt"
    target.write_bytes(b"do not overwrite")
    target.chmod(0o444)
    if command == "decrypt":
        args = ["decrypt", "-i", str(keys["alice"].private), "-o", str(target), "a.age"]
    else:
        args = ["encrypt", "-r", keys["host"].public_text, "-o", str(target), str(repo.rules)]
    result = run_agepy(args, cwd=repo.dir)
    assert result.returncode == 1
    lines = result.stderr.decode().splitlines()
    assert lines[0].startswith("agepy: error:") and "read-only" in lines[0], lines
    assert all(line.startswith("agepy: ") for line in lines)
    assert target.read_bytes() == b"do not overwrite" and _mode(target) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


# --- modes ------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_new_files_follow_the_umask_as_age_does(
    make_repo: MakeRepo,
    keys: dict[str, Key],
    tmp_path: Path,
    age_bin: str,
    ssh_keygen_bin: str,
    umask: int,
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")
    recipient = keys["host"].public_text
    _umasked(
        umask, [age_bin, "-r", recipient, "-o", str(tmp_path / "by-age"), str(plain)], tmp_path
    )
    expected = _mode(tmp_path / "by-age")
    assert expected == 0o666 & ~umask
    encrypt = [*AGEPY, "encrypt", "-r", recipient, "-o", str(tmp_path / "by-agepy"), str(plain)]
    _umasked(umask, encrypt, tmp_path)
    assert _mode(tmp_path / "by-agepy") == expected
    # A new .age file of the store, and the hosts inventory agepy.toml.
    _umasked(umask, [*AGEPY, "edit", "new.age", "--to", "alice"], repo.dir, stdin=b"new\n")
    assert _mode(repo.dir / "new.age") == expected
    host_key = tmp_path / "host"
    subprocess.run(
        [ssh_keygen_bin, "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True
    )
    host_key = tmp_path / "host.pub"
    add_host = [*AGEPY, "add-host", "web", "192.0.2.1", "--key-file", str(host_key), "--yes"]
    _umasked(umask, add_host, repo.dir)
    assert _mode(repo.dir / "agepy.toml") == expected


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_rekey_keeps_mode_and_owner(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo({"a.age": ["alice"]})
    file = repo.dir / "a.age"
    os.chown(file, 65534, 65534)  # nobody:nogroup
    file.chmod(0o640)
    result = run_agepy(["rekey", "--force", "-i", str(keys["alice"].private)], cwd=repo.dir)
    assert result.returncode == 0, result.stderr
    status = file.stat()
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (65534, 65534, 0o640)
    assert (
        Store(repo.rules, identities=[keys["alice"].private]).decrypt("a.age")
        == (repo.plaintexts["a.age"])
    )


# --- symlinks in the store -------------------------------------------------------------


def _symlinked_secret(repo_dir: Path, tmp_path: Path, name: str) -> Path:
    """Move ``name`` to a shared folder and leave a symlink to it in its place."""
    shared = tmp_path / "shared"
    shared.mkdir(exist_ok=True)
    target = shared / name
    (repo_dir / name).rename(target)
    (repo_dir / name).symlink_to(target)
    return target


def test_rekey_and_edit_write_through_a_symlinked_secret(
    make_repo: MakeRepo, keys: dict[str, Key], tmp_path: Path
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    target = _symlinked_secret(repo.dir, tmp_path, "a.age")
    before = target.read_bytes()
    alice = str(keys["alice"].private)
    result = run_agepy(["rekey", "--force", "-i", alice], cwd=repo.dir)
    assert result.returncode == 0, result.stderr
    assert (repo.dir / "a.age").is_symlink() and target.read_bytes() != before
    result = run_agepy(["edit", "a.age", "-i", alice], cwd=repo.dir, input=b"edited\n")
    assert result.returncode == 0, result.stderr
    assert (repo.dir / "a.age").is_symlink()
    assert Store(repo.rules, identities=[keys["alice"].private]).decrypt("a.age") == b"edited\n"
    assert [p.name for p in target.parent.iterdir()] == ["a.age"]


def test_failed_rekey_of_a_symlinked_secret_keeps_link_and_file(
    make_repo: MakeRepo, keys: dict[str, Key], tmp_path: Path
) -> None:
    repo = make_repo({"a.age": ["bob"]})
    target = _symlinked_secret(repo.dir, tmp_path, "a.age")
    before = target.read_bytes()
    result = run_agepy(["rekey", "--force", "-i", str(keys["alice"].private)], cwd=repo.dir)
    assert result.returncode == 1
    assert (repo.dir / "a.age").is_symlink() and target.read_bytes() == before


def _symlinked_rules(repo_dir: Path, tmp_path: Path) -> Path:
    real = tmp_path / "config" / "secrets.nix"
    real.parent.mkdir()
    (repo_dir / "secrets.nix").rename(real)
    (repo_dir / "secrets.nix").symlink_to(real)
    return real


def test_edit_new_under_a_symlinked_secrets_nix(
    make_repo: MakeRepo, keys: dict[str, Key], tmp_path: Path
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    real = _symlinked_rules(repo.dir, tmp_path)
    before = real.read_bytes()
    # Failure (empty stdin): the added entry is taken back out, the link stays.
    result = run_agepy(["edit", "new.age", "--to", "alice"], cwd=repo.dir, input=b"")
    assert result.returncode == 1
    assert (repo.dir / "secrets.nix").is_symlink() and real.read_bytes() == before
    # Success: the entry lands in the link's target.
    result = run_agepy(["edit", "new.age", "--to", "alice"], cwd=repo.dir, input=b"new\n")
    assert result.returncode == 0, result.stderr
    assert (repo.dir / "secrets.nix").is_symlink() and b'"new.age"' in real.read_bytes()
    assert not any(p.name.endswith(".tmp") for p in [*repo.dir.iterdir(), *real.parent.iterdir()])


# --- rollback ------------------------------------------------------------------------------


def test_rollback_restores_what_agepy_wrote_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.nix"
    real.write_bytes(b"before")
    link = tmp_path / "secrets.nix"
    link.symlink_to(real)
    with pytest.raises(RuntimeError), restore_on_failure([link]):
        atomic_write(link, b"agepy's change")
        raise RuntimeError("a later step failed")
    assert link.is_symlink() and real.read_bytes() == b"before"


def test_rollback_keeps_a_change_made_by_someone_else(tmp_path: Path) -> None:
    path = tmp_path / "secrets.nix"
    path.write_bytes(b"before")
    new = tmp_path / "new.age"
    with pytest.raises(RuntimeError), restore_on_failure([path, new]):
        atomic_write(path, b"agepy's change")
        path.write_bytes(b"changed by hand meanwhile")
        new.write_bytes(b"made by hand")
        raise RuntimeError("a later step failed")
    assert path.read_bytes() == b"changed by hand meanwhile"
    assert new.read_bytes() == b"made by hand"


# --- special files, names, pipes ----------------------------------------------------------------


def test_a_fifo_named_like_a_secret_is_reported_not_read(
    make_repo: MakeRepo, keys: dict[str, Key]
) -> None:
    repo = make_repo({"a.age": ["alice"], "b.age": ["alice"]})
    (repo.dir / "b.age").unlink()
    os.mkfifo(repo.dir / "b.age")
    alice = str(keys["alice"].private)
    result = run_agepy(["list"], cwd=repo.dir)
    assert b"b.age  unreadable" in result.stdout
    for args in (["check"], ["rekey", "-i", alice], ["rekey", "--force", "-i", alice]):
        result = run_agepy(args, cwd=repo.dir)
        assert result.returncode == 1, (args, result.stderr)
        assert b"FIFO" in result.stdout + result.stderr, args
    assert stat.S_ISFIFO((repo.dir / "b.age").lstat().st_mode)


def test_names_with_newlines_are_printed_escaped(make_repo: MakeRepo) -> None:
    repo = make_repo({"a.age": ["alice"]})
    text = repo.rules.read_text().replace(
        "}\n", '  "x\\nok: forged.age" = { publicKeys = [ alice ]; };\n}\n'
    )
    repo.rules.write_text(text)
    for args in (["list"], ["check"]):
        result = run_agepy(args, cwd=repo.dir)
        lines = result.stdout.decode().splitlines()
        assert not any(line.startswith("ok: forged") for line in lines), lines
        assert any("x\\nok: forged.age" in line for line in lines), lines


def test_names_outside_the_folder_are_refused(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo({"a.age": ["alice"]})
    other = repo.dir.parent / "other"
    other.mkdir()
    text = repo.rules.read_text().replace(
        "}\n", '  "../other/x.age" = { publicKeys = [ alice ]; };\n}\n'
    )
    repo.rules.write_text(text)
    result = run_agepy(["edit", "../other/x.age"], cwd=repo.dir, input=b"s\n")
    assert result.returncode == 1 and b"outside" in result.stderr
    assert not (other / "x.age").exists()
    args = ["edit", "../other/x.age", "--allow-outside"]
    result = run_agepy(args, cwd=repo.dir, input=b"s\n")
    assert result.returncode == 0, result.stderr
    assert (other / "x.age").exists()


def test_a_closed_pipe_ends_quietly(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo({"a.age": ["alice"]})
    big = os.urandom(1 << 20).hex().encode()
    Store(repo.rules).write("a.age", big)
    command = [*AGEPY, "decrypt", "-i", str(keys["alice"].private), "a.age"]
    pipeline = f"{shlex.join(command)} | head -c 10 >head.out; echo ${{PIPESTATUS[0]}} >&2"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run(
        ["bash", "-c", pipeline], cwd=repo.dir, env=env, capture_output=True, check=False
    )
    assert result.stderr.decode().strip() == "141", result.stderr


def test_a_closed_stdout_is_one_error_line(make_repo: MakeRepo) -> None:
    repo = make_repo({"a.age": ["alice"]})
    result = subprocess.run(
        ["sh", "-c", f"{shlex.join([*AGEPY, 'list'])} >&-"],
        cwd=repo.dir,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [
        "agepy: error: cannot write to standard output: standard output is closed"
    ]


# --- the lock, changed files, signals, deep input -------------------------------------------


def test_a_second_writer_waits_then_gives_up(make_repo: MakeRepo) -> None:
    repo = make_repo({"a.age": ["alice"]})
    with store_lock(repo.rules, notify=None):
        result = run_agepy(
            ["edit", "new.age", "--to", "alice"],
            cwd=repo.dir,
            input=b"x\n",
            env={"AGEPY_LOCK_TIMEOUT": "0.2"},
            child=True,  # the lock is re-entrant within one process
        )
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 1
    assert lines[0].startswith("agepy: waiting for another agepy writing in"), lines
    assert lines[1].startswith("agepy: error: another agepy is still writing in"), lines
    assert not (repo.dir / "new.age").exists()


def test_a_file_changed_since_it_was_read_is_left_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.age"
    path.write_bytes(b"as read")
    stamps = {path: file_stamp(path)}
    path.write_bytes(b"written by someone else meanwhile")
    changed: list[Path] = []
    with BatchWriter(stamps=stamps, on_changed=changed.append) as writer:
        writer.write(path, b"rekeyed")
    assert changed == [path]
    assert path.read_bytes() == b"written by someone else meanwhile"
    assert [p.name for p in tmp_path.iterdir()] == ["a.age"]


def test_sigterm_during_rekey_leaves_no_temp_files(
    make_repo: MakeRepo, keys: dict[str, Key]
) -> None:
    names = [f"s{i:03}.age" for i in range(120)]
    repo = make_repo({n: ["alice"] for n in names})
    store = Store(repo.rules)
    for name in names:
        store.write(name, os.urandom(256 << 10))
    env = dict(os.environ, NO_COLOR="1", HOME=str(repo.dir))
    with Renames(repo.dir) as renames:
        rekey = popen_agepy(
            ["rekey", "--force", "-i", str(keys["alice"].private)],
            cwd=repo.dir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # As soon as one file has been replaced, the run is in the middle of its writes.
        renames.wait_for(1, rekey)
    rekey.send_signal(signal.SIGTERM)
    _, stderr = rekey.communicate(timeout=120)
    if rekey.returncode != 0:  # it may have finished first on a fast machine
        assert rekey.returncode == 143, stderr
        assert stderr.decode().splitlines()[-1] == "agepy: error: interrupted (SIGTERM)"
    assert [p.name for p in repo.dir.iterdir() if p.name.endswith(".tmp")] == []
    reader = Store(repo.rules, identities=[keys["alice"].private])
    for name in names[:8]:
        assert len(reader.decrypt(name)) == 256 << 10


# Five times the built-in evaluator's recursion limit (and beyond the ~5000 brackets Nix's
# parser takes): both give up on it; the cost of the run grows with the depth.
DEEP = 5 * _RECURSION_LIMIT


def test_deeply_nested_secrets_nix_is_one_error_line(make_repo: MakeRepo) -> None:
    repo = make_repo({"a.age": ["alice"]}, write=False)
    repo.rules.write_text("[" * DEEP + "]" * DEEP + "\n")
    result = run_agepy(["list"], cwd=repo.dir)
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 1
    assert lines[0].startswith("agepy: error:") and "internal error" not in lines[0], lines
    assert all(line.startswith("agepy: ") for line in lines)
