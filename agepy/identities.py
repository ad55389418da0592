"""Private keys (identities) that decrypt age files: SSH keys and age identity files.

Supported: OpenSSH private keys (ssh-ed25519, ssh-rsa), PEM/PKCS#8 RSA or Ed25519 keys,
passphrase-protected or not, and age identity files (``AGE-SECRET-KEY-1…`` lines,
``#`` comments), also passphrase-encrypted ones (``age -p``).

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
from typing import Any, Literal

from agepy.errors import IdentityError, RecipientError
from agepy.keys import Recipient, parse_recipient

__all__ = [
    "Identity",
    "IdentityKind",
    "PromptFn",
    "default_identity_paths",
    "load_identities",
    "load_identity_file",
]

IdentityKind = Literal["ssh-ed25519", "ssh-rsa", "x25519"]
PromptFn = Callable[[Path], str]

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
    secret: bytes = field(default=b"", repr=False)  # key file bytes or AGE-SECRET-KEY text
    prompt: PromptFn | None = field(default=None, repr=False)
    _pyrage: Any = field(default=None, repr=False)

    @property
    def tag(self) -> str | None:
        """The stanza tag of an SSH identity (None for age identities or unknown keys)."""
        return self.recipient.tag if self.recipient is not None else None

    @property
    def unlocked(self) -> bool:
        return not self.encrypted or self._cache_key() in _UNLOCKED

    def describe(self) -> str:
        """A short name for messages: path and key."""
        key = self.recipient.short() if self.recipient is not None else self.kind
        return f"{self.path} ({key})"

    def to_pyrage(self) -> Any:
        """The pyrage identity; asks the passphrase (once a process) if the key is locked."""
        if self._pyrage is None:
            self._pyrage = _to_pyrage(self.kind, self._plain_secret(), self.path)
        return self._pyrage

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
    if lines and all(ln.upper().startswith("AGE-SECRET-KEY-1") for ln in lines):
        return [_x25519_identity(path, ln, line_number) for line_number, ln in enumerate(lines)]
    if lines and lines[0].startswith("AGE-PLUGIN-"):
        raise IdentityError(
            f"{path} holds a plugin identity (AGE-PLUGIN-…), which agepy does not support",
            hint="decrypt with `age -d -i` and the age-plugin-* binary",
        )
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
        kind=recipient.kind,  # type: ignore[arg-type]
        recipient=recipient,
        encrypted=encrypted,
        secret=data,
        prompt=prompt,
    )
    if not encrypted:
        identity.to_pyrage()  # fail now, not in the middle of a decryption
    return identity


def _load_pem(path: Path, data: bytes, prompt: PromptFn | None) -> Identity:
    encrypted = b"ENCRYPTED" in data.split(b"\n\n", 1)[0] or b"BEGIN ENCRYPTED" in data
    recipient: Recipient | None = None
    if not encrypted:
        openssh = _decrypt_ssh_key(data, None, path)
        recipient = _public_of_openssh(path, openssh)
        return Identity(path, recipient.kind, recipient, secret=openssh)  # type: ignore[arg-type]
    pub = path.with_name(path.name + ".pub")
    if pub.is_file():
        try:
            recipient = parse_recipient(pub.read_text(encoding="ascii", errors="replace"))
        except (OSError, RecipientError):
            recipient = None
    kind = recipient.kind if recipient is not None and recipient.is_ssh else "ssh-rsa"
    return Identity(path, kind, recipient, encrypted=True, secret=data, prompt=prompt)  # type: ignore[arg-type]


def _public_of_openssh(path: Path, openssh: bytes) -> Recipient:
    blob, _ = _openssh_public(path, openssh.decode("ascii").strip())
    return _recipient_of_blob(path, blob)


def _decrypt_ssh_key(data: bytes, passphrase: str | None, path: Path) -> bytes:
    """Unencrypted OpenSSH private key bytes (pyrage takes no encrypted keys)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

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


def _to_pyrage(kind: str, secret: bytes, path: Path) -> Any:
    import pyrage

    try:
        if kind == "x25519":
            return pyrage.x25519.Identity.from_str(secret.decode("ascii"))
        return pyrage.ssh.Identity.from_buffer(secret)
    except Exception as exc:  # pyrage's IdentityError
        raise IdentityError(
            f"age cannot use identity {path}: {exc}", hint="check the key"
        ) from None


# --- age identity files ------------------------------------------------------------------


def _x25519_identity(path: Path, line: str, index: int) -> Identity:
    try:
        native = _to_pyrage("x25519", line.encode("ascii"), path)
        recipient = parse_recipient(str(native.to_public()))
    except (IdentityError, RecipientError):
        raise IdentityError(
            f"{path}: identity #{index + 1} is not a valid AGE-SECRET-KEY-1…",
            hint="copy the identity file again (age-keygen writes one)",
        ) from None
    return Identity(path, "x25519", recipient, secret=line.encode("ascii"), _pyrage=native)


def _load_encrypted_age_identities(
    path: Path, data: bytes, prompt: PromptFn | None
) -> list[Identity]:
    import pyrage

    key = (str(path.resolve()), hashlib.sha256(data).hexdigest())
    if key not in _UNLOCKED:
        if prompt is None:
            raise IdentityError(
                f"{path} is a passphrase-encrypted identity file and agepy cannot ask here",
                hint="run agepy in a terminal",
            )
        try:
            _UNLOCKED[key] = pyrage.passphrase.decrypt(data, prompt(path))
        except Exception:
            raise IdentityError(
                f"cannot decrypt identity file {path}: wrong passphrase or not a passphrase file",
                hint="try again",
            ) from None
    text = _UNLOCKED[key].decode("ascii", "replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines or not all(ln.upper().startswith("AGE-SECRET-KEY-1") for ln in lines):
        raise IdentityError(
            f"{path} decrypts to something other than age identities",
            hint="an encrypted identity file holds AGE-SECRET-KEY-1… lines",
        )
    return [_x25519_identity(path, ln, i) for i, ln in enumerate(lines)]
