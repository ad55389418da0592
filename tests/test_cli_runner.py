"""The in-process runner gives agepy what a child process would get, and leaves no trace."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pyrage

from tests.support.cli import AGEPY, run_agepy


def test_like_a_child_for_help_and_errors(tmp_path: Path) -> None:
    for args in (["--help"], ["list", "--rules", "nope.nix"], ["no-such-command"]):
        inside = run_agepy(args, cwd=tmp_path, text=True)
        child = subprocess.run(
            [*AGEPY, *args], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert (inside.returncode, inside.stdout, inside.stderr) == (
            child.returncode,
            child.stdout,
            child.stderr,
        ), args


def test_stdin_bytes_reach_the_command_and_stdout_is_bytes(tmp_path: Path) -> None:
    data = os.urandom(300_000)  # more than a pipe holds: the feeding must not block
    key = tmp_path / "key.txt"
    made = run_agepy(["encrypt", "-a", "-r", _recipient(tmp_path, key)], input=data)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    back = run_agepy(["decrypt", "-i", str(key)], input=made.stdout)
    assert (back.returncode, back.stdout) == (0, data)


def _recipient(tmp_path: Path, key: Path) -> str:
    identity = pyrage.x25519.Identity.generate()
    key.write_text(f"{identity}\n")
    return str(identity.to_public())


def test_state_is_restored(tmp_path: Path) -> None:
    before = (
        os.getcwd(),
        dict(os.environ),
        {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)},
    )
    os.environ["AGEPY_RUNNER_KEPT"] = "1"
    try:
        result = run_agepy(
            ["list", "--rules", "nope.nix"],
            cwd=tmp_path,
            set_env={"AGEPY_RUNNER_KEPT": None, "AGEPY_RUNNER_SET": "1"},
        )
        assert result.returncode != 0
        assert os.environ["AGEPY_RUNNER_KEPT"] == "1"
        assert "AGEPY_RUNNER_SET" not in os.environ
    finally:
        del os.environ["AGEPY_RUNNER_KEPT"]
    after = (
        os.getcwd(),
        dict(os.environ),
        {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)},
    )
    assert after == before


def test_tools_agepy_starts_write_to_the_captured_descriptors(tmp_path: Path) -> None:
    # The editor is a child of this process: what it writes to descriptor 2 and the
    # environment it sees are the run's, as for a child agepy.
    key = tmp_path / "key.txt"
    recipient = _recipient(tmp_path, key)
    (tmp_path / "secrets.nix").write_text(
        f'let k = "{recipient}"; in {{ "new.age".publicKeys = [ k ]; }}\n'
    )
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\necho "editor saw $RUNNER_MARK" >&2\necho hello > "$1"\n')
    editor.chmod(0o755)
    result = run_agepy(
        ["edit", "--editor", str(editor), "new.age"],
        cwd=tmp_path,
        set_env={"RUNNER_MARK": "the run's environment"},
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "editor saw the run's environment" in result.stderr
    assert "RUNNER_MARK" not in os.environ
    back = run_agepy(["decrypt", "-i", str(key), str(tmp_path / "new.age")])
    assert back.stdout == b"hello\n"
