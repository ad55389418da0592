"""Hypothesis fuzzing: the header, armor, key and identity parsers raise only agepy errors."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agepy.age import dearmor, open_age, parse_header
from agepy.age.identities import load_identity_file
from agepy.age.recipients import parse_recipient, parse_recipients_file
from agepy.errors import AgepyError, HeaderError
from tests.age.conftest import VECTORS

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_SEEDS = [
    p.read_bytes().partition(b"\n\n")[2]
    for p in sorted(VECTORS.iterdir())
    if p.name.startswith(("x25519", "armor_", "stanza_", "hmac_", "scrypt"))
]
_SEEDS = [s for s in _SEEDS if s[:1] in (b"a", b"-", b"\n", b" ")]


def _generated_headers() -> list[bytes]:
    """Headers pyrage wrote (ssh-ed25519, X25519, grease stanzas, multi-line bodies).
    Not a pyrage passphrase header: pyrage calibrates scrypt to a second, paid at import
    in every worker, and the scrypt stanza's shape is in the CCTV seeds (scrypt*)."""
    import pyrage

    x25519 = pyrage.x25519.Identity.generate().to_public()
    ed25519 = pyrage.ssh.Recipient.from_str(KEY_LINES[0])
    made = [pyrage.encrypt(b"x", [x25519] * n + [ed25519] * m) for n, m in ((1, 0), (0, 2), (3, 3))]
    return [m[: m.index(b"\n---") + 48] for m in made]


KEY_LINES = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOhdu9IGBCnk8pQ4SKbEU0tbsThAO88ifJU2NOted1iS me@x",
    "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC",
]
_GENERATED = _generated_headers()


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


@st.composite
def headers(draw: st.DrawFn) -> bytes:
    """A well-formed header (random stanza arguments and bodies), at times with one flaw."""
    import base64

    arg = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)
    lines = [b"age-encryption.org/v1"]
    for _ in range(draw(st.integers(1, 4))):
        args = draw(st.lists(arg, min_size=1, max_size=4))
        lines.append(("-> " + " ".join(args)).encode())
        body = base64.b64encode(draw(st.binary(max_size=150))).rstrip(b"=")
        lines += [body[i : i + 64] for i in range(0, len(body), 64)]
        if len(body) % 64 == 0:
            lines.append(b"")
    lines.append(b"--- " + base64.b64encode(draw(st.binary(min_size=32, max_size=32))).rstrip(b"="))
    data = b"\n".join(lines) + b"\n" + draw(st.binary(max_size=4))
    if draw(st.booleans()):
        return draw(mutated([data]))
    return data


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(headers(), mutated(_SEEDS + _GENERATED)))
def test_header_fast_path_agrees_with_the_line_parser(data: bytes) -> None:
    """parse_header's whole-match fast path accepts exactly what the line parser
    accepts, with the same result; the line parser alone gives the error messages."""
    from agepy.age.header import _parse_lines

    try:
        expected: object = _parse_lines(data, False)
    except HeaderError:
        expected = HeaderError
    try:
        got: object = parse_header(data)
    except HeaderError:
        got = HeaderError
    assert got == expected


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
