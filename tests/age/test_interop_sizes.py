"""Interop at the STREAM edges (0, 1, 64 KiB−1, 64 KiB, 64 KiB+1, 200,000 bytes), binary
and armored, both ways: with the `age` 1.1.1 command (X25519, ssh-ed25519, ssh-rsa
2048/3072/4096, scrypt), with pyrage, and with typage for the post-quantum hybrid."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
from pathlib import Path

import pyrage
import pytest

from agepy.age import decrypt_bytes, decrypt_to, encrypt_bytes, encrypt_file
from agepy.age.identities import load_identities, load_identity_file
from agepy.age.recipients import parse_recipient
from tests.age.conftest import KeyPair, Typage

SIZES = [0, 1, 65535, 65536, 65537, 200_000]
AGE_KEYS = ["x25519", "ed25519", "rsa2048", "rsa3072", "rsa4096"]
PASSWORD = "interop passphrase"
ARMOR = pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
SIZE = pytest.mark.parametrize("size", SIZES)


def _data(size: int) -> bytes:
    return os.urandom(size)


def run_with_tty(args: list[str], passphrase: str, timeout: float = 120) -> tuple[int, bytes]:
    """Run ``args`` with a terminal of its own (age asks passphrases on /dev/tty), typing
    ``passphrase`` at each prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec, or leave without running the parent's code
        try:
            os.execvp(args[0], args)
        finally:
            os._exit(127)
    output = b""
    answered = 0
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                os.kill(pid, 9)
                break
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if output.lower().count(b"passphrase") > answered:
                answered += 1
                os.write(fd, passphrase.encode() + b"\n")
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


# --- the age command -----------------------------------------------------------------------


@ARMOR
@SIZE
@pytest.mark.parametrize("key", AGE_KEYS)
def test_agepy_to_age(
    key: str, size: int, armor: bool, tmp_path: Path, keys: dict[str, KeyPair], age_bin: str
) -> None:
    plain = _data(size)
    secret = tmp_path / "s.age"
    secret.write_bytes(encrypt_bytes(plain, [keys[key].public_text], armor=armor))
    result = subprocess.run(
        [age_bin, "-d", "-i", str(keys[key].private), str(secret)], capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == plain


@ARMOR
@SIZE
@pytest.mark.parametrize("key", AGE_KEYS)
def test_age_to_agepy(
    key: str, size: int, armor: bool, tmp_path: Path, keys: dict[str, KeyPair], age_bin: str
) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(_data(size))
    secret = tmp_path / "s.age"
    armor_flag = ["-a"] if armor else []
    subprocess.run(
        [age_bin, "-e", *armor_flag, "-R", str(keys[key].public), "-o", str(secret), str(plain)],
        check=True,
    )
    out = tmp_path / "out"
    header = decrypt_to(secret, load_identities([keys[key].private]), out)
    assert header.armored is armor
    assert out.read_bytes() == plain.read_bytes()


@ARMOR
@SIZE
def test_agepy_passphrase_to_age(size: int, armor: bool, tmp_path: Path, age_bin: str) -> None:
    plain = _data(size)
    secret = tmp_path / "s.age"
    secret.write_bytes(encrypt_bytes(plain, [], passphrase=PASSWORD, work_factor=10, armor=armor))
    out = tmp_path / "out"
    code, output = run_with_tty([age_bin, "-d", "-o", str(out), str(secret)], PASSWORD)
    assert code == 0, output
    # age opens -o lazily, at the first byte of plaintext: nothing for an empty file.
    assert (out.read_bytes() if out.exists() else b"") == plain


@ARMOR
@pytest.mark.parametrize("size", [0, 65537])  # age always uses work factor 18: slow
def test_age_passphrase_to_agepy(size: int, armor: bool, tmp_path: Path, age_bin: str) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(_data(size))
    secret = tmp_path / "s.age"
    armor_flag = ["-a"] if armor else []
    code, output = run_with_tty(
        [age_bin, "-e", "-p", *armor_flag, "-o", str(secret), str(plain)], PASSWORD
    )
    assert code == 0, output
    assert decrypt_bytes(secret.read_bytes(), [], passphrase=lambda: PASSWORD) == (
        plain.read_bytes()
    )


# --- pyrage --------------------------------------------------------------------------------


def _pyrage_pair(key: str, keys: dict[str, KeyPair]) -> tuple[object, object]:
    pair = keys[key]
    if key == "x25519":
        identity = pyrage.x25519.Identity.from_str(
            next(ln for ln in pair.private.read_text().splitlines() if ln.startswith("AGE-"))
        )
        return identity, pyrage.x25519.Recipient.from_str(pair.public_text)
    identity = pyrage.ssh.Identity.from_buffer(pair.private.read_bytes())
    return identity, pyrage.ssh.Recipient.from_str(pair.public_text)


@ARMOR
@SIZE
@pytest.mark.parametrize("key", ["x25519", "ed25519", "rsa2048"])
def test_pyrage_both_ways(key: str, size: int, armor: bool, keys: dict[str, KeyPair]) -> None:
    plain = _data(size)
    identity, recipient = _pyrage_pair(key, keys)
    ours = encrypt_bytes(plain, [keys[key].public_text], armor=armor)
    assert pyrage.decrypt(ours, [identity]) == plain
    theirs = pyrage.encrypt(plain, [recipient], armored=armor)
    assert decrypt_bytes(theirs, load_identities([keys[key].private])) == plain


@ARMOR
@pytest.mark.parametrize("size", [0, 65536, 200_000])
def test_pyrage_passphrase_both_ways(size: int, armor: bool) -> None:
    plain = _data(size)
    ours = encrypt_bytes(plain, [], passphrase=PASSWORD, work_factor=10, armor=armor)
    assert pyrage.passphrase.decrypt(ours, PASSWORD) == plain
    theirs = pyrage.passphrase.encrypt(plain, PASSWORD, armored=armor)
    assert decrypt_bytes(theirs, [], passphrase=lambda: PASSWORD) == plain


# --- typage: the post-quantum hybrid -------------------------------------------------------


@pytest.fixture(scope="module")
def hybrid_pair(typage: Typage) -> dict[str, str]:
    pair: dict[str, str] = json.loads(typage.run("keygen"))
    return pair


@ARMOR
@SIZE
def test_typage_hybrid_both_ways(
    size: int, armor: bool, typage: Typage, hybrid_pair: dict[str, str], tmp_path: Path
) -> None:
    plain = _data(size)
    keyfile = tmp_path / "pq.key"
    keyfile.write_text(hybrid_pair["identity"] + "\n")
    identities = load_identity_file(keyfile)
    assert identities[0].kind == "pq"
    assert identities[0].recipient is not None
    assert identities[0].recipient.text == hybrid_pair["recipient"]
    ours = encrypt_bytes(plain, [parse_recipient(hybrid_pair["recipient"])], armor=armor)
    assert typage.run("decrypt", hybrid_pair["identity"], data=ours) == plain
    theirs = typage.run(
        "encrypt", hybrid_pair["recipient"], *(["armor"] if armor else []), data=plain
    )
    assert decrypt_bytes(theirs, identities) == plain


def test_hybrid_file_to_file_streams(
    typage: Typage, hybrid_pair: dict[str, str], tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(_data(3 * 65536 + 5))
    secret = tmp_path / "s.age"
    encrypt_file(plain, secret, [hybrid_pair["recipient"]], armor=True)
    assert typage.run("decrypt", hybrid_pair["identity"], data=secret.read_bytes()) == (
        plain.read_bytes()
    )
