"""Public keys (recipients) age can encrypt to: parse, check, fingerprint, stanza tag.

Supported, as in age: ``ssh-ed25519``, ``ssh-rsa`` (at least 2048 bits), X25519
(``age1…``) and plugin recipients (``age1<plugin>1…``). Private keys (identities)
live in :mod:`agepy.identities`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import struct
from dataclasses import dataclass
from typing import Any, Literal

from agepy.errors import RecipientError

__all__ = [
    "Recipient",
    "RecipientKind",
    "bech32_decode",
    "parse_recipient",
    "parse_recipients_file",
    "ssh_fingerprint",
    "ssh_tag",
]

RecipientKind = Literal["ssh-ed25519", "ssh-rsa", "x25519", "plugin"]

MIN_RSA_BITS = 2048

_UNSUPPORTED_SSH = {
    "ecdsa-sha2-nistp256": "ECDSA",
    "ecdsa-sha2-nistp384": "ECDSA",
    "ecdsa-sha2-nistp521": "ECDSA",
    "ssh-dss": "DSA",
}
_SK_HINT = (
    "age cannot encrypt to security-key (sk-*) SSH keys; use age-plugin-yubikey "
    "(or age-plugin-fido2-hmac) and put its age1yubikey1… recipient here instead"
)


def ssh_fingerprint(blob: bytes) -> str:
    """``SHA256:…`` as ``ssh-keygen -lf`` prints it (unpadded base64 of SHA-256)."""
    digest = hashlib.sha256(blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def ssh_tag(blob: bytes) -> str:
    """The age stanza tag: unpadded base64 of the first 4 bytes of SHA-256(blob)."""
    return base64.b64encode(hashlib.sha256(blob).digest()[:4]).decode().rstrip("=")


@dataclass(frozen=True)
class Recipient:
    """One recipient. ``text`` is canonical (no comment); ``original`` is as given."""

    kind: RecipientKind
    text: str
    original: str
    comment: str = ""
    blob: bytes = b""  # SSH wire-format public key; empty for age recipients
    bits: int = 0  # RSA modulus size
    plugin: str = ""  # plugin name, for plugin recipients

    @property
    def is_ssh(self) -> bool:
        return self.kind in ("ssh-ed25519", "ssh-rsa")

    # Cached: a rekey asks each of a few keys for its tag once per entry.
    @functools.cached_property
    def tag(self) -> str | None:
        """The 6-character stanza tag an SSH recipient leaves in a header; else None."""
        return ssh_tag(self.blob) if self.is_ssh else None

    @functools.cached_property
    def fingerprint(self) -> str:
        """SSH: ``SHA256:…``; age recipients are their own fingerprint."""
        return ssh_fingerprint(self.blob) if self.is_ssh else self.text

    @property
    def stanza_type(self) -> str:
        """The stanza type this recipient writes into an age header."""
        if self.kind == "x25519":
            return "X25519"
        if self.kind == "plugin":
            return "plugin"
        return self.kind

    def to_pyrage(self) -> Any:
        """The pyrage recipient object for this key."""
        try:
            return _pyrage_recipient(self.kind, self.text)
        except Exception as exc:  # pyrage raises its own RecipientError types
            raise RecipientError(
                f"age refuses recipient {self.short()}: {exc}",
                hint="check the key; plugin recipients need the age-plugin-* binary on PATH",
            ) from None

    def short(self) -> str:
        """A short human name for messages: type and start of the key."""
        if self.is_ssh:
            return f"{self.kind} {self.fingerprint}"
        return self.text[:20] + "…" if len(self.text) > 24 else self.text

    def __str__(self) -> str:
        return self.text


def _read_string(data: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(data):
        raise ValueError("truncated")
    (length,) = struct.unpack(">I", data[offset : offset + 4])
    end = offset + 4 + length
    if end > len(data):
        raise ValueError("truncated")
    return data[offset + 4 : end], end


def _parse_ssh(line: str, original: str) -> Recipient:
    fields = line.split(None, 2)
    keytype = fields[0]
    comment = fields[2].strip() if len(fields) > 2 else ""
    if keytype in _UNSUPPORTED_SSH:
        raise RecipientError(
            f"{_UNSUPPORTED_SSH[keytype]} SSH keys ({keytype}) are not supported by age",
            hint="use the host's or user's ssh-ed25519 (or ssh-rsa) key instead",
        )
    if keytype.startswith("sk-"):
        raise RecipientError(f"{keytype} keys are not supported by age", hint=_SK_HINT)
    if keytype not in ("ssh-ed25519", "ssh-rsa"):
        # Anything else (certificates, ssh-ed448, typos) would otherwise be read as RSA.
        raise RecipientError(
            f"unsupported SSH key type {keytype[:40]!r}; age takes ssh-ed25519 and ssh-rsa",
            hint="use the plain ssh-ed25519 (or ssh-rsa) public key, not a certificate",
        )
    if len(fields) < 2:
        raise RecipientError(
            f"{keytype} key has no key data", hint="paste the whole line of the .pub file"
        )
    b64 = fields[1]
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise RecipientError(
            f"{keytype} key is not valid base64",
            hint="copy the key again; it was probably cut or mangled",
        ) from None
    try:
        inner_type, pos = _read_string(blob, 0)
        if inner_type.decode("ascii", "replace") != keytype:
            raise RecipientError(
                f"key says {keytype} but its data is a {inner_type.decode('ascii', 'replace')} key",
                hint="copy the key line again, unchanged",
            )
        if keytype == "ssh-ed25519":
            point, pos = _read_string(blob, pos)
            if len(point) != 32:
                raise ValueError("bad ed25519 key length")
            bits = 256
        else:
            exponent, pos = _read_string(blob, pos)
            modulus, pos = _read_string(blob, pos)
            bits = int.from_bytes(modulus, "big").bit_length()
            if not exponent or not modulus:
                raise ValueError("empty RSA parameter")
        if pos != len(blob):
            raise ValueError("trailing data")
    except ValueError:
        raise RecipientError(
            f"{keytype} key data is truncated or malformed",
            hint="copy the whole key line again (ssh-keyscan HOST or cat ~/.ssh/id_*.pub)",
        ) from None
    if keytype == "ssh-rsa" and bits < MIN_RSA_BITS:
        raise RecipientError(
            f"ssh-rsa key has {bits} bits; age needs at least {MIN_RSA_BITS}",
            hint="use an ssh-ed25519 key, or an RSA key of 2048 bits or more",
        )
    text = f"{keytype} {b64}"
    return Recipient(
        kind=keytype,  # type: ignore[arg-type]
        text=text,
        original=original,
        comment=comment,
        blob=blob,
        bits=bits,
    )


# pyrage's recipient objects are immutable; a rekey uses the same few keys for every file.
@functools.lru_cache(maxsize=1024)
def _pyrage_recipient(kind: RecipientKind, text: str) -> Any:
    import pyrage

    if kind in ("ssh-ed25519", "ssh-rsa"):
        return pyrage.ssh.Recipient.from_str(text)
    if kind == "x25519":
        return pyrage.x25519.Recipient.from_str(text)
    return pyrage.plugin.Recipient.from_str(text)


# --- bech32 (BIP 173), without the 90-character limit, as age uses it ----------------

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: list[int]) -> int:
    generators = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generators[i] if ((top >> i) & 1) else 0
    return chk


def bech32_decode(text: str) -> tuple[str, bytes]:
    """Decode a bech32 string into (human-readable part, data bytes); ValueError if bad."""
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed case")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise ValueError("no separator")
    hrp, data_part = text[:pos], text[pos + 1 :]
    if any(ord(c) < 33 or ord(c) > 126 for c in hrp):
        raise ValueError("bad prefix")
    try:
        data = [_BECH32.index(c) for c in data_part]
    except ValueError:
        raise ValueError("bad character") from None
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if _polymod(expanded + data) != 1:
        raise ValueError("bad checksum")
    acc = bits = 0
    out = bytearray()
    for value in data[:-6]:
        acc = (acc << 5) | value
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if bits >= 5 or (acc & ((1 << bits) - 1)):
        raise ValueError("bad padding")
    return hrp, bytes(out)


def _parse_age(text: str, original: str) -> Recipient:
    try:
        hrp, data = bech32_decode(text)
    except ValueError as exc:
        raise RecipientError(
            f"not a valid age recipient ({exc}): {text[:24]}…",
            hint="copy the age1… recipient again (age-keygen -y KEYFILE prints it)",
        ) from None
    if hrp == "age":
        if len(data) != 32:
            raise RecipientError(
                "X25519 recipient has the wrong length", hint="copy the age1… recipient again"
            )
        return Recipient(kind="x25519", text=text.lower(), original=original)
    plugin = hrp[len("age1") :]
    if not hrp.startswith("age1") or not plugin:
        raise RecipientError(
            f"unknown age recipient prefix {hrp!r}", hint="age recipients start with age1"
        )
    return Recipient(kind="plugin", text=text.lower(), original=original, plugin=plugin)


_PRIVATE_MARKERS = (
    "-----BEGIN",
    "AGE-SECRET-KEY-",
    "AGE-PLUGIN-",
    "PuTTY-User-Key-File",
)


def parse_recipient(text: str) -> Recipient:
    """Parse one recipient line (an optional trailing comment is kept aside).

    Raises RecipientError, with a hint, for anything age cannot encrypt to.
    """
    if not isinstance(text, str):
        raise RecipientError(
            f"a recipient must be a string, not {type(text).__name__}",
            hint='write the key in quotes: "ssh-ed25519 AAAA…"',
        )
    return _parse_recipient_text(text)


# A secrets.nix names the same few keys in hundreds of entries; parse each text once.
@functools.lru_cache(maxsize=4096)
def _parse_recipient_text(text: str) -> Recipient:
    original = text
    line = text.strip()
    if not line:
        raise RecipientError("empty recipient", hint="give an ssh-ed25519, ssh-rsa or age1… key")
    if any(line.startswith(marker) for marker in _PRIVATE_MARKERS):
        raise RecipientError(
            "this is a private key, not a public one",
            hint="never paste a private key here; use the .pub file or `age-keygen -y`",
        )
    first = line.split(None, 1)[0]
    if first.startswith(("ssh-", "ecdsa-", "sk-")):
        return _parse_ssh(line, original)
    if first.lower().startswith("age1"):
        if len(line.split()) > 1:
            raise RecipientError(
                "unexpected text after age recipient",
                hint="age recipients take no comment; put it in a Nix comment instead",
            )
        return _parse_age(first, original)
    raise RecipientError(
        f"unknown recipient type: {first[:40]!r}",
        hint="use an ssh-ed25519 or ssh-rsa public key, or an age1… recipient",
    )


def parse_recipients_file(content: str) -> list[Recipient]:
    """A recipients file (``age -R``): one per line, ``#`` comments and blanks ignored."""
    recipients = []
    for number, raw in enumerate(content.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            recipients.append(parse_recipient(line))
        except RecipientError as exc:
            raise RecipientError(f"line {number}: {exc.message}", hint=exc.hint) from None
    return recipients
