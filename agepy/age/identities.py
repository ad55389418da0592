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
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from agepy.age import _bech32
from agepy.age._key_files import (
    OPENSSH_BEGIN,
    PEM_MARKERS,
    decrypt_ssh_key,
    load_private_key,
    open_passphrase_file,
    openssh_public,
    read_string,
)
from agepy.age.header import Stanza
from agepy.age.pq import HybridIdentity
from agepy.age.recipients import Recipient, parse_recipient, plugin_name_ok
from agepy.age.ssh import Ed25519Identity, RSAIdentity
from agepy.age.x25519 import X25519Identity
from agepy.errors import AgepyError, IdentityError, Reason, RecipientError

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
            _UNLOCKED[key] = decrypt_ssh_key(self.secret, passphrase, self.path)
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
                hint="pass the private key to decrypt with (identities=[PATH])",
                reason=Reason.NO_IDENTITY,
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
            hint="check the path and its permissions",
            reason=Reason.IDENTITY_UNREADABLE,
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
    if stripped.startswith(OPENSSH_BEGIN):
        return [_load_openssh(path, stripped, data, prompt)]
    if stripped.startswith(PEM_MARKERS):
        return [_load_pem(path, data, prompt)]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if lines and all(ln.upper().startswith(_AGE_IDENTITY_PREFIXES) for ln in lines):
        return [_age_identity(path, ln, number) for number, ln in enumerate(lines)]
    if lines and _is_public_key(lines[0]):
        raise IdentityError(
            f"{path} is a public key, not a private key (identity)",
            hint="give the private key: the file without .pub (e.g. ~/.ssh/id_ed25519)",
            reason=Reason.PUBLIC_KEY_AS_IDENTITY,
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


def _recipient_of_blob(path: Path, blob: bytes) -> Recipient:
    try:
        keytype = read_string(blob, 0)[0].decode("ascii", "replace")
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
        raise IdentityError(
            f"{path}: {exc.message}", hint=exc.hint, reason=exc.reason, details=exc.details
        ) from None


def _load_openssh(path: Path, armored: str, data: bytes, prompt: PromptFn | None) -> Identity:
    blob, encrypted = openssh_public(path, armored)
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
        openssh = decrypt_ssh_key(data, None, path)
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
    blob, _ = openssh_public(path, openssh.decode("ascii").strip())
    return _recipient_of_blob(path, blob)


def _native(kind: str, secret: bytes, path: Path) -> Unwrapper:
    try:
        if kind == "x25519":
            return X25519Identity(_age_secret(secret, "age-secret-key-"))
        if kind == "pq":
            return HybridIdentity(_age_secret(secret, "age-secret-key-pq-"))
        key = load_private_key(secret)
    # A damaged key can name a cipher that cryptography then calls unsupported.
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise IdentityError(f"cannot use identity {path}: {exc}", hint="check the key") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        point = key.public_key().public_bytes_raw()
        return Ed25519Identity(key.private_bytes_raw(), point)
    if isinstance(key, rsa.RSAPrivateKey):
        blob = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        return RSAIdentity(key, base64.b64decode(blob.split()[1]))
    raise IdentityError(
        f"{path} is not an ssh-ed25519 or ssh-rsa key",
        hint="give an ssh-ed25519 or ssh-rsa key, or an age identity file",
        reason=Reason.IDENTITY_KEY_TYPE,
    )


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
            plain = open_passphrase_file(data, prompt(path))
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
