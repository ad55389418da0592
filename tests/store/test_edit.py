"""`agepy edit`: plaintext only on tmpfs, removed on every exit path; stdin mode; agenix flags.

The editor is a small shell script; agepy's stdin is a pseudo-terminal so that it opens
the editor rather than reading stdin.
"""

from __future__ import annotations

import os
import pty
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agepy._signals import Terminated, raise_on_signals
from agepy.cli.compat import translate_agenix_args
from agepy.errors import UsageError
from agepy.hosts.inventory import Inventory
from agepy.store import Store
from agepy.store.editor import run_editor
from tests.store.conftest import run_agepy
from tests.support.keys import Key
from tests.support.repo import MakeRepo, Repo


@pytest.fixture
def tty() -> Iterator[int]:
    """A pseudo-terminal for agepy's stdin (so stdin.isatty() is true)."""
    master, slave = pty.openpty()
    yield slave
    os.close(slave)
    os.close(master)


def editor(tmp_path: Path, body: str) -> Path:
    """A shell-script editor; it records the plaintext path and its modes in ``seen``."""
    script = tmp_path / "editor.sh"
    seen = tmp_path / "seen"
    script.write_text(
        f'#!/bin/sh\necho "$1" > {seen}\nstat -c %a "$1" "$(dirname "$1")" >> {seen}\n{body}\n'
    )
    script.chmod(0o755)
    return script


def seen(tmp_path: Path) -> tuple[Path, str, str]:
    path, file_mode, dir_mode = (tmp_path / "seen").read_text().split()
    return Path(path), file_mode, dir_mode


def edit(
    repo: Repo, key: Key, tty: int, script: Path | str, name: str = "a.age"
) -> subprocess.CompletedProcess[bytes]:
    return run_agepy(
        ["edit", name, "-i", str(key.private)],
        cwd=repo.dir,
        env={"EDITOR": str(script)},
        stdin=tty,
    )


def state(repo: Repo) -> tuple[bytes, int]:
    file = repo.dir / "a.age"
    return file.read_bytes(), file.stat().st_mtime_ns


def test_edit_changes_and_wipes(
    make_repo: MakeRepo, keys: dict[str, Key], tty: int, tmp_path: Path
) -> None:
    repo = make_repo({"a.age": ["alice", "host"]})
    script = editor(tmp_path, 'printf "new content" > "$1"')
    result = edit(repo, keys["alice"], tty, script)
    assert result.returncode == 0, result.stderr
    path, file_mode, dir_mode = seen(tmp_path)
    assert str(path).startswith(("/dev/shm/", os.environ.get("XDG_RUNTIME_DIR") or "/dev/shm/"))
    assert (file_mode, dir_mode) == ("600", "700")
    assert not path.exists() and not path.parent.exists()
    store = Store(repo.rules, identities=[keys["host"].private])
    assert store.decrypt("a.age") == b"new content"


def test_unchanged_content_is_not_rewritten(
    make_repo: MakeRepo, keys: dict[str, Key], tty: int, tmp_path: Path
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    before = state(repo)
    result = edit(repo, keys["alice"], tty, editor(tmp_path, "true"))
    assert result.returncode == 0, result.stderr
    assert b"unchanged" in result.stderr
    assert state(repo) == before
    assert not seen(tmp_path)[0].exists()


def test_failing_editor_writes_nothing(
    make_repo: MakeRepo, keys: dict[str, Key], tty: int, tmp_path: Path
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    before = state(repo)
    result = edit(repo, keys["alice"], tty, editor(tmp_path, 'printf changed > "$1"; exit 3'))
    assert result.returncode == 1
    assert b"agepy: error: the editor" in result.stderr and b"status 3" in result.stderr
    assert state(repo) == before
    assert not seen(tmp_path)[0].parent.exists()


@pytest.mark.parametrize("signal_name", ["INT", "TERM", "HUP"])
def test_interrupted_edit_removes_the_plaintext(
    make_repo: MakeRepo, keys: dict[str, Key], tty: int, tmp_path: Path, signal_name: str
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    before = state(repo)
    body = f'printf changed > "$1"; kill -{signal_name} $PPID; exec sleep 10'
    result = edit(repo, keys["alice"], tty, editor(tmp_path, body))
    # exit 128 + signal number, as a shell reports a process that signal stopped
    signum = getattr(signal, f"SIG{signal_name}")
    assert result.returncode == 128 + signum, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"agepy: error: interrupted"), lines
    assert b"Traceback" not in result.stderr
    path = seen(tmp_path)[0]
    assert not path.exists() and not path.parent.exists()
    assert state(repo) == before


def test_a_signal_while_the_editor_starts_still_stops_the_editor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM right after the fork, before subprocess.Popen returns (the editor script
    above kills agepy as it starts, and so sometimes landed there): the editor is
    stopped, not left running with the plaintext open. A wrapper around the real Popen
    sends the signal at that moment every time."""
    started: list[subprocess.Popen[bytes]] = []

    def popen_then_signal(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process = real_popen(*args, **kwargs)
        started.append(process)
        os.kill(os.getpid(), signal.SIGTERM)
        return process

    real_popen = subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", popen_then_signal)
    plaintext = tmp_path / "plain"
    plaintext.write_text("secret\n")
    with raise_on_signals(), pytest.raises(Terminated):
        run_editor(plaintext, editor=str(editor(tmp_path, "exec sleep 60")))
    (process,) = started
    assert process.returncode == -signal.SIGKILL  # stopped, and waited for


def test_missing_editor_is_a_clear_error(
    make_repo: MakeRepo, keys: dict[str, Key], tty: int
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    before = state(repo)
    result = edit(repo, keys["alice"], tty, "/no/such/editor --wait")
    assert result.returncode == 1
    assert (
        result.stderr.decode().splitlines()[0] == "agepy: error: editor '/no/such/editor' not found"
    )
    result = run_agepy(["edit", "a.age", "-i", str(keys["alice"].private)], cwd=repo.dir, stdin=tty)
    assert result.returncode == 1
    assert b"no editor: neither $VISUAL nor $EDITOR is set" in result.stderr
    assert b"agepy: hint: set $EDITOR" in result.stderr
    assert state(repo) == before


def test_visual_wins_and_editor_is_split_like_a_shell(
    make_repo: MakeRepo, keys: dict[str, Key], tty: int, tmp_path: Path
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    script = tmp_path / "two-args.sh"
    script.write_text('#!/bin/sh\nprintf "%s" "$1" > "$2"\n')
    script.chmod(0o755)
    result = run_agepy(
        ["edit", "a.age", "-i", str(keys["alice"].private)],
        cwd=repo.dir,
        env={"VISUAL": f"{script} 'two words'", "EDITOR": "/no/such/editor"},
        stdin=tty,
    )
    assert result.returncode == 0, result.stderr
    assert Store(repo.rules, identities=[keys["alice"].private]).decrypt("a.age") == b"two words"


def test_stdin_mode_and_new_secret_with_recipients(
    make_repo: MakeRepo, keys: dict[str, Key], age_bin: str
) -> None:
    repo = make_repo({"a.age": ["alice"]})
    result = run_agepy(
        ["edit", "a.age", "-i", str(keys["alice"].private)], cwd=repo.dir, input=b"piped\n"
    )
    assert result.returncode == 0, result.stderr
    assert Store(repo.rules, identities=[keys["alice"].private]).decrypt("a.age") == b"piped\n"

    result = run_agepy(["edit", "new.age"], cwd=repo.dir, input=b"x")
    assert result.returncode == 1
    assert b"no entry 'new.age'" in result.stderr and b"--to" in result.stderr
    assert not (repo.dir / "new.age").exists()

    result = run_agepy(
        ["edit", "new.age", "--to", "bob", "--to", keys["host"].public_text],
        cwd=repo.dir,
        input=b"fresh",
    )
    assert result.returncode == 0, result.stderr
    store = Store(repo.rules, identities=[keys["host"].private])
    assert store.rules.get("new.age").public_keys == [
        keys["bob"].public_text,
        keys["host"].public_text,
    ]
    assert store.decrypt("new.age") == b"fresh"
    plain = subprocess.run(
        [age_bin, "-d", "-i", str(keys["bob"].private), str(repo.dir / "new.age")],
        capture_output=True,
        check=True,
    ).stdout
    assert plain == b"fresh"


def test_agenix_flags(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo({"a.age": ["alice"], "b.age": ["alice"]})
    alice = str(keys["alice"].private)
    result = run_agepy(["-e", "a.age", "-i", alice], cwd=repo.dir, input=b"via agenix -e")
    assert result.returncode == 0, result.stderr
    before = (repo.dir / "b.age").read_bytes()
    result = run_agepy(["-r", "-i", alice], cwd=repo.dir, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert (repo.dir / "b.age").read_bytes() != before  # -r rewrites every file
    assert Store(repo.rules, identities=[alice]).decrypt("a.age") == b"via agenix -e"
    env = {"RULES": str(repo.rules)}
    result = run_agepy(["-v", "-e", "b.age", "-i", alice], cwd=repo.dir, env=env, input=b"b")
    assert result.returncode == 0, result.stderr
    result = run_agepy(["-e"], cwd=repo.dir)
    assert result.returncode == 2
    assert result.stderr.startswith(b"agepy: error: -e needs a FILE")
    # agenix's main branch has no -c (an open PR makes it create/replace): refused,
    # pointing at agepy check.
    refused = run_agepy(["-c"], cwd=repo.dir)
    assert refused.returncode == 2 and b"agepy check" in refused.stderr


def test_translate_agenix_args() -> None:
    def t(args: list[str]) -> list[str]:
        # $EDITOR, $RULES and a terminal on stdin change -e/-r (agenix reads them too)
        return translate_agenix_args(args, environ={}, stdin_tty=False)

    assert t(["-e", "x.age"]) == ["edit", "--", "x.age"]
    assert t(["--edit", "x.age", "-i", "k1", "--identity", "k2"]) == [
        "edit",
        "-i",
        "k1",
        "-i",
        "k2",
        "--",
        "x.age",
    ]
    assert t(["-i", "k", "-e", "x.age", "-v"]) == ["edit", "-i", "k", "--", "x.age"]
    assert t(["-r", "-i", "k"]) == ["rekey", "--force", "-i", "k"]
    assert t(["-e", "x.age", "-r"]) == ["rekey", "--force"]  # -r wins, as in agenix
    assert t(["-d", "x.age", "-i", "k"]) == ["decrypt", "-i", "k", "--", "x.age"]
    assert t(["-e", "x.age", "--rules", "s.nix"]) == ["edit", "--rules", "s.nix", "--", "x.age"]
    assert t(["-e", "x.age", "-h"]) == ["edit", "--help"]
    # agenix hands FILE on after --: a name may start with '-'
    assert t(["-d", "-leading.age"]) == ["decrypt", "--", "-leading.age"]
    # one FILE, the last given; -d makes it a decryption (agenix's FILE and DECRYPT_ONLY)
    assert t(["-d", "a.age", "-e", "b.age"]) == ["decrypt", "--", "b.age"]
    # not agenix's main branch: -c (an open PR makes it create) and -r PUBLIC_KEY
    with pytest.raises(UsageError, match="not an agenix option") as refused:
        t(["-c"])
    assert refused.value.hint and "agepy check" in refused.value.hint
    with pytest.raises(UsageError, match="unexpected argument") as refused:
        t(["-r", "ssh-ed25519 AAAA", "-i", "k"])
    assert refused.value.hint and "agepy rekey --key" in refused.value.hint
    # not agenix: untouched
    assert t(["edit", "-e"]) == ["edit", "-e"]
    assert t(["-h"]) == ["-h"]
    assert t([]) == []
    with pytest.raises(UsageError):
        t(["-i", "k"])
    with pytest.raises(UsageError):
        t(["-d"])


def test_private_dir_modes(tmp_path: Path) -> None:
    from agepy.store.tmpfs import private_dir

    with private_dir() as folder:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        (folder / "x").write_bytes(b"secret")
    assert not folder.exists()
    with pytest.raises(RuntimeError), private_dir() as folder:
        raise RuntimeError
    assert not folder.exists()


def test_translate_agenix_args_fuzz() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    words = st.sampled_from(
        ["-e", "-r", "-c", "-d", "-i", "-v", "-h", "--rules", "x.age", "--zz", ""]
    )

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(words, st.text(max_size=5)), max_size=8))
    def check(args: list[str]) -> None:
        try:
            result = translate_agenix_args(args)
        except UsageError:
            return
        assert isinstance(result, list) and all(isinstance(a, str) for a in result)

    check()


def test_new_secret_for_a_host_of_the_inventory(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo({"a.age": ["alice"]})
    import pyrage

    web = pyrage.x25519.Identity.generate()  # a host key secrets.nix does not bind
    (repo.dir / "web.key").write_text(f"{web}\n")
    (repo.dir / "agepy.toml").write_text(
        f'[hosts.web]\naddress = "web.example.com"\nkey = "{web.to_public()}"\n'
    )
    result = run_agepy(["edit", "new.age", "--host", "nope"], cwd=repo.dir, input=b"x")
    assert result.returncode == 1
    assert b"no host 'nope'" in result.stderr
    result = run_agepy(
        ["edit", "new.age", "--to", "alice", "--host", "web"], cwd=repo.dir, input=b"for web"
    )
    assert result.returncode == 0, result.stderr
    store = Store(repo.rules, identities=[repo.dir / "web.key"], hosts=Inventory.load)
    assert store.rules.get("new.age").public_keys == [
        keys["alice"].public_text,
        str(web.to_public()),
    ]
    assert store.decrypt("new.age") == b"for web"
    assert [r.recipients for r in store.list() if r.name == "new.age"] == [["alice", "web"]]
