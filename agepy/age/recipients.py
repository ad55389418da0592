"""Public keys (recipients) age can encrypt to: parse, check, fingerprint, stanza tag.

Supported, as in age: ``ssh-ed25519``, ``ssh-rsa`` (at least 2048 bits), X25519
(``age1…``), the post-quantum hybrid (``age1pq1…``) and plugin recipients
(``age1<plugin>1…``). Private keys (identities) live in :mod:`agepy.age.identities`;
the wrapping itself in one module per type (x25519, ssh, pq, plugin).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import struct
from dataclasses import dataclass
from typing import Literal, Protocol

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_ssh_public_key

from agepy.age import _bech32
from agepy.age.header import Stanza
from agepy.age.pq import PUBLIC_SIZE, HybridRecipient
from agepy.age.ssh import Ed25519Recipient, RSARecipient, ed25519_to_montgomery, ssh_tag
from agepy.age.x25519 import X25519Recipient
from agepy.errors import RecipientError

__all__ = [
    "Recipient",
    "RecipientKind",
    "bech32_decode",
    "key_canonical",
    "parse_recipient",
    "parse_recipients_file",
    "plugin_name_ok",
    "ssh_fingerprint",
    "ssh_tag",
]

RecipientKind = Literal["ssh-ed25519", "ssh-rsa", "x25519", "pq", "plugin"]
_STANZA_TYPES = {"x25519": "X25519", "pq": "mlkem768x25519", "plugin": "plugin"}
# Plugin names become a binary name (age-plugin-NAME): no path separators, no surprises.
_PLUGIN_NAME = re.compile(r"[a-z0-9][a-z0-9._+-]*\Z")

bech32_decode = _bech32.decode


def plugin_name_ok(name: str) -> bool:
    return bool(_PLUGIN_NAME.match(name))


class Wrapper(Protocol):
    """A native recipient type's wrapping of a file key into a stanza."""

    def wrap(self, file_key: bytes, /) -> Stanza: ...


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


@dataclass(frozen=True)
class Recipient:
    """One recipient. ``text`` is canonical (no comment); ``original`` is as given."""

    kind: RecipientKind
    text: str
    original: str
    comment: str = ""
    blob: bytes = b""  # SSH wire-format public key; empty for age recipients
    bits: int = 0  # RSA modulus size
    plugin_name: str = ""  # for plugin recipients
    key: bytes = b""  # X25519 / hybrid public key bytes

    @property
    def plugin(self) -> str:
        """The plugin name (``yubikey`` for ``age1yubikey1…``); empty for native types."""
        return self.plugin_name

    @property
    def post_quantum(self) -> bool:
        return self.kind == "pq"

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
        return _STANZA_TYPES.get(self.kind, self.kind)

    # Cached (and parsing is cached by text): the ssh-ed25519 tweaked point and the
    # public key objects are computed once per key, not once per file.
    @functools.cached_property
    def wrapper(self) -> Wrapper | None:
        """What wraps file keys for this native recipient; None for plugin recipients."""
        if self.kind == "x25519":
            return X25519Recipient(self.key)
        if self.kind == "pq":
            return HybridRecipient(self.key)
        if self.kind == "ssh-ed25519":
            return Ed25519Recipient(self.blob[-32:])
        if self.kind == "ssh-rsa":
            public = load_ssh_public_key(self.text.encode("ascii"))
            assert isinstance(public, rsa.RSAPublicKey)
            return RSARecipient(self.blob, public)
        return None

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
            ed25519_to_montgomery(point)  # ValueError if it is not a curve point
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
        return Recipient(kind="x25519", text=text.lower(), original=original, key=data)
    if hrp == "age1pq":
        if len(data) != PUBLIC_SIZE:
            raise RecipientError(
                "post-quantum recipient has the wrong length",
                hint="copy the age1pq1… recipient again (age-keygen -pq writes one)",
            )
        try:
            HybridRecipient(data)
        except ValueError:
            raise RecipientError(
                "post-quantum recipient is not a valid ML-KEM-768 key",
                hint="copy the age1pq1… recipient again",
            ) from None
        return Recipient(kind="pq", text=text.lower(), original=original, key=data)
    plugin = hrp[len("age1") :]
    if not hrp.startswith("age1") or not plugin_name_ok(plugin):
        raise RecipientError(
            f"unknown age recipient prefix {hrp[:30]!r}", hint="age recipients start with age1"
        )
    return Recipient(kind="plugin", text=text.lower(), original=original, plugin_name=plugin)


_PRIVATE_MARKERS = (
    "-----BEGIN",
    "AGE-SECRET-KEY-",
    "AGE-PLUGIN-",
    "PuTTY-User-Key-File",
)


def key_canonical(text: str) -> str:
    """Key text without comment, as :attr:`Recipient.text` has it for a valid key (first two
    fields for SSH, the lowercased age1 string), without parsing: for keys that may be bad."""
    fields = text.split()
    if not fields:
        return ""
    if fields[0].lower().startswith("age1"):
        return fields[0].lower()
    return " ".join(fields[:2])


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
            raise RecipientError(
                f"line {number}: {exc.message}",
                hint=exc.hint,
                reason=exc.reason,
                details=exc.details,
            ) from None
    return recipients
