"""Conformance: every C2SP CCTV age vector gives its expected outcome through agepy.

The vectors are a copy in tests/age/vectors (see NOTICE there). Each goes through the
in-memory path (decrypt_bytes), the file path (decrypt_to, path to path) and a
streaming reader that hands out a few bytes at a time; none is skipped.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agepy.age import decrypt_bytes, decrypt_to, looks_armored
from agepy.age.identities import load_identity_file
from agepy.errors import AgeFormatError, NoIdentityMatchError
from tests.age.conftest import VECTORS
from tests.support.keys import current_umask

OUTCOMES = {
    "success",
    "no match",
    "HMAC failure",
    "header failure",
    "payload failure",
    "armor failure",
}


@dataclass
class Vector:
    name: str
    expect: str
    payload: str | None
    identities: list[str] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)
    armored: bool = False
    body: bytes = b""

    @property
    def post_quantum(self) -> bool:
        return any(i.startswith("AGE-SECRET-KEY-PQ-") for i in self.identities)


def load_vector(path: Path) -> Vector:
    head, _, body = path.read_bytes().partition(b"\n\n")
    vector = Vector(path.name, "", None)
    compressed = False
    for line in head.decode().splitlines():
        key, _, value = line.partition(": ")
        if key == "expect":
            vector.expect = value
        elif key == "payload":
            vector.payload = value
        elif key == "identity":
            vector.identities.append(value)
        elif key == "passphrase":
            vector.passphrases.append(value)
        elif key == "armored":
            vector.armored = value == "yes"
        elif key == "compressed":
            compressed = value == "zlib"
    vector.body = zlib.decompress(body) if compressed else body
    return vector


ALL = sorted(p for p in VECTORS.iterdir() if p.name not in ("README.md", "NOTICE"))


def test_vector_inventory() -> None:
    vectors = [load_vector(p) for p in ALL]
    post_quantum = [v.name for v in vectors if v.post_quantum]
    assert len(vectors) == 143
    assert {v.expect for v in vectors} <= OUTCOMES
    print(f"\nCCTV age vectors: {len(vectors)}, post-quantum: {len(post_quantum)}")
    assert len(post_quantum) == 19


_SLOW_PREFIX = 4 * 65536 + 4096


class _Trickle(io.RawIOBase):
    """A stream of short reads: at most 7 bytes per read over the header and the first
    four chunks, then 4099 (prime, so chunk boundaries fall inside reads): no chunk is
    ever read whole in one call, and the 16 MiB vectors take thousands of reads, not
    millions."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        # RawIOBase.read would go through readinto with a new buffer each time; the
        # multi-MiB vectors make millions of reads, so this double answers them directly.
        start = self._at
        step = 7 if start < _SLOW_PREFIX else 4099
        self._at = min(start + (step if size < 0 else min(size, step)), len(self._data))
        return self._data[start : self._at]

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@pytest.mark.parametrize("via", ["memory", "file", "stream"])
@pytest.mark.parametrize("path", ALL, ids=[p.name for p in ALL])
def test_vector(path: Path, via: str, tmp_path: Path) -> None:
    """Each vector's outcome and error category, through decrypt_bytes, file-to-file
    decrypt_to, and a trickling stream."""
    vector = load_vector(path)
    identities = []
    if vector.identities:
        keyfile = tmp_path / "identity.txt"
        keyfile.write_text("# from the vector\n" + "\n".join(vector.identities) + "\n")
        identities = load_identity_file(keyfile)
    passphrase = vector.passphrases[0] if vector.passphrases else None
    ask = (lambda: passphrase) if passphrase is not None else None
    try:
        if via == "memory":
            plaintext = decrypt_bytes(vector.body, identities, passphrase=ask)  # type: ignore[arg-type]
        elif via == "stream":
            out_stream = io.BytesIO()
            decrypt_to(_Trickle(vector.body), identities, out_stream, passphrase=ask)  # type: ignore[arg-type]
            plaintext = out_stream.getvalue()
        else:
            (tmp_path / "in.age").write_bytes(vector.body)
            out = tmp_path / "out"
            decrypt_to(tmp_path / "in.age", identities, out, passphrase=ask)  # type: ignore[arg-type]
            plaintext = out.read_bytes()
            assert out.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    except NoIdentityMatchError as exc:
        outcome = exc.kind
    except AgeFormatError as exc:
        outcome = exc.kind
    else:
        outcome = "success"
        assert hashlib.sha256(plaintext).hexdigest() == vector.payload
    assert outcome == vector.expect
    if vector.armored or vector.body.startswith(b"age-encryption.org/"):
        assert looks_armored(vector.body[:4096]) == vector.armored
