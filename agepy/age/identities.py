"""Private keys (identities) that decrypt age files: SSH keys and age identity files.

Supported: OpenSSH private keys (ssh-ed25519, ssh-rsa), PEM/PKCS#8 RSA or Ed25519 keys,
passphrase-protected or not, and age identity files (``AGE-SECRET-KEY-1…``,
``AGE-SECRET-KEY-PQ-1…`` and ``AGE-PLUGIN-…`` lines, ``#`` comments), also
passphrase-encrypted ones (``age -p``).

A passphrase-protected OpenSSH key shows its public key without the passphrase, so, as
``age`` does, agepy asks for the passphrase only when a file has a stanza for that key,
and only once per process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from agepy.age import _bech32
from agepy.age._stream import NONCE_SIZE, decrypt_payload, payload_key
from agepy.age.armor import dearmor, looks_armored
from agepy.age.header import Stanza, parse_header, split_header, verify_mac
from agepy.age.pq import HybridIdentity
from agepy.age.recipients import Recipient, parse_recipient, plugin_name_ok
from agepy.age.scrypt import ScryptIdentity
from agepy.age.ssh import Ed25519Identity, RSAIdentity
from agepy.age.x25519 import X25519Identity
from agepy.errors import AgepyError, IdentityError, RecipientError

__all__ = [
    "Identity",
    "IdentityKind",
    "PromptFn",
    "default_identity_paths",
    "load_identities",
    "load_identity_file",
]

IdentityKind = Literal["ssh-ed25519", "ssh-rsa", "x25519", "pq", "plugin"]
PromptFn = Callable[[Path], str]


class Unwrapper(Protocol):
    """A native identity type's search of a header's stanzas for its file key."""

    def unwrap(self, stanzas: Sequence[Stanza], /) -> bytes | None: ...


_OPENSSH_BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----"
_OPENSSH_END = "-----END OPENSSH PRIVATE KEY-----"
_PEM_MARKERS = (
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----",
)
_MAGIC = b"openssh-key-v1\x00"

# Unlocked key material by (file, content digest): the passphrase is asked once a process.
_UNLOCKED: dict[tuple[str, str], bytes] = {}


def default_identity_paths() -> list[Path]:
    """agenix's defaults that exist: ~/.ssh/id_ed25519, ~/.ssh/id_rsa."""
    home = Path.home() / ".ssh"
    return [p for p in (home / "id_ed25519", home / "id_rsa") if p.is_file()]


@dataclass(eq=False)
class Identity:
    """One private key. ``recipient`` is its public key when known (None for an
    encrypted PEM key without a .pub beside it)."""

    path: Path
    kind: IdentityKind
    recipient: Recipient | None
    encrypted: bool = False
    secret: bytes = field(default=b"", repr=False)  # key file bytes or the identity line
    prompt: PromptFn | None = field(default=None, repr=False)
    plugin_name: str = ""  # for AGE-PLUGIN-… identities
    _unwrapper: Unwrapper | None = field(default=None, repr=False)

    @property
    def tag(self) -> str | None:
        """The stanza tag of an SSH identity (None for age identities or unknown keys)."""
        return self.recipient.tag if self.recipient is not None else None

    @property
    def unlocked(self) -> bool:
        return not self.encrypted or self._cache_key() in _UNLOCKED

    @property
    def is_ssh(self) -> bool:
        return self.kind in ("ssh-ed25519", "ssh-rsa")

    def describe(self) -> str:
        """A short name for messages: path and key."""
        if self.kind == "plugin":
            return f"{self.path} (age-plugin-{self.plugin_name})"
        key = self.recipient.short() if self.recipient is not None else self.kind
        return f"{self.path} ({key})"

    def unwrapper(self) -> Unwrapper:
        """What unwraps this identity's stanzas; asks the passphrase (once a process) if
        the key is locked. Plugin identities have none (the plugin client unwraps)."""
        if self._unwrapper is None:
            if self.kind == "plugin":
                raise IdentityError(
                    f"{self.path}: a plugin identity unwraps through its plugin",
                    hint="this is a bug in agepy",
                )
            self._unwrapper = _native(self.kind, self._plain_secret(), self.path)
        return self._unwrapper

    def _cache_key(self) -> tuple[str, str]:
        return (str(self.path.resolve()), hashlib.sha256(self.secret).hexdigest())

    def _plain_secret(self) -> bytes:
        if not self.encrypted:
            return self.secret
        key = self._cache_key()
        if key not in _UNLOCKED:
            if self.prompt is None:
                raise IdentityError(
                    f"{self.path} is passphrase-protected and agepy cannot ask for it here",
                    hint="run agepy in a terminal, or use a key without a passphrase",
                )
            passphrase = self.prompt(self.path)
            _UNLOCKED[key] = _decrypt_ssh_key(self.secret, passphrase, self.path)
        return _UNLOCKED[key]


def load_identities(
    paths: Sequence[Path] | None = None, *, prompt: PromptFn | None = None
) -> list[Identity]:
    """Identities from the given files, or from agenix's default SSH keys if None."""
    if paths is None or not paths:
        paths = default_identity_paths()
        if not paths:
            raise IdentityError(
                "no identity given and neither ~/.ssh/id_ed25519 nor ~/.ssh/id_rsa exists",
                hint="pass the private key to decrypt with: -i PATH",
            )
    identities: list[Identity] = []
    for path in paths:
        identities.extend(load_identity_file(Path(path), prompt=prompt))
    return identities


def load_identity_file(path: Path, *, prompt: PromptFn | None = None) -> list[Identity]:
    """All identities in one file. Raises IdentityError with what is wrong and a hint."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IdentityError(
            f"cannot read identity {path}: {exc.strerror or exc}",
            hint="check the path and its permissions (-i PATH)",
        ) from None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    stripped = text.strip()
    if data.startswith(b"age-encryption.org/") or stripped.startswith(
        "-----BEGIN AGE ENCRYPTED FILE-----"
    ):
        return _load_encrypted_age_identities(path, data, prompt)
    if stripped.startswith(_OPENSSH_BEGIN):
        return [_load_openssh(path, stripped, data, prompt)]
    if stripped.startswith(_PEM_MARKERS):
        return [_load_pem(path, data, prompt)]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if lines and all(ln.upper().startswith(_AGE_IDENTITY_PREFIXES) for ln in lines):
        return [_age_identity(path, ln, number) for number, ln in enumerate(lines)]
    if lines and _is_public_key(lines[0]):
        raise IdentityError(
            f"{path} is a public key, not a private key (identity)",
            hint="give the private key: the file without .pub (e.g. -i ~/.ssh/id_ed25519)",
        )
    raise IdentityError(
        f"{path} is not a private key agepy knows (OpenSSH, PEM or age identity file)",
        hint="use an ssh-ed25519/ssh-rsa private key or an age-keygen identity file",
    )


def _is_public_key(line: str) -> bool:
    try:
        parse_recipient(line)
    except RecipientError:
        return line.split(None, 1)[0].startswith(("ssh-", "ecdsa-", "sk-", "age1"))
    return True


# --- OpenSSH -----------------------------------------------------------------------------


def _read_string(blob: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(blob):
        raise ValueError("truncated")
    (length,) = struct.unpack(">I", blob[offset : offset + 4])
    end = offset + 4 + length
    if end > len(blob):
        raise ValueError("truncated")
    return blob[offset + 4 : end], end


def _openssh_public(path: Path, armored: str) -> tuple[bytes, bool]:
    """The public key blob of an openssh-key-v1 file and whether it is encrypted."""
    body = armored[len(_OPENSSH_BEGIN) :]
    end = body.find(_OPENSSH_END)
    try:
        if end < 0:
            raise ValueError("no end line")
        blob = base64.b64decode("".join(body[:end].split()), validate=True)
        if not blob.startswith(_MAGIC):
            raise ValueError("bad magic")
        cipher, pos = _read_string(blob, len(_MAGIC))
        _kdf, pos = _read_string(blob, pos)
        _kdf_options, pos = _read_string(blob, pos)
        if pos + 4 > len(blob) or struct.unpack(">I", blob[pos : pos + 4])[0] != 1:
            raise ValueError("not exactly one key")
        public, pos = _read_string(blob, pos + 4)
    except (ValueError, binascii.Error):
        raise IdentityError(
            f"{path} is a damaged OpenSSH private key",
            hint="copy the key file again, unchanged",
        ) from None
    return public, cipher != b"none"


def _recipient_of_blob(path: Path, blob: bytes) -> Recipient:
    try:
        keytype = _read_string(blob, 0)[0].decode("ascii", "replace")
    except ValueError:
        keytype = "?"
    if keytype.startswith("sk-"):
        raise IdentityError(
            f"{path} is a security-key ({keytype}) SSH key, which age cannot use",
            hint="use age-plugin-yubikey (or age-plugin-fido2-hmac) with `age` instead",
        )
    try:
        return parse_recipient(f"{keytype} {base64.b64encode(blob).decode()}")
    except RecipientError as exc:
        raise IdentityError(f"{path}: {exc.message}", hint=exc.hint) from None


def _load_openssh(path: Path, armored: str, data: bytes, prompt: PromptFn | None) -> Identity:
    blob, encrypted = _openssh_public(path, armored)
    recipient = _recipient_of_blob(path, blob)
    identity = Identity(
        path=path,
        kind=recipient.kind,
        recipient=recipient,
        encrypted=encrypted,
        secret=data,
        prompt=prompt,
    )
    if not encrypted:
        identity.unwrapper()  # fail now, not in the middle of a decryption
    return identity


def _load_pem(path: Path, data: bytes, prompt: PromptFn | None) -> Identity:
    encrypted = b"ENCRYPTED" in data.split(b"\n\n", 1)[0] or b"BEGIN ENCRYPTED" in data
    recipient: Recipient | None = None
    if not encrypted:
        openssh = _decrypt_ssh_key(data, None, path)
        recipient = _public_of_openssh(path, openssh)
        return Identity(path, recipient.kind, recipient, secret=openssh)
    pub = path.with_name(path.name + ".pub")
    if pub.is_file():
        try:
            recipient = parse_recipient(pub.read_text(encoding="ascii", errors="replace"))
        except (OSError, RecipientError):
            recipient = None
    kind = recipient.kind if recipient is not None and recipient.is_ssh else "ssh-rsa"
    return Identity(path, kind, recipient, encrypted=True, secret=data, prompt=prompt)


def _public_of_openssh(path: Path, openssh: bytes) -> Recipient:
    blob, _ = _openssh_public(path, openssh.decode("ascii").strip())
    return _recipient_of_blob(path, blob)


def _decrypt_ssh_key(data: bytes, passphrase: str | None, path: Path) -> bytes:
    """Unencrypted OpenSSH private key bytes (unlocked once, kept for the process)."""
    password = passphrase.encode() if passphrase is not None else None
    try:
        if data.lstrip().startswith(_OPENSSH_BEGIN.encode()):
            key: Any = serialization.load_ssh_private_key(data, password=password)
        else:
            key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        if passphrase is not None:
            raise IdentityError(
                f"wrong passphrase for {path}", hint="try again, or check -i"
            ) from None
        raise IdentityError(
            f"cannot read private key {path}: {exc}", hint="check the key file"
        ) from None
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm and the like
        raise IdentityError(
            f"cannot use private key {path}: {exc}", hint="use an ssh-ed25519 or ssh-rsa key"
        ) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey):
        raise IdentityError(
            f"{path} is a {type(key).__name__.replace('PrivateKey', '')} key; age uses "
            "only ssh-ed25519 and ssh-rsa",
            hint="use an ssh-ed25519 or ssh-rsa key",
        )
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )


def _native(kind: str, secret: bytes, path: Path) -> Unwrapper:
    try:
        if kind == "x25519":
            return X25519Identity(_age_secret(secret, "age-secret-key-"))
        if kind == "pq":
            return HybridIdentity(_age_secret(secret, "age-secret-key-pq-"))
        key = serialization.load_ssh_private_key(secret, password=None)
    except (ValueError, TypeError) as exc:
        raise IdentityError(f"cannot use identity {path}: {exc}", hint="check the key") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        point = key.public_key().public_bytes_raw()
        return Ed25519Identity(key.private_bytes_raw(), point)
    if isinstance(key, rsa.RSAPrivateKey):
        blob = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        return RSAIdentity(key, base64.b64decode(blob.split()[1]))
    raise IdentityError(f"{path} is not an ssh-ed25519 or ssh-rsa key", hint="check -i")


def _age_secret(line: bytes, hrp: str) -> bytes:
    got, data = _bech32.decode(line.decode("ascii"))
    if got != hrp or len(data) != 32:
        raise ValueError(f"not a {hrp.upper()}1… identity")
    return data


# --- age identity files ------------------------------------------------------------------

_AGE_IDENTITY_PREFIXES = ("AGE-SECRET-KEY-1", "AGE-SECRET-KEY-PQ-1", "AGE-PLUGIN-")


def _age_identity(path: Path, line: str, index: int) -> Identity:
    bad = IdentityError(
        f"{path}: identity #{index + 1} is not a valid AGE-SECRET-KEY-… or AGE-PLUGIN-… line",
        hint="copy the identity file again (age-keygen writes one)",
    )
    upper = line.upper()
    if upper.startswith("AGE-PLUGIN-"):
        bad = IdentityError(
            f"{path}: identity #{index + 1} is not a valid plugin identity (AGE-PLUGIN-…)",
            hint="copy the identity again (the plugin, e.g. age-plugin-yubikey, prints it)",
        )
        try:
            hrp, _ = _bech32.decode(line)
        except ValueError:
            raise bad from None
        name = hrp[len("age-plugin-") : -1]
        if not hrp.endswith("-") or not plugin_name_ok(name):
            raise bad
        return Identity(path, "plugin", None, secret=line.encode(), plugin_name=name)
    kind: IdentityKind = "pq" if upper.startswith("AGE-SECRET-KEY-PQ-1") else "x25519"
    try:
        native = _native(kind, line.encode("ascii"), path)
    except IdentityError:
        raise bad from None
    assert isinstance(native, X25519Identity | HybridIdentity)
    recipient = parse_recipient(str(native.recipient()))
    return Identity(path, kind, recipient, secret=line.encode("ascii"), _unwrapper=native)


def _open_passphrase_file(data: bytes, passphrase: str) -> bytes | None:
    """The plaintext of a passphrase-encrypted (``age -p``) file; None: wrong passphrase."""
    if looks_armored(data[:1058]):
        data = dearmor(data)
    length, _ = split_header(data)
    if length is None:
        raise IdentityError("the encrypted identity file is truncated", hint="restore it")
    header = parse_header(data[:length])
    file_key = ScryptIdentity(passphrase).unwrap(header.stanzas)
    if file_key is None:
        return None
    verify_mac(header, file_key)
    nonce = data[length : length + NONCE_SIZE]
    out: list[bytes] = []
    reader = _Bytes(data[length + NONCE_SIZE :])
    decrypt_payload(payload_key(file_key, nonce), reader, out.append)
    return b"".join(out)


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)

    def readinto(self, buffer: bytearray | memoryview, /) -> int:
        n = min(len(buffer), len(self._view))
        buffer[:n] = self._view[:n]
        self._view = self._view[n:]
        return n


def _load_encrypted_age_identities(
    path: Path, data: bytes, prompt: PromptFn | None
) -> list[Identity]:
    key = (str(path.resolve()), hashlib.sha256(data).hexdigest())
    if key not in _UNLOCKED:
        if prompt is None:
            raise IdentityError(
                f"{path} is a passphrase-encrypted identity file and agepy cannot ask here",
                hint="run agepy in a terminal",
            )
        try:
            plain = _open_passphrase_file(data, prompt(path))
        except AgepyError:
            plain = None
        if plain is None:
            raise IdentityError(
                f"cannot decrypt identity file {path}: wrong passphrase or not a passphrase file",
                hint="try again",
            )
        _UNLOCKED[key] = plain
    text = _UNLOCKED[key].decode("ascii", "replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines or not all(ln.upper().startswith(_AGE_IDENTITY_PREFIXES) for ln in lines):
        raise IdentityError(
            f"{path} decrypts to something other than age identities",
            hint="an encrypted identity file holds AGE-SECRET-KEY-1… lines",
        )
    return [_age_identity(path, ln, i) for i, ln in enumerate(lines)]
