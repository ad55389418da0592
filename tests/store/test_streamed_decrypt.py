"""The store checks a file's header before reading the rest: a huge damaged .age file
fails without being read into memory (tracemalloc counts Python's allocations)."""

from __future__ import annotations

import tracemalloc

import pytest

from agepy.errors import HeaderError
from agepy.store import Store
from tests.support.keys import Key
from tests.support.repo import MakeRepo


def test_a_huge_damaged_file_is_refused_from_its_header(
    make_repo: MakeRepo, keys: dict[str, Key]
) -> None:
    repo = make_repo({"big.age": ["alice"]})
    secret = repo.dir / "big.age"
    with secret.open("wb") as handle:
        # A complete header whose stanza line is malformed (two spaces), then 64 MiB.
        handle.write(b"age-encryption.org/v1\n-> X25519  two-spaces\n\n--- " + b"A" * 43 + b"\n")
        handle.write(b"\0" * (64 << 20))
    store = Store(repo.rules, identities=[keys["alice"].private])
    tracemalloc.start()
    try:
        with pytest.raises(HeaderError):
            store.decrypt("big.age")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # a few buffers, not the 64 MiB file
