"""Hypothesis fuzzing of decryption itself: mutated files for every native recipient type
(X25519, ssh-ed25519, ssh-rsa, post-quantum, passphrase) raise only agepy errors."""

from __future__ import annotations

import contextlib
import secrets

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agepy.age import decrypt_bytes, encrypt_bytes
from agepy.age.identities import Identity, load_identities
from agepy.age.pq import HybridIdentity
from agepy.age.x25519 import X25519Identity
from agepy.errors import AgepyError
from tests.age.test_fuzz import mutated
from tests.support.keys import Key

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
PASSWORD = "fuzz"


@pytest.fixture(scope="module")
def corpus(
    keys: dict[str, Key], tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[bytes], list[Identity]]:
    folder = tmp_path_factory.mktemp("fuzz-keys")
    x25519, hybrid = X25519Identity.generate(), HybridIdentity.generate()
    keyfile = folder / "age.key"
    keyfile.write_text(f"{x25519.secret_text()}\n{hybrid.secret_text()}\n")
    identities = load_identities([keyfile, keys["ed25519"].private, keys["rsa2048"].private])
    plain = secrets.token_bytes(70_000)
    classic = [str(x25519.recipient()), keys["ed25519"].public_text, keys["rsa2048"].public_text]
    files = [
        encrypt_bytes(plain[:100], classic),
        encrypt_bytes(plain, classic[:1], armor=True),
        encrypt_bytes(b"", [str(hybrid.recipient())]),
        encrypt_bytes(plain[:10], [], passphrase=PASSWORD, work_factor=2),
    ]
    return files, identities


@SETTINGS
@given(data=st.data())
def test_mutated_files_raise_only_agepy_errors(
    data: st.DataObject, corpus: tuple[list[bytes], list[Identity]]
) -> None:
    files, identities = corpus
    damaged = data.draw(mutated(files))
    with contextlib.suppress(AgepyError):
        decrypt_bytes(damaged, identities, passphrase=lambda: PASSWORD)


def test_the_corpus_decrypts(corpus: tuple[list[bytes], list[Identity]]) -> None:
    """What the fuzz test mutates is valid to begin with."""
    files, identities = corpus
    for data in files:
        decrypt_bytes(data, identities, passphrase=lambda: PASSWORD)
