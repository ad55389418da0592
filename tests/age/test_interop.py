"""Interoperability with the real `age` binary: several recipients in one file, both ways,
and a passphrase-protected SSH key. One recipient of each type, at every STREAM edge
size and in both armors, is in test_interop_sizes.py."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from agepy.age import decrypt_to, encrypt_file, read_header
from agepy.age.identities import load_identities
from agepy.age.recipients import parse_recipient
from tests.support.keys import PASSPHRASE, Key


def _plaintext(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "plain"
    path.write_bytes(os.urandom(size))
    return path


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
