"""Interoperability with the real `age` binary, both ways, for every key type agepy uses."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from agepy.age import decrypt_to, encrypt_file, read_header
from agepy.age.identities import Identity, load_identities
from agepy.age.recipients import parse_recipient
from tests.support.keys import PASSPHRASE, Key

KEY_TYPES = ["ed25519", "rsa2048", "rsa4096", "x25519"]
SIZES = {"empty": 0, "64KiB": 64 * 1024, "multi-chunk": 3 * 64 * 1024 + 17}


def _plaintext(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "plain"
    path.write_bytes(os.urandom(size))
    return path


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
@pytest.mark.parametrize("key", KEY_TYPES)
def test_agepy_to_age(
    key: str, size: str, armor: bool, tmp_path: Path, keys: dict[str, Key], age_bin: str
) -> None:
    plain = _plaintext(tmp_path, SIZES[size])
    secret = tmp_path / "s.age"
    encrypt_file(plain, secret, [parse_recipient(keys[key].public_text)], armor=armor)
    result = subprocess.run(
        [age_bin, "-d", "-i", str(keys[key].private), str(secret)], capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == plain.read_bytes()


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
@pytest.mark.parametrize("key", [*KEY_TYPES, "rsa-pem"])
def test_age_to_agepy(
    key: str,
    size: str,
    armor: bool,
    tmp_path: Path,
    keys: dict[str, Key],
    loaded: dict[str, list[Identity]],
    age_bin: str,
) -> None:
    plain = _plaintext(tmp_path, SIZES[size])
    secret = tmp_path / "s.age"
    args = [age_bin, "-e", "-R", str(keys[key].public), "-o", str(secret), str(plain)]
    subprocess.run([*args[:2], *(["-a"] if armor else []), *args[2:]], check=True)
    out = tmp_path / "out"
    header = decrypt_to(secret, loaded[key], out)
    assert header.armored is armor
    assert out.read_bytes() == plain.read_bytes()


def test_several_recipients_both_ways(tmp_path: Path, keys: dict[str, Key], age_bin: str) -> None:
    names = ["ed25519", "rsa2048", "rsa4096", "x25519"]
    plain = _plaintext(tmp_path, 100_000)
    ours = tmp_path / "ours.age"
    encrypt_file(plain, ours, [keys[n].public_text for n in names], armor=True)
    for name in names:
        result = subprocess.run(
            [age_bin, "-d", "-i", str(keys[name].private), str(ours)], capture_output=True
        )
        assert result.stdout == plain.read_bytes(), (name, result.stderr)
    theirs = tmp_path / "theirs.age"
    recipient_args = [a for n in names for a in ("-R", str(keys[n].public))]
    subprocess.run([age_bin, *recipient_args, "-o", str(theirs), str(plain)], check=True)
    header = read_header(theirs)
    assert sorted(header.ssh_tags()) == sorted(
        str(parse_recipient(keys[n].public_text).tag) for n in names[:3]
    )
    assert header.count("X25519") == 1
    for name in names:
        out = tmp_path / f"out-{name}"
        decrypt_to(theirs, load_identities([keys[name].private]), out)
        assert out.read_bytes() == plain.read_bytes()


def test_passphrase_protected_ssh_key(tmp_path: Path, keys: dict[str, Key], age_bin: str) -> None:
    pair = keys["ed25519-pass"]
    plain = _plaintext(tmp_path, 70_000)
    secret = tmp_path / "s.age"
    subprocess.run([age_bin, "-R", str(pair.public), "-o", str(secret), str(plain)], check=True)
    out = tmp_path / "out"
    decrypt_to(secret, load_identities([pair.private], prompt=lambda _p: PASSPHRASE), out)
    assert out.read_bytes() == plain.read_bytes()
