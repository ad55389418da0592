"""Hypothesis fuzzing: the header, armor, key and identity parsers raise only agepy errors."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agepy.age import dearmor, open_age, parse_header
from agepy.errors import AgepyError
from agepy.identities import load_identity_file
from agepy.keys import parse_recipient, parse_recipients_file
from tests.age.conftest import VECTORS

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_SEEDS = [
    p.read_bytes().partition(b"\n\n")[2]
    for p in sorted(VECTORS.iterdir())
    if p.name.startswith(("x25519", "armor_", "stanza_", "hmac_", "scrypt"))
]
_SEEDS = [s for s in _SEEDS if s[:1] in (b"a", b"-", b"\n", b" ")]

KEY_LINES = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOhdu9IGBCnk8pQ4SKbEU0tbsThAO88ifJU2NOted1iS me@x",
    "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC",
]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.sampled_from(b"\n\r -=>+/Aa0 \t\x00\xff"))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(max_size=8))
        elif data:
            del data[pos : pos + draw(st.integers(1, 70))]
    return bytes(data)


def _only_agepy_errors(func: object, *args: object) -> None:
    try:
        func(*args)  # type: ignore[operator]
    except AgepyError as exc:
        assert exc.message and "\n" not in exc.message


@SETTINGS
@given(st.one_of(st.binary(max_size=600), mutated(_SEEDS)))
def test_header_parser(data: bytes) -> None:
    _only_agepy_errors(parse_header, data)
    _only_agepy_errors(lambda d: open_age(io.BytesIO(d)), data)


@SETTINGS
@given(st.one_of(st.binary(max_size=600), mutated([s for s in _SEEDS if b"-----BEGIN" in s])))
def test_armor_parser(data: bytes) -> None:
    _only_agepy_errors(dearmor, data)


@SETTINGS
@given(
    st.one_of(
        st.text(max_size=200),
        mutated([k.encode() for k in KEY_LINES]).map(lambda b: b.decode("latin-1")),
    )
)
def test_key_parser(text: str) -> None:
    _only_agepy_errors(parse_recipient, text)
    _only_agepy_errors(parse_recipients_file, text)


_IDENTITY_SEEDS = [
    b"AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0\n",
    b"-----BEGIN OPENSSH PRIVATE KEY-----\n"
    b"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    b"QyNTUxOQAAACDoXbvSBgQp5PKUOEimxFNLW7E4QDvPInyVNjTrXndYkgAAAJgAAAAA\n"
    b"-----END OPENSSH PRIVATE KEY-----\n",
]


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=300), mutated(_IDENTITY_SEEDS)))
def test_identity_parser(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "id"
        path.write_bytes(data)
        _only_agepy_errors(load_identity_file, path)
