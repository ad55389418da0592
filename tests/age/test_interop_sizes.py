"""Interop at the STREAM edges (0, 1, 64 KiB−1, 64 KiB, 64 KiB+1, 200,000 bytes), binary
and armored, both ways: with the `age` 1.1.1 command (X25519, ssh-ed25519, ssh-rsa
2048/3072/4096, an RSA key in PEM form, scrypt), with pyrage, and with typage for the
post-quantum hybrid."""

from __future__ import annotations

import base64
import json
import os
import pty
import select
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyrage
import pytest

from agepy.age import decrypt_bytes, decrypt_to, encrypt_bytes, encrypt_file
from agepy.age.identities import Identity, load_identity_file
from agepy.age.recipients import parse_recipient
from tests.age.conftest import Typage
from tests.support.forkserver import popen_agepy_on_terminal
from tests.support.keys import Key

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
    try:
        output = _answer_passphrases(fd, passphrase, timeout, lambda: os.kill(pid, 9))
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


def run_agepy_with_tty(argv: list[str], passphrase: str, timeout: float = 120) -> tuple[int, bytes]:
    """`agepy ARGV` as :func:`run_with_tty` runs a program: a real `python -m agepy`
    process (tests.support.forkserver) in a session of its own, whose controlling
    terminal (and standard streams) is a new pseudo-terminal."""
    process, leader = popen_agepy_on_terminal(argv)
    try:
        output = _answer_passphrases(leader, passphrase, timeout, process.kill)
    finally:
        os.close(leader)
    return process.wait(), output


def _answer_passphrases(
    fd: int, passphrase: str, timeout: float, kill: Callable[[], None]
) -> bytes:
    """What the terminal ``fd`` shows until it closes, typing ``passphrase`` each time it
    asks for one; ``kill`` the program if nothing comes for ``timeout`` seconds."""
    output = b""
    answered = 0
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            kill()
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
    return output


# --- the age command -----------------------------------------------------------------------


@ARMOR
@SIZE
@pytest.mark.parametrize("key", AGE_KEYS)
def test_agepy_to_age(
    key: str, size: int, armor: bool, tmp_path: Path, keys: dict[str, Key], age_bin: str
) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(_data(size))
    secret = tmp_path / "s.age"
    # The streaming file API, as the CLI and the store use (pyrage below gets the bytes API).
    encrypt_file(plain, secret, [keys[key].public_text], armor=armor)
    result = subprocess.run(
        [age_bin, "-d", "-i", str(keys[key].private), str(secret)], capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == plain.read_bytes()


@ARMOR
@SIZE
@pytest.mark.parametrize("key", [*AGE_KEYS, "rsa-pem"])
def test_age_to_agepy(
    key: str,
    size: int,
    armor: bool,
    tmp_path: Path,
    keys: dict[str, Key],
    loaded: dict[str, list[Identity]],
    age_bin: str,
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
    header = decrypt_to(secret, loaded[key], out)
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


# age always uses work factor 18 (about a second of scrypt on each side), and the scrypt
# stanza depends neither on the payload nor on the armor: one binary file of two chunks
# (the last partial) shows that agepy opens age's passphrase files (pyrage's below is
# armored); the key-based tests above cover every STREAM edge in both armors.
def test_age_passphrase_to_agepy(tmp_path: Path, age_bin: str) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(_data(65537))
    secret = tmp_path / "s.age"
    code, output = run_with_tty([age_bin, "-e", "-p", "-o", str(secret), str(plain)], PASSWORD)
    assert code == 0, output
    assert decrypt_bytes(secret.read_bytes(), [], passphrase=lambda: PASSWORD) == (
        plain.read_bytes()
    )


# --- pyrage --------------------------------------------------------------------------------


def _pyrage_pair(key: str, keys: dict[str, Key]) -> tuple[object, object]:
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
def test_pyrage_both_ways(
    key: str, size: int, armor: bool, keys: dict[str, Key], loaded: dict[str, list[Identity]]
) -> None:
    plain = _data(size)
    identity, recipient = _pyrage_pair(key, keys)
    ours = encrypt_bytes(plain, [keys[key].public_text], armor=armor)
    assert pyrage.decrypt(ours, [identity]) == plain
    theirs = pyrage.encrypt(plain, [recipient], armored=armor)
    assert decrypt_bytes(theirs, loaded[key]) == plain


@ARMOR
@SIZE
def test_agepy_passphrase_to_pyrage(size: int, armor: bool) -> None:
    plain = _data(size)
    ours = encrypt_bytes(plain, [], passphrase=PASSWORD, work_factor=10, armor=armor)
    assert pyrage.passphrase.decrypt(ours, PASSWORD) == plain


# pyrage.passphrase.encrypt has no work-factor knob: it calibrates scrypt to about a second
# (often two or more on a busy machine), and agepy then spends as long again opening it.
# The scrypt stanza is independent of the payload and of the armor, so one pyrage
# passphrase file (armored: the armor around the binary format; multi-chunk, last chunk
# partial) shows that agepy reads pyrage's scrypt stanza. test_pyrage_both_ways covers
# pyrage's binary and armored files at every STREAM edge size, test_age_passphrase_to_agepy
# a binary passphrase file of age, and test_agepy_passphrase_to_pyrage the other
# direction in both armors.
def test_pyrage_passphrase_to_agepy() -> None:
    plain = _data(200_000)
    theirs = pyrage.passphrase.encrypt(plain, PASSWORD, armored=True)
    assert theirs.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    assert decrypt_bytes(theirs, [], passphrase=lambda: PASSWORD) == plain


# --- typage: the post-quantum hybrid -------------------------------------------------------


@pytest.fixture(scope="module")
def hybrid_pair(typage: Typage) -> dict[str, str]:
    pair: dict[str, str] = json.loads(typage.run("keygen"))
    return pair


Case = tuple[int, bool]
CASES = [(size, armor) for size in SIZES for armor in (False, True)]


@dataclass(frozen=True)
class HybridRun:
    """What typage made of agepy's files and what it sealed for agepy, per (size, armor)."""

    plain: dict[Case, bytes]
    ours_opened: dict[Case, dict[str, str]]  # typage's decryption of agepy's file
    theirs: dict[Case, dict[str, str]]  # typage's encryption of the plaintext


@pytest.fixture(scope="module")
def hybrid_run(typage: Typage, hybrid_pair: dict[str, str]) -> HybridRun:
    """Every size and armor through typage in one node start (one per case costs a quarter
    second each): agepy seals each plaintext, typage opens all of them and seals each
    plaintext in turn; the tests check each case's results on their own."""
    plain = {case: _data(case[0]) for case in CASES}
    recipient = parse_recipient(hybrid_pair["recipient"])
    jobs = []
    for size, armor in CASES:
        ours = encrypt_bytes(plain[size, armor], [recipient], armor=armor)
        jobs.append({"op": "decrypt", "key": hybrid_pair["identity"], "data": _b64(ours)})
        jobs.append(
            {
                "op": "encrypt",
                "key": hybrid_pair["recipient"],
                "armor": armor,
                "data": _b64(plain[size, armor]),
            }
        )
    results = json.loads(typage.run("batch", data=json.dumps(jobs).encode()))
    assert len(results) == 2 * len(CASES)
    return HybridRun(
        plain,
        {case: results[2 * n] for n, case in enumerate(CASES)},
        {case: results[2 * n + 1] for n, case in enumerate(CASES)},
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(result: dict[str, str]) -> bytes:
    assert "error" not in result, result.get("error")
    return base64.b64decode(result["data"])


@ARMOR
@SIZE
def test_typage_hybrid_both_ways(
    size: int, armor: bool, hybrid_pair: dict[str, str], hybrid_run: HybridRun, tmp_path: Path
) -> None:
    plain = hybrid_run.plain[size, armor]
    keyfile = tmp_path / "pq.key"
    keyfile.write_text(hybrid_pair["identity"] + "\n")
    identities = load_identity_file(keyfile)
    assert identities[0].kind == "pq"
    assert identities[0].recipient is not None
    assert identities[0].recipient.text == hybrid_pair["recipient"]
    assert _unb64(hybrid_run.ours_opened[size, armor]) == plain
    theirs = _unb64(hybrid_run.theirs[size, armor])
    assert theirs.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----") is armor
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
