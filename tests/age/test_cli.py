"""`agepy encrypt|decrypt|inspect` run as real subprocesses."""

from __future__ import annotations

import json
import os
import pty
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import AGEPY, run_agepy
from tests.support.keys import Key


def run(
    cmd: list[str],
    *args: str,
    stdin: bytes = b"",
    home: Path | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """``cmd ARGS``; agepy's own command line runs in this process (tests/support/cli)."""
    env = dict(os.environ)
    if home is not None:
        env["HOME"] = str(home)
    env.pop("RULES", None)
    if cmd == AGEPY:
        return run_agepy(args, input=stdin, env=env, cwd=cwd)
    return subprocess.run(
        [*cmd, *args], input=stdin, capture_output=True, env=env, cwd=cwd, timeout=60
    )


def assert_one_error(result: subprocess.CompletedProcess[bytes], code: int = 1) -> str:
    stderr = result.stderr.decode()
    assert result.returncode == code, stderr
    assert "Traceback" not in stderr
    errors = [ln for ln in stderr.splitlines() if ln.startswith("agepy: error:")]
    assert len(errors) == 1, stderr
    return errors[0]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def test_encrypt_decrypt_roundtrip(
    agepy_cmd: list[str], keys: dict[str, Key], tmp_path: Path, home: Path, age_bin: str
) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"hunter2\n" * 1000)
    secret = tmp_path / "secret.age"
    result = run(
        agepy_cmd,
        "encrypt",
        "-R",
        str(keys["ed25519"].public),
        "-r",
        keys["x25519"].public_text,
        "-o",
        str(secret),
        str(plain),
        home=home,
    )
    assert result.returncode == 0, result.stderr
    check = subprocess.run(
        [age_bin, "-d", "-i", str(keys["x25519"].private), str(secret)], capture_output=True
    )
    assert check.stdout == plain.read_bytes()
    out = tmp_path / "out.txt"
    result = run(
        agepy_cmd, "decrypt", "-i", str(keys["ed25519"].private), "-o", str(out), str(secret)
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == plain.read_bytes()
    # stdin to stdout, armored.
    armored = run(agepy_cmd, "encrypt", "-a", "-R", str(keys["rsa2048"].public), stdin=b"pipe")
    assert armored.stdout.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    back = run(agepy_cmd, "decrypt", "-i", str(keys["rsa2048"].private), "-", stdin=armored.stdout)
    assert back.returncode == 0 and back.stdout == b"pipe"


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_decrypt_output_mode_matches_age(
    agepy_cmd: list[str], keys: dict[str, Key], tmp_path: Path, age_bin: str, umask: int
) -> None:
    """A new -o file gets 0666 less the umask, exactly as `age -d -o` gives it."""
    secret = tmp_path / "secret.age"
    plain = b"mode check\n"
    result = run(
        agepy_cmd, "encrypt", "-r", keys["x25519"].public_text, "-o", str(secret), stdin=plain
    )
    assert result.returncode == 0, result.stderr
    private = str(keys["x25519"].private)
    by_age, by_agepy = tmp_path / "by-age", tmp_path / "by-agepy"
    saved = os.umask(umask)  # inherited by both children
    try:
        from_age = subprocess.run([age_bin, "-d", "-i", private, "-o", str(by_age), str(secret)])
        from_agepy = run(agepy_cmd, "decrypt", "-i", private, "-o", str(by_agepy), str(secret))
    finally:
        os.umask(saved)
    assert from_age.returncode == 0 and from_agepy.returncode == 0, from_agepy.stderr
    assert by_age.read_bytes() == by_agepy.read_bytes() == plain
    age_mode = stat.S_IMODE(by_age.stat().st_mode)
    assert age_mode == 0o666 & ~umask
    assert stat.S_IMODE(by_agepy.stat().st_mode) == age_mode
    # An existing file keeps its own mode with both.
    for path in (by_age, by_agepy):
        path.chmod(0o640)
    subprocess.run([age_bin, "-d", "-i", private, "-o", str(by_age), str(secret)], check=True)
    assert (
        run(agepy_cmd, "decrypt", "-i", private, "-o", str(by_agepy), str(secret)).returncode == 0
    )
    assert {stat.S_IMODE(p.stat().st_mode) for p in (by_age, by_agepy)} == {0o640}


def test_default_identities_from_home(
    agepy_cmd: list[str], keys: dict[str, Key], home: Path
) -> None:
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id_ed25519").write_bytes(keys["ed25519"].private.read_bytes())
    encrypted = run(agepy_cmd, "encrypt", "-R", str(keys["ed25519"].public), "-a", stdin=b"x")
    result = run(agepy_cmd, "decrypt", stdin=encrypted.stdout, home=home)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"x"


def test_refuses_binary_to_terminal(agepy_cmd: list[str], keys: dict[str, Key]) -> None:
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [*agepy_cmd, "encrypt", "-R", str(keys["ed25519"].public)],
            input=b"x",
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 2
    assert b"refusing to write binary" in result.stderr


def test_inspect(
    agepy_cmd: list[str], keys: dict[str, Key], tmp_path: Path, home: Path, age_bin: str
) -> None:
    secret = tmp_path / "s.age"
    subprocess.run(
        [
            age_bin,
            "-R",
            str(keys["ed25519"].public),
            "-R",
            str(keys["rsa2048"].public),
            "-R",
            str(keys["x25519"].public),
            "-a",
            "-o",
            str(secret),
        ],
        input=b"x",
        check=True,
    )
    result = run(agepy_cmd, "inspect", str(secret), "-R", str(keys["ed25519"].public), home=home)
    text = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert "armored" in text and "alice@laptop" in text and "unknown key" in text
    result = run(
        agepy_cmd,
        "inspect",
        "--json",
        str(secret),
        "-R",
        str(keys["rsa2048"].public),
        home=home,
    )
    (info,) = json.loads(result.stdout)["files"]
    assert info["armored"] is True and info["format"] == "age-encryption.org/v1"
    by_type = {s["type"]: s for s in info["stanzas"]}
    assert by_type["ssh-rsa"]["key"] == "bob"
    assert by_type["ssh-ed25519"]["key"] is None and by_type["X25519"]["tag"] is None
    # ~/.ssh/*.pub names keys too.
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id_ed25519.pub").write_text(keys["ed25519"].public_text + "\n")
    result = run(agepy_cmd, "inspect", str(secret), home=home)
    assert "alice@laptop" in result.stdout.decode()


def test_inspect_names_from_rules(
    agepy_cmd: list[str], keys: dict[str, Key], tmp_path: Path, home: Path, age_bin: str
) -> None:
    pytest.importorskip("agepy.rules")
    folder = tmp_path / "repo"
    folder.mkdir()
    ed = keys["ed25519"].public_text.split()
    (folder / "secrets.nix").write_text(
        f'let\n  server = "{ed[0]} {ed[1]}";\nin {{\n  "s.age".publicKeys = [ server ];\n}}\n'
    )
    subprocess.run(
        [age_bin, "-R", str(keys["ed25519"].public), "-o", str(folder / "s.age")],
        input=b"x",
        check=True,
    )
    result = run(agepy_cmd, "inspect", "s.age", home=home, cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "server" in result.stdout.decode()


@pytest.mark.parametrize(
    ("args", "code", "pattern"),
    [
        (["encrypt", "-r", "ssh-dss AAAAB3NzaC1kc3M="], 1, "DSA"),
        (["encrypt", "-o", "x.age"], 2, "no recipients"),
        (["encrypt", "-R", "missing.pub"], 1, "cannot read recipients file"),
        (["decrypt", "-i", "missing", "s.age"], 1, "cannot read identity"),
        (["decrypt", "missing.age"], 1, "no such file"),
        (["decrypt", "-i", "ed25519.pub", "s.age"], 1, "public key"),
        (["decrypt", "-i", "rsa2048", "s.age"], 1, "no identity opens"),
        (["decrypt", "-i", "ed25519", "garbage.age"], 1, "not an age file"),
        (["decrypt", "-i", "ed25519", "bad-armor.age"], 1, "invalid armor"),
        (["inspect", "garbage.age"], 1, "not an age file"),
        (["inspect", "garbage.age", "s.age"], 1, "garbage.age"),
        (["decrypt", "--no-such-flag"], 2, "no-such-flag"),
    ],
)
def test_errors(
    agepy_cmd: list[str],
    keys: dict[str, Key],
    tmp_path: Path,
    home: Path,
    args: list[str],
    code: int,
    pattern: str,
    age_bin: str,
) -> None:
    for pair in keys.values():
        for path in (pair.private, pair.public):
            (tmp_path / path.name).write_bytes(path.read_bytes())
    subprocess.run(
        [age_bin, "-R", str(keys["ed25519"].public), "-o", str(tmp_path / "s.age")],
        input=b"x",
        check=True,
    )
    (tmp_path / "garbage.age").write_bytes(b"this is not age\n")
    (tmp_path / "bad-armor.age").write_bytes(
        b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\ngarbage\n"
    )
    result = run(agepy_cmd, *args, home=home, cwd=tmp_path)
    line = assert_one_error(result, code)
    assert pattern in line
    assert not (tmp_path / "x.age").exists()


@pytest.mark.parametrize("command", ["encrypt", "decrypt", "inspect"])
def test_help_has_example(agepy_cmd: list[str], command: str) -> None:
    result = run(agepy_cmd, command, "--help")
    assert result.returncode == 0 and b"Example:" in result.stdout
