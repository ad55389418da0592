"""agenix's own CLI scenario, run against agepy called by the name `agenix`.

The steps are those of agenix's VM test (`test/integration.nix`) and package check
(`pkgs/agenix.nix`) on the main branch (b027ee2), on our own copy of its example layout
(tests/cli/agenix_example/, see its README): `-h`, `-d` of each example, `-r` rewrites
every file, an unchanged `-e` leaves the file byte-identical, a bogus `~/.ssh/id_rsa`
fails `-e` unless `-i` is given, piped `-e` then `-d`, and no plaintext is left in /tmp
or /dev/shm. `agenix` is the launcher `agepy agenix-shim` writes, and a symlink named
`agenix` to an agepy entry script.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.support.cli import run_agepy
from tests.support.scan import files_holding

EXAMPLE = Path(__file__).parent / "agenix_example"
PLAINTEXTS = {
    "secret1.age": b"hello",
    "secret2.age": b"world!",
    "-leading-hyphen-filename.age": b"a name that starts with a hyphen",
    "armored-secret.age": b"an armored secret",
}

Agenix = Callable[..., subprocess.CompletedProcess[bytes]]


def _launcher(bin_dir: Path, how: str) -> Path:
    if how == "shim":
        installed = run_agepy(["agenix-shim", str(bin_dir)])
        assert installed.returncode == 0, installed.stderr
    else:  # a symlink named agenix to an entry script: agepy reads the name it was called by
        entry = bin_dir / "agepy-entry"
        entry.write_text(
            f"#!{sys.executable}\nimport sys\nfrom agepy.cli import main\nsys.exit(main())\n"
        )
        entry.chmod(0o755)
        (bin_dir / "agenix").symlink_to(entry)
    return bin_dir / "agenix"


@pytest.fixture(params=["shim", "symlink"])
def agenix(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Agenix, Path]]:
    """`agenix ARGS` in a copy of the example, HOME holding user1's key, as the tests do."""
    require_tool("age")
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    key = home / ".ssh" / "id_ed25519"
    shutil.copyfile(EXAMPLE / "example_keys" / "user1", key)
    key.chmod(0o600)
    shutil.copyfile(EXAMPLE / "example_keys" / "user1.pub", home / ".ssh" / "id_ed25519.pub")
    secrets_dir = tmp_path / "secrets"
    shutil.copytree(EXAMPLE / "example", secrets_dir)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = _launcher(bin_dir, request.param)
    base_env = {k: v for k, v in os.environ.items() if k not in ("RULES", "VISUAL", "EDITOR")}
    base_env.update(HOME=str(home), PATH=f"{bin_dir}{os.pathsep}{base_env.get('PATH', '')}")

    def run(
        *args: str, tty: bool = False, input: bytes | None = None, **env: str
    ) -> subprocess.CompletedProcess[bytes]:
        leader = follower = -1
        if tty:  # agenix runs $EDITOR only when stdin is a terminal
            leader, follower = os.openpty()
        try:
            return subprocess.run(
                [str(launcher), *args],
                input=input,
                stdin=follower if tty else (None if input is not None else subprocess.DEVNULL),
                capture_output=True,
                cwd=secrets_dir,
                env={**base_env, **env},
                timeout=120,
                check=False,
            )
        finally:
            if tty:
                os.close(leader)
                os.close(follower)

    yield run, secrets_dir


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.age")}


def _holding(marker: str, since: float) -> list[Path]:
    """Files under /tmp, /dev/shm and $XDG_RUNTIME_DIR that contain ``marker`` (read only)."""
    places = [p for p in ("/tmp", "/dev/shm", os.environ.get("XDG_RUNTIME_DIR")) if p]
    return files_holding([marker.encode()], places, since)


def test_help_and_usage_exit_codes_as_agenix(agenix: tuple[Agenix, Path]) -> None:
    run, _ = agenix
    shown = run("-h")
    assert shown.returncode == 0 and b"-e, --edit FILE" in shown.stdout
    assert run("--help").returncode == 0
    assert run().returncode == 1  # no arguments: help, exit 1
    for bad in (["-x"], ["-c"], ["-r", "ssh-ed25519 AAAA"], ["-e"], ["list"]):
        result = run(*bad)
        assert result.returncode == 1, (bad, result.stderr)
        assert result.stderr.startswith(b"agepy: error: "), result.stderr
        assert b"Traceback" not in result.stderr
    assert b"agepy check" in run("-c").stderr  # -c is no agenix flag; the hint says where


def test_agenix_integration_steps(agenix: tuple[Agenix, Path]) -> None:
    run, folder = agenix
    # package check: `agenix -d secret1.age` is hello
    assert run("-d", "secret1.age").stdout == b"hello"
    # -d of every example, the name starting with '-' included
    for name, plain in PLAINTEXTS.items():
        result = run("-d", name)
        assert result.returncode == 0, (name, result.stderr)
        assert result.stdout == plain
    password = run("-d", "passwordfile-user1.age")
    assert password.returncode == 0 and password.stdout.startswith(b"$6$")

    # -r rewrites every file, each still decryptable by the real age
    before = _hashes(folder)
    home_key = folder.parent / "home" / ".ssh" / "id_ed25519"
    missing = run("-r", "-i", str(home_key.with_name("missing")))
    assert missing.returncode != 0  # a missing -i key fails, as age does, and writes nothing
    assert _hashes(folder) == before
    rekeyed = run("-r", "-i", str(home_key))
    assert rekeyed.returncode == 0, rekeyed.stderr
    after = _hashes(folder)
    assert sorted(after) == sorted(before)
    assert all(after[name] != before[name] for name in before), "-r left a file unchanged"
    assert (folder / "armored-secret.age").read_text().startswith("-----BEGIN AGE ENCRYPTED")
    for name, plain in PLAINTEXTS.items():
        age = subprocess.run(
            ["age", "-d", "-i", str(home_key), "--", name],
            cwd=folder,
            capture_output=True,
            timeout=60,
            check=True,
        )
        assert age.stdout == plain

    # user1 can edit passwordfile-user1.age; unchanged, the file stays byte-identical
    unchanged = _hashes(folder)
    edited = run("-e", "passwordfile-user1.age", tty=True, EDITOR="cat")
    assert edited.returncode == 0, edited.stderr
    assert _hashes(folder) == unchanged

    # a bogus id_rsa makes -e fail; -i names the key that works
    bogus = folder.parent / "home" / ".ssh" / "id_rsa"
    bogus.write_text("bogus\n")
    assert run("-e", "passwordfile-user1.age", tty=True, EDITOR="cat").returncode != 0
    explicit = run("-e", "passwordfile-user1.age", "-i", str(home_key), tty=True, EDITOR="cat")
    assert explicit.returncode == 0, explicit.stderr
    bogus.unlink()
    assert _hashes(folder) == unchanged

    # piped contents replace the secret; -d gives them back
    made = time.time()
    marker = f"agepy-agenix-{secrets.token_hex(12)}"
    piped = run("-e", "passwordfile-user1.age", input=f"{marker}\n".encode())
    assert piped.returncode == 0, piped.stderr
    assert marker.encode() in run("-d", "passwordfile-user1.age").stdout
    hyphen = run("-e", "-leading-hyphen-filename.age", input=marker.encode())
    assert hyphen.returncode == 0, hyphen.stderr
    assert run("-d", "-leading-hyphen-filename.age").stdout == marker.encode()
    # through the editor once more (the plaintext goes to a temporary file), unchanged
    again = run("-e", "passwordfile-user1.age", tty=True, EDITOR="cat")
    assert again.returncode == 0 and marker.encode() in again.stdout

    # finally, the plaintext lingers nowhere in /tmp or /dev/shm
    assert _holding(marker, made) == []
