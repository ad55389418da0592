"""Plaintext during `agepy edit`: only in a private RAM folder, never left anywhere.

The runtime folder is chosen among temp folders given as XDG_RUNTIME_DIR; /dev/shm is
used only through agepy's own folder there (removed again where a test made one).
After each test no file in its folder (with its $HOME), /tmp, /var/tmp or /dev/shm holds
the secret.
"""

from __future__ import annotations

import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agepy import _plaintext
from agepy._plaintext import plaintext_base, ram_backed
from agepy.store import Store
from tests.conftest import FindLeaks, require_tool
from tests.store.conftest import run_agepy
from tests.support import cli
from tests.support.forkserver import popen_agepy, popen_agepy_on_terminal
from tests.support.keys import Key
from tests.support.repo import MakeRepo

# When each marker was made: only files written since then can hold it.
_MADE: dict[bytes, float] = {}


def _holding(marker: bytes, find_leaks: FindLeaks) -> list[Path]:
    """Files in this test's folder (with its $HOME), the temp folders and /dev/shm that
    contain ``marker``."""
    return find_leaks([marker], _MADE[marker])


@pytest.fixture
def marked(make_repo: MakeRepo) -> tuple[Path, bytes]:
    """A store whose a.age holds a random marker, and that marker."""
    repo = make_repo({"a.age": ["alice"]})
    marker = f"MARK{secrets.token_hex(12)}".encode()
    _MADE[marker] = time.time()
    Store(repo.rules).write("a.age", marker + b"\n")
    return repo.dir, marker


@pytest.fixture
def runtime_dirs() -> Iterator[Path]:
    """A folder for test runtime dirs inside agepy's own /dev/shm folder (on tmpfs)."""
    base = plaintext_base()
    folder = base / f"test-{secrets.token_hex(4)}"
    folder.mkdir(mode=0o700)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _recording_editor(tmp_path: Path) -> Path:
    script = tmp_path / "editor.sh"
    script.write_text(f'#!/bin/sh\necho "$1" > "{tmp_path}/where"\necho changed > "$1"\n')
    script.chmod(0o755)
    return script


def _edit_where(
    repo: Path, tmp_path: Path, keys: dict[str, Key], runtime: Path | None
) -> tuple[Path, str]:
    env = {"EDITOR": str(_recording_editor(tmp_path))}
    if runtime is not None:
        env["XDG_RUNTIME_DIR"] = str(runtime)
    args = ["edit", "--editor", env["EDITOR"], "a.age", "-i", str(keys["alice"].private)]
    result = run_agepy(args, cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    return Path((tmp_path / "where").read_text().strip()), result.stderr.decode()


def test_a_private_tmpfs_runtime_dir_is_used(
    marked: tuple[Path, bytes], keys: dict[str, Key], tmp_path: Path, runtime_dirs: Path
) -> None:
    repo, _ = marked
    runtime = runtime_dirs / "run"
    runtime.mkdir(mode=0o700)
    where, _ = _edit_where(repo, tmp_path, keys, runtime)
    assert where.parent.parent == runtime
    assert list(runtime.iterdir()) == []


@pytest.fixture
def disk_folder() -> Iterator[Path]:
    """A new folder on a disk (the tests' own temporary folders may be on a RAM disk)."""
    for place in (tempfile.gettempdir(), "/var/tmp", str(Path(__file__).parent)):
        if os.access(place, os.W_OK) and not ram_backed(Path(place)):
            folder = Path(tempfile.mkdtemp(prefix="agepy-disk-", dir=place))
            yield folder
            shutil.rmtree(folder, ignore_errors=True)
            return
    pytest.fail("no writable folder on a disk: /tmp, /var/tmp and the checkout are in RAM")


def test_a_runtime_dir_on_disk_is_not_used(
    marked: tuple[Path, bytes], keys: dict[str, Key], tmp_path: Path, disk_folder: Path
) -> None:
    repo, _ = marked
    runtime = disk_folder / "run"
    runtime.mkdir(mode=0o700)
    where, stderr = _edit_where(repo, tmp_path, keys, runtime)
    assert "is not on tmpfs" in stderr
    assert where.parent.parent == Path(f"/dev/shm/agepy-{os.geteuid()}")


def test_a_runtime_dir_open_to_others_is_not_used(
    marked: tuple[Path, bytes], keys: dict[str, Key], tmp_path: Path, runtime_dirs: Path
) -> None:
    repo, _ = marked
    runtime = runtime_dirs / "open"
    runtime.mkdir()
    runtime.chmod(0o755)
    where, stderr = _edit_where(repo, tmp_path, keys, runtime)
    assert "not 0700" in stderr and not str(where).startswith(str(runtime))


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder to another user")
def test_a_runtime_dir_owned_by_another_user_is_not_used(
    marked: tuple[Path, bytes], keys: dict[str, Key], tmp_path: Path, runtime_dirs: Path
) -> None:
    repo, _ = marked
    runtime = runtime_dirs / "theirs"
    runtime.mkdir(mode=0o700)
    os.chown(runtime, 65534, 65534)
    where, stderr = _edit_where(repo, tmp_path, keys, runtime)
    assert "owned by uid 65534" in stderr and not str(where).startswith(str(runtime))


def test_sigkill_during_edit_leaves_no_plaintext_after_the_next_command(
    marked: tuple[Path, bytes],
    keys: dict[str, Key],
    tmp_path: Path,
    runtime_dirs: Path,
    find_leaks: FindLeaks,
) -> None:
    # A runtime dir of this test's own: every agepy start wipes dead sessions in the
    # folders it uses, so a run of another test would otherwise clean up (and report) first.
    repo, marker = marked
    script = tmp_path / "slow-editor.sh"
    # The editor says its pid on agepy's standard error (which it inherits), then stays.
    script.write_text('#!/bin/sh\necho "editor $$" >&2\nexec sleep 600\n')
    script.chmod(0o755)
    env = dict(os.environ, HOME=str(tmp_path), NO_COLOR="1", XDG_RUNTIME_DIR=str(runtime_dirs))
    edit = popen_agepy(
        ["edit", "--editor", str(script), "a.age", "-i", str(keys["alice"].private)],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert edit.stderr is not None
    lines = [edit.stderr.readline()]
    while not lines[-1].startswith(b"editor "):
        assert lines[-1], lines  # agepy ended without starting the editor
        lines.append(edit.stderr.readline())
    assert _holding(marker, find_leaks) != []  # the plaintext is there while editing
    edit.send_signal(signal.SIGKILL)
    edit.wait()
    os.kill(int(lines[-1].split()[1]), signal.SIGKILL)  # the orphaned editor
    edit.stderr.close()
    result = run_agepy(["list"], cwd=repo, env={"XDG_RUNTIME_DIR": str(runtime_dirs)})
    assert b"removed plaintext left by a killed agepy" in result.stderr
    assert _holding(marker, find_leaks) == []


# --- editors -----------------------------------------------------------------------------


def _edit_with(repo: Path, home: Path, keys: dict[str, Key], editor: str) -> bytes:
    args = ["edit", "--editor", editor, "a.age", "-i", str(keys["alice"].private)]
    result = run_agepy(args, cwd=repo, env={"HOME": str(home)})
    return result.stderr


# Each editor is driven without a terminal. "crash": the editor writes its swap or
# auto-save file, then dies by SIGKILL (what it wrote stays wherever it put it); "exit":
# the plaintext is yanked (registers go to viminfo/shada) and saved normally.
_KILL = "-c 'silent !kill -9 $PPID'"
_EDITORS = {
    ("vim", "crash"): f"-es -c 'silent! preserve' {_KILL}",
    ("vim", "exit"): "-es -c 'normal! yyGpAadded' -c wq",
    ("nvim", "crash"): f"--headless -c 'silent! preserve' {_KILL}",
    ("nvim", "exit"): "--headless -c 'normal! yyGpAadded' -c wq",
    ("emacs", "exit"): (
        "--batch -l {home}/.emacs --eval '(progn (find-file (car (last command-line-args)))"
        ' (goto-char (point-max)) (insert "added") (auto-save-mode 1) (do-auto-save)'
        " (save-buffer) (save-buffer) (kill-emacs 0))'"
    ),
}
# Where a user's init file sends backups and auto-saves: into $HOME, on disk.
_EMACS_INIT = """(setq backup-directory-alist '(("." . "{home}/backups"))
      auto-save-file-name-transforms '((".*" "{home}/autosaves/" t)))
"""


@pytest.mark.parametrize(("program", "how"), sorted(_EDITORS))
def test_editors_leave_no_copy_of_the_plaintext(
    marked: tuple[Path, bytes],
    keys: dict[str, Key],
    tmp_path: Path,
    find_leaks: FindLeaks,
    program: str,
    how: str,
) -> None:
    binary = require_tool(program)
    repo, marker = marked
    home = tmp_path / "home"
    for folder in ("backups", "autosaves"):
        (home / folder).mkdir(parents=True)
    (home / ".emacs").write_text(_EMACS_INIT.format(home=home))
    stderr = _edit_with(repo, home, keys, f"{binary} {_EDITORS[program, how].format(home=home)}")
    store = Store(repo / "secrets.nix", identities=[keys["alice"].private])
    if how == "exit":
        assert b"a.age: saved" in stderr, stderr
        assert b"added" in store.decrypt("a.age")
    else:
        assert b"the editor" in stderr and b"exited with status" in stderr, stderr
        assert store.decrypt("a.age") == marker + b"\n"
    assert _holding(marker, find_leaks) == []


def test_nano_leaves_no_copy_of_the_plaintext(
    marked: tuple[Path, bytes], keys: dict[str, Key], tmp_path: Path, find_leaks: FindLeaks
) -> None:
    nano = require_tool("nano")
    repo, marker = marked
    home = tmp_path / "home"
    home.mkdir()
    # A nanorc asking for backups (into $HOME): agepy sends them to the private folder.
    (home / ".nanorc").write_text(f"set backup\nset backupdir {home}\nset historylog\n")
    env = dict(os.environ, HOME=str(home), TERM="xterm", NO_COLOR="1")
    command = ["edit", "--editor", nano, "a.age", "-i", str(keys["alice"].private)]
    # agepy on a pty, as in a terminal: its controlling terminal, in a session of its own.
    agepy, fd = popen_agepy_on_terminal(command, cwd=repo, env=env)
    output = b""

    def read_until(text: bytes) -> None:
        nonlocal output
        while text not in output:
            ready, _, _ = select.select([fd], [], [], 60)
            assert ready, output[-500:]
            output += os.read(fd, 65536)

    read_until(marker)  # nano shows the plaintext
    os.write(fd, b"added")
    os.write(fd, b"\x0f")  # ^O: write out
    read_until(b"File Name to Write")
    os.write(fd, b"\r")
    read_until(b"Wrote")
    os.write(fd, b"\x18")  # ^X: exit
    with pytest.raises(OSError):
        read_until(b"never printed")  # until the pty closes
    status = agepy.wait()
    os.close(fd)
    assert status == 0, output[-500:]
    store = Store(repo / "secrets.nix", identities=[keys["alice"].private])
    assert b"added" in store.decrypt("a.age")
    assert _holding(marker, find_leaks) == []


def test_agepys_shm_folder_open_to_others_is_refused(
    marked: tuple[Path, bytes],
    keys: dict[str, Key],
    tmp_path: Path,
    runtime_dirs: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # In-process, with a RAM disk of this test's own standing in for /dev/shm: opening
    # the real agepy-UID folder to others would make every agepy run beside it refuse.
    repo, _ = marked
    monkeypatch.setattr(_plaintext, "_SHM", runtime_dirs)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "")
    monkeypatch.chdir(repo)
    folder = plaintext_base()
    assert folder == runtime_dirs / f"agepy-{os.geteuid()}"
    folder.chmod(0o755)
    script = _recording_editor(tmp_path)
    args = ["edit", "--editor", str(script), "a.age", "-i", str(keys["alice"].private)]
    result = cli.run_agepy(args, text=True)  # this environment, with its patched /dev/shm
    assert result.returncode == 1
    stderr = result.stderr
    assert "agepy: error: refusing " in stderr and "not 0700" in stderr
    assert not (tmp_path / "where").exists()
