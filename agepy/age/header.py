"""The age v1 header (C2SP age spec): strict parser, writer, MAC, and stanza names.

The parser checks the syntax only: version line, stanzas (arguments of visible ASCII,
body in canonical unpadded base64 wrapped at 64 columns and ending with a short line)
and the MAC line. What a stanza means (X25519 share length, scrypt salt, …) is left to
the recipient modules; the MAC needs the file key, so it is checked when decrypting.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hmac

from agepy.age._kdf import SHA256, hkdf
from agepy.errors import HeaderError, HmacError

__all__ = [
    "INTRO",
    "MAX_HEADER_SIZE",
    "SSH_STANZA_TYPES",
    "Header",
    "Stanza",
    "b64decode_canonical",
    "b64encode_raw",
    "encode_header",
    "parse_header",
    "split_header",
    "stanza_kind",
    "verify_mac",
]

INTRO = b"age-encryption.org/v1\n"
VERSION_PREFIX = b"age-encryption.org/"
MAC_PREFIX = b"--- "
STANZA_PREFIX = b"-> "
COLUMNS = 64
# Far above any real header (a post-quantum stanza is ~1.6 KB), small enough to bound memory.
MAX_HEADER_SIZE = 1 << 20
SSH_STANZA_TYPES = ("ssh-ed25519", "ssh-rsa")
# The stanza types agepy writes and reads itself; anything else is a plugin's or grease.
NATIVE_STANZA_TYPES = ("X25519", "mlkem768x25519", "scrypt", *SSH_STANZA_TYPES)

_ARG = re.compile(rb"[\x21-\x7e]+\Z")
_B64_LINE = re.compile(rb"[A-Za-z0-9+/]*\Z")

_HINT = "the file is damaged or not an age file; restore it from version control or re-encrypt it"


def b64decode_canonical(text: bytes, *, padded: bool) -> bytes:
    """Decode standard base64, refusing anything but its one canonical spelling."""
    if padded:
        data = text
    else:
        if b"=" in text or len(text) % 4 == 1:
            raise ValueError("bad length or padding")
        data = text + b"=" * (-len(text) % 4)
    try:
        decoded = binascii.a2b_base64(data, strict_mode=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None
    encoded = base64.b64encode(decoded)
    if (encoded if padded else encoded.rstrip(b"=")) != text:
        raise ValueError("not canonical")
    return decoded


def b64encode_raw(data: bytes) -> str:
    """Standard base64 without padding, as age writes arguments and MACs."""
    return binascii.b2a_base64(data, newline=False).decode("ascii").rstrip("=")


def stanza_kind(stanza_type: str) -> str:
    """What a stanza type stands for: a native type's own name, "grease" (random types
    rage adds, standing for no recipient), or "plugin/other"."""
    if stanza_type in NATIVE_STANZA_TYPES:
        return stanza_type
    if stanza_type.endswith("-grease"):
        return "grease"
    return "plugin/other"


@dataclass(frozen=True)
class Stanza:
    """One recipient stanza: its type, its other arguments and its decoded body."""

    type: str
    args: tuple[str, ...]
    body: bytes

    @property
    def tag(self) -> str | None:
        """For ssh-ed25519 / ssh-rsa stanzas, the recipient tag; else None."""
        if self.type in SSH_STANZA_TYPES and self.args:
            return self.args[0]
        return None

    @property
    def kind(self) -> str:
        """See :func:`stanza_kind`."""
        return stanza_kind(self.type)

    def encode(self) -> bytes:
        """The stanza as it appears in a header: argument line, then the wrapped body."""
        line = " ".join((self.type, *self.args)).encode("ascii")
        body = binascii.b2a_base64(self.body, newline=False).rstrip(b"=")
        if len(body) < COLUMNS:  # native stanzas' bodies: one short line
            return b"-> " + line + b"\n" + body + b"\n"
        lines = [body[i : i + COLUMNS] for i in range(0, len(body), COLUMNS)]
        if len(lines[-1]) == COLUMNS:
            lines.append(b"")  # the body always ends with a short line
        return b"-> " + line + b"\n" + b"\n".join(lines) + b"\n"


@dataclass(frozen=True)
class Header:
    """A parsed header. ``raw`` is its exact bytes, MAC line included."""

    stanzas: list[Stanza]
    mac: bytes
    raw: bytes
    armored: bool = False

    def ssh_tags(self) -> list[str]:
        """The tags of the SSH stanzas, in header order."""
        return [s.tag for s in self.stanzas if s.tag is not None]

    def count(self, stanza_type: str) -> int:
        """How many stanzas of this type the header has."""
        return sum(1 for s in self.stanzas if s.type == stanza_type)

    @property
    def types(self) -> list[str]:
        return [s.type for s in self.stanzas]

    def kinds(self) -> list[str]:
        """:func:`stanza_kind` of each stanza, in header order."""
        return [s.kind for s in self.stanzas]


def _mac_key(file_key: bytes) -> bytes:
    return hkdf(file_key, None, b"header")


def _mac(file_key: bytes, covered: bytes) -> bytes:
    mac = hmac.HMAC(_mac_key(file_key), SHA256)
    mac.update(covered)
    return mac.finalize()


def encode_header(stanzas: Sequence[Stanza], file_key: bytes) -> bytes:
    """A complete header for these stanzas, MAC line included."""
    covered = INTRO + b"".join(s.encode() for s in stanzas) + b"---"
    return covered + b" " + b64encode_raw(_mac(file_key, covered)).encode("ascii") + b"\n"


def verify_mac(header: Header, file_key: bytes) -> None:
    """HmacError unless the header's MAC is right for this file key."""
    # The MAC covers the header through "---", not the space and MAC after it.
    covered = header.raw[: len(header.raw) - 45]
    mac = hmac.HMAC(_mac_key(file_key), SHA256)
    mac.update(covered)
    try:
        mac.verify(header.mac)  # constant time
    except InvalidSignature:
        raise HmacError(
            "the header MAC is wrong: the header was changed or damaged",
            hint="restore the file from version control or re-encrypt it",
        ) from None


def split_header(data: bytes | bytearray, start: int = 0) -> tuple[int | None, int]:
    """The length of the header at the start of ``data`` (through the MAC line's LF).

    Returns (length, _) or, when no MAC line ends within ``data`` yet, (None, offset to
    pass as ``start`` once more data is appended): each byte is scanned about once, so
    reading a long header costs linear time. Raises HeaderError when ``data`` cannot be
    the start of an age file.
    """
    if not data.startswith(VERSION_PREFIX[: len(data)]):
        raise HeaderError("not an age file (no age-encryption.org header)", hint=_HINT)
    # The first line starting with "---" ends the header (the version line cannot).
    pos = data.find(b"\n---", start)
    if pos < 0:
        return None, max(start, len(data) - 3)
    end = data.find(b"\n", pos + 1)
    if end < 0:
        return None, pos
    return end + 1, pos


# Well-formed stanzas and MAC line, matched whole: the common case, parsed without
# walking the header line by line. Anything else goes through the line parser, which
# accepts the same headers and names the line at fault in the others.
_STANZA = re.compile(
    rb"-> ([\x21-\x7e]+(?: [\x21-\x7e]+)*)\n((?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/]{0,63})\n"
)
_MAC_LINE = re.compile(rb"--- ([A-Za-z0-9+/]{43})\n")


def parse_header(data: bytes, *, armored: bool = False) -> Header:
    """Parse a binary age v1 header: exactly ``data`` or its beginning.

    Raises HeaderError, naming the line at fault.
    """
    if data.startswith(INTRO):
        try:
            header = _parse_well_formed(data, armored)
        except ValueError:  # not canonical base64: the line parser says where
            header = None
        if header is not None:
            return header
    return _parse_lines(data, armored)


def _parse_well_formed(data: bytes, armored: bool) -> Header | None:
    stanzas = []
    pos = len(INTRO)
    while stanza := _STANZA.match(data, pos):
        args = stanza.group(1).decode("ascii").split(" ")
        body = b64decode_canonical(stanza.group(2).replace(b"\n", b""), padded=False)
        stanzas.append(Stanza(type=args[0], args=tuple(args[1:]), body=body))
        pos = stanza.end()
    mac = _MAC_LINE.match(data, pos)
    if mac is None or not stanzas:
        return None
    body = b64decode_canonical(mac.group(1), padded=False)
    return Header(stanzas=stanzas, mac=body, raw=data[: mac.end()], armored=armored)


def _parse_lines(data: bytes, armored: bool) -> Header:
    lines = _Lines(data)
    version = lines.next()
    if version + b"\n" != INTRO:
        if version.startswith(VERSION_PREFIX):
            shown = version.decode("ascii", "replace")[:40]
            raise HeaderError(
                f"unsupported age format version {shown!r}",
                hint="this file needs a newer age; agepy reads age-encryption.org/v1",
            )
        raise HeaderError("not an age file (no age-encryption.org/v1 line)", hint=_HINT)
    stanzas: list[Stanza] = []
    while True:
        line = lines.next()
        if line.startswith(b"->"):
            stanzas.append(_parse_stanza(line, lines))
        elif line.startswith(b"---"):
            mac = _parse_mac(line, lines.number)
            break
        else:
            raise _bad(lines.number, "expected a stanza (-> …) or the MAC line (--- …)")
    if not stanzas:
        raise HeaderError("the header has no recipient stanza", hint=_HINT)
    return Header(stanzas=stanzas, mac=mac, raw=data[: lines.pos], armored=armored)


class _Lines:
    """LF-terminated lines of ``data``; a missing LF is a truncated header."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.number = 0

    def next(self) -> bytes:
        end = self.data.find(b"\n", self.pos)
        self.number += 1
        if end < 0:
            raise HeaderError(f"the header is truncated at line {self.number}", hint=_HINT)
        line = self.data[self.pos : end]
        self.pos = end + 1
        return line


def _bad(number: int, what: str) -> HeaderError:
    return HeaderError(f"malformed header, line {number}: {what}", hint=_HINT)


def _parse_stanza(line: bytes, lines: _Lines) -> Stanza:
    number = lines.number
    if not line.startswith(STANZA_PREFIX):
        raise _bad(number, "a stanza line must be '-> ' and its arguments")
    args = line[len(STANZA_PREFIX) :].split(b" ")
    for arg in args:
        if not _ARG.match(arg):
            raise _bad(number, "stanza arguments must be non-empty visible ASCII, one space apart")
    chunks = []
    while True:
        chunk = lines.next()
        if len(chunk) > COLUMNS or not _B64_LINE.match(chunk):
            raise _bad(lines.number, "stanza body is not base64 wrapped at 64 columns")
        chunks.append(chunk)
        if len(chunk) < COLUMNS:
            break
    # Full lines are whole base64 groups, so only the last line can be non-canonical,
    # and decoding the lines joined is the same as decoding them one by one.
    try:
        body = b64decode_canonical(b"".join(chunks), padded=False)
    except ValueError:
        raise _bad(lines.number, "stanza body is not canonical unpadded base64") from None
    text_args = [a.decode("ascii") for a in args]
    return Stanza(type=text_args[0], args=tuple(text_args[1:]), body=body)


def _parse_mac(line: bytes, number: int) -> bytes:
    encoded = line[len(MAC_PREFIX) :]
    if not line.startswith(MAC_PREFIX) or len(encoded) != 43 or not _B64_LINE.match(encoded):
        raise _bad(number, "the MAC line must be '--- ' and 43 base64 characters")
    try:
        return b64decode_canonical(encoded, padded=False)
    except ValueError:
        raise _bad(number, "the MAC is not canonical base64") from None
