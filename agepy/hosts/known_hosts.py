"""Read OpenSSH ``known_hosts`` files (plain and hashed names, ``[host]:port``, markers)
and public key files (.pub, ssh-keyscan output).

Used to cross-check a freshly scanned host key against what ``ssh`` already trusts,
and to take a host's key from a file instead of the network (``--known-hosts``,
``--key-file``). Only reads; agepy never writes known_hosts.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from agepy.errors import HostError
from agepy.hosts.targets import ScannedKey, format_target, scanned_key

__all__ = [
    "KnownHostsCheck",
    "KnownKey",
    "check_known_hosts",
    "default_known_hosts",
    "keys_from_file",
    "known_keys",
    "parse_known_hosts",
]

KnownStatus = Literal["match", "absent", "mismatch", "revoked"]


def default_known_hosts() -> Path:
    return Path.home() / ".ssh" / "known_hosts"


@dataclass(frozen=True)
class KnownKey:
    """One known_hosts line: its host patterns, its key (``type base64``), its marker."""

    line_number: int
    patterns: str
    key: str
    marker: str = ""  # "", "@revoked" or "@cert-authority"

    @property
    def type(self) -> str:
        return self.key.split()[0]

    def matches(self, host: str, port: int) -> bool:
        """Does this line name ``host`` on ``port`` (as ssh looks it up)?"""
        name = format_target(host, port)
        if self.patterns.startswith("|1|"):
            return _hashed_matches(self.patterns, name)
        matched = False
        for pattern in self.patterns.split(","):
            negated = pattern.startswith("!")
            pattern = pattern.removeprefix("!")
            if _wildcard(pattern).fullmatch(name.lower()):
                if negated:
                    return False
                matched = True
        return matched


def _wildcard(pattern: str) -> re.Pattern[str]:
    # ssh's patterns know only * and ?; "[" is literal ([host]:port), unlike fnmatch.
    escaped = re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(escaped, re.DOTALL)


def _hashed_matches(entry: str, name: str) -> bool:
    # |1|base64(salt)|base64(HMAC-SHA1(salt, name)), as `ssh-keygen -H` writes.
    parts = entry.split("|")
    if len(parts) != 4:
        return False
    try:
        salt = base64.b64decode(parts[2], validate=True)
        digest = base64.b64decode(parts[3], validate=True)
    except (binascii.Error, ValueError):
        return False
    mine = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(mine, digest)


def parse_known_hosts(text: str) -> list[KnownKey]:
    """Every usable line of a known_hosts file; malformed lines are skipped, as ssh does."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split()
        if not fields or fields[0].startswith("#"):
            continue
        marker = ""
        if fields[0].startswith("@"):
            marker, fields = fields[0], fields[1:]
        if len(fields) < 3:
            continue
        entries.append(KnownKey(number, fields[0], f"{fields[1]} {fields[2]}", marker))
    return entries


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise HostError(
            f"cannot read {path}: {exc.strerror}", hint="check the file's permissions"
        ) from None


def known_keys(host: str, port: int = 22, path: Path | None = None) -> list[KnownKey]:
    """The plain lines of known_hosts for ``host``:``port`` (no @revoked, @cert-authority)."""
    entries = parse_known_hosts(_read(path or default_known_hosts()))
    return [e for e in entries if not e.marker and e.matches(host, port)]


@dataclass
class KnownHostsCheck:
    """How a key compares with known_hosts.

    ``match``: known_hosts has this key for the host. ``absent``: no key of this type
    for the host. ``mismatch``: a different key of the same type (what ssh reports as
    "REMOTE HOST IDENTIFICATION HAS CHANGED"). ``revoked``: the key is marked @revoked.
    """

    status: KnownStatus
    path: Path
    known: list[KnownKey] = field(default_factory=list)  # same-type keys known for the host

    @property
    def line_numbers(self) -> list[int]:
        return [k.line_number for k in self.known]


def check_known_hosts(host: str, port: int, key: str, path: Path | None = None) -> KnownHostsCheck:
    """Compare ``key`` (``type base64``) with what known_hosts holds for host:port."""
    path = path or default_known_hosts()
    wanted = " ".join(key.split()[:2])
    keytype = wanted.split()[0]
    entries = known_keys(host, port, path)
    revoked = [e for e in parse_known_hosts(_read(path)) if e.marker == "@revoked"]
    if any(e.key == wanted for e in revoked):
        return KnownHostsCheck("revoked", path, [e for e in revoked if e.key == wanted])
    same_type = [e for e in entries if e.type == keytype]
    if any(e.key == wanted for e in same_type):
        return KnownHostsCheck("match", path, [e for e in same_type if e.key == wanted])
    if same_type:
        return KnownHostsCheck("mismatch", path, same_type)
    return KnownHostsCheck("absent", path)


def keys_from_file(path: Path) -> list[ScannedKey]:
    """Keys in a .pub file, ssh-keyscan output or known_hosts lines (comments skipped)."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise HostError(f"cannot read {path}: {exc.strerror}", hint="check the path") from None
    keys: list[ScannedKey] = []
    for raw in text.splitlines():
        fields = raw.split()
        if not fields or fields[0].startswith("#") or fields[0] == "@revoked":
            continue
        for i, word in enumerate(fields[:-1]):
            if word.startswith(("ssh-", "ecdsa-", "sk-")):
                with contextlib.suppress(ValueError, IndexError):
                    keys.append(scanned_key(f"{word} {fields[i + 1]}"))
                break
    if not keys:
        raise HostError(
            f"no SSH public key in {path}",
            hint="give a .pub file, or the output of `ssh-keyscan HOST`",
        )
    return keys
