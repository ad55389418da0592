"""agepy.age: header and armor rules, atomic writes, file encryption and decryption."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from agepy._files import atomic_output, atomic_write
from agepy.age import (
    dearmor,
    decrypt_bytes,
    decrypt_to,
    encrypt_bytes,
    encrypt_file,
    parse_header,
    read_header,
)
from agepy.age.identities import Identity, load_identity_file
from agepy.age.recipients import parse_recipient
from agepy.errors import (
    ArmorError,
    HeaderError,
    NoIdentityMatchError,
    PayloadError,
    RecipientError,
    StoreError,
)
from tests.support.keys import Key, current_umask

HEADER = (
    b"age-encryption.org/v1\n"
    b"-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
    b"hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n"
    b"-> ssh-ed25519 OOKlzw Kig4YnBoNsH91apgsjcMHqiUZIAm5pLyELQcy12JeR4\n"
    b"swmCA736Ht7wjUs4u3T+fJp2SLzFPjjN\n"
    b"-> empty-body a\n"
    b"\n"
    b"--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n"
)


@pytest.fixture
def x25519(keys: dict[str, Key]) -> list[Identity]:
    return load_identity_file(keys["x25519"].private)


def test_parse_header() -> None:
    header = parse_header(HEADER + b"payload")
    assert header.types == ["X25519", "ssh-ed25519", "empty-body"]
    assert header.ssh_tags() == ["OOKlzw"]
    assert header.count("X25519") == 1
    assert header.stanzas[2].body == b"" and header.stanzas[2].args == ("a",)
    assert header.raw == HEADER and len(header.mac) == 32


@pytest.mark.parametrize(
    ("old", "new", "pattern"),
    [
        (b"v1\n", b"v2\n", "unsupported age format version"),
        (b"age-encryption.org/v1", b"rage", "not an age file"),
        (b"-> X25519 ", b"-> X25519  ", "stanza arguments"),
        (b"-> empty-body a\n", b"->\n", "stanza line"),
        (b"FLE\n", b"FLE=\n", "stanza body"),
        (b"--- Wy", b"---  Wy", "MAC line"),
        (b"cNg\n", b"cNh\n", "not canonical"),
        (b"\n--- ", b"\n", "truncated|expected a stanza"),
        (b"jN\n", b"jN\r\n", "stanza body"),
    ],
)
def test_header_errors(old: bytes, new: bytes, pattern: str) -> None:
    with pytest.raises(HeaderError, match=pattern) as info:
        parse_header(HEADER.replace(old, new, 1))
    assert info.value.hint and info.value.kind == "header failure"


def test_header_without_stanza() -> None:
    with pytest.raises(HeaderError, match="no recipient stanza"):
        parse_header(b"age-encryption.org/v1\n--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n")


def armored(data: bytes, eol: bytes = b"\n") -> bytes:
    import base64

    text = base64.b64encode(data)
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return eol.join(
        [b"-----BEGIN AGE ENCRYPTED FILE-----", *lines, b"-----END AGE ENCRYPTED FILE-----", b""]
    )


@pytest.mark.parametrize("size", [0, 1, 47, 48, 49, 96, 1000, 70000])
@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_dearmor_roundtrip(size: int, eol: bytes) -> None:
    data = os.urandom(size)
    assert dearmor(armored(data, eol)) == data
    assert dearmor(b" \n\t" + armored(data, eol) + b"\n  \n") == data
    assert dearmor(armored(data, eol).rstrip()) == data


@pytest.mark.parametrize(
    ("mangle", "pattern"),
    [
        (lambda a: a.replace(b"\n", b"\r\n", 1), "short line|columns|canonical"),
        (lambda a: b" " * 1025 + a, "whitespace before"),
        (lambda a: a + b" " * 1025, "whitespace after"),
        (lambda a: a + b"x", "after the end line"),
        (lambda a: a.replace(b"-----END AGE ENCRYPTED FILE-----\n", b""), "no end line"),
        (lambda a: a.replace(b"BEGIN AGE", b"BEGIN PGP"), "first line"),
        (lambda a: b"", "empty"),
    ],
)
def test_armor_errors(mangle: object, pattern: str) -> None:
    with pytest.raises(ArmorError, match=pattern):
        dearmor(mangle(armored(os.urandom(200))))  # type: ignore[operator]


def test_roundtrip_bytes_armored(keys: dict[str, Key], x25519: list[Identity]) -> None:
    data = encrypt_bytes(b"hello", [keys["x25519"].public_text], armor=True)
    assert data.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n")
    assert decrypt_bytes(data, x25519) == b"hello"
    assert parse_header(dearmor(data)).types[0] == "X25519"


def test_encrypt_needs_recipients() -> None:
    with pytest.raises(RecipientError, match="no recipients"):
        encrypt_bytes(b"x", [])
    with pytest.raises(RecipientError):
        encrypt_bytes(b"x", ["ssh-dss AAAA"])


@pytest.mark.parametrize("armor", [False, True])
def test_files_roundtrip(
    tmp_path: Path, keys: dict[str, Key], x25519: list[Identity], armor: bool
) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(os.urandom(200_000))
    secret = tmp_path / "secret.age"
    encrypt_file(plain, secret, [parse_recipient(keys["x25519"].public_text)], armor=armor)
    header = read_header(secret)
    assert header.armored is armor and header.count("X25519") == 1
    out = tmp_path / "out"
    assert decrypt_to(secret, x25519, out).armored is armor
    assert out.read_bytes() == plain.read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~current_umask()
    # Streams in and out as well.
    buffer = io.BytesIO()
    encrypt_file(io.BytesIO(b"abc"), buffer, [keys["x25519"].public_text], armor=armor)
    sink = io.BytesIO()
    decrypt_to(io.BytesIO(buffer.getvalue()), x25519, sink)
    assert sink.getvalue() == b"abc"


def test_failed_decrypt_leaves_old_file(
    tmp_path: Path, keys: dict[str, Key], x25519: list[Identity]
) -> None:
    out = tmp_path / "out"
    out.write_bytes(b"old")
    wrong = load_identity_file(keys["ed25519"].private)
    secret = tmp_path / "s.age"
    encrypt_file(io.BytesIO(b"new" * 50_000), secret, [keys["x25519"].public_text])
    with pytest.raises(NoIdentityMatchError):
        decrypt_to(secret, wrong, out)
    # A payload broken after the first chunk: decryption starts, then fails.
    damaged = bytearray(secret.read_bytes())
    damaged[-20] ^= 1
    broken = tmp_path / "broken.age"
    broken.write_bytes(bytes(damaged))
    with pytest.raises(PayloadError):
        decrypt_to(broken, x25519, out)
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.age", "out", "s.age"]


def test_missing_input(tmp_path: Path, x25519: list[Identity]) -> None:
    with pytest.raises(StoreError, match="cannot read"):
        decrypt_to(tmp_path / "nope.age", x25519, io.BytesIO())
    with pytest.raises(StoreError, match="cannot read"):
        read_header(tmp_path / "nope.age")


def test_atomic_write(tmp_path: Path) -> None:
    target = tmp_path / "f"
    atomic_write(target, b"one", mode=0o600)
    assert target.read_bytes() == b"one" and stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(RuntimeError), atomic_output(target) as handle:
        handle.write(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"one"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]
    atomic_write(target, b"two")  # a replaced file keeps its mode
    assert target.read_bytes() == b"two" and stat.S_IMODE(target.stat().st_mode) == 0o600


class Trickle(io.RawIOBase):
    """A reader that returns at most 1000 bytes a call, like a pipe."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self.data.read(min(size, 1000) if size >= 0 else 1000)


@pytest.mark.parametrize(
    "size", [0, 1, 65536, 2 * 65536, 2 * 65536 + 1, 16 * 65536, 16 * 65536 + 1, 32 * 65536]
)
def test_streamed_encryption_from_a_pipe(
    size: int, tmp_path: Path, keys: dict[str, Key], x25519: list[Identity], age_bin: str
) -> None:
    import subprocess

    data = os.urandom(size)
    secret = tmp_path / "s.age"
    encrypt_file(Trickle(data), secret, [keys["ed25519"].public_text])  # type: ignore[arg-type]
    header = read_header(secret)
    assert header.count("X25519") == 0 and header.count("ssh-ed25519") == 1
    result = subprocess.run(
        [age_bin, "-d", "-i", str(keys["ed25519"].private), str(secret)], capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == data
    assert len(secret.read_bytes()) == len(header.raw) + 16 + size + 16 * max(1, -(-size // 65536))
