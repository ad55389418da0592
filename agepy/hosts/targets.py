"""SSH targets and host keys as plain data: ``host``/``[host]:port``, scanned keys, results.

Kept apart from :mod:`agepy.hosts.scan` so that reading agepy.toml or known_hosts does not
load asyncio (the scanner's event loop).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from agepy.age.recipients import parse_recipient, ssh_fingerprint
from agepy.errors import HostError, KeyscanError, RecipientError

__all__ = [
    "KEY_TYPES",
    "ScanResult",
    "ScannedKey",
    "display_name",
    "format_target",
    "parse_target",
    "scanned_key",
]

# Short type name -> host key algorithms to offer (the signature algorithms for RSA).
KEY_TYPES: dict[str, list[str]] = {
    "ed25519": ["ssh-ed25519"],
    "rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
    "ecdsa": ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"],
}

_BAD_TARGET_HINT = "give HOST, HOST:PORT, [HOST]:PORT or [IPv6]:PORT"


# --- targets ---------------------------------------------------------------------------


def parse_target(text: str, default_port: int = 22) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT``, ``[HOST]:PORT``, ``[v6]:PORT`` or a bare IPv6 address."""
    target = text.strip()
    port_text = ""
    if target.startswith("["):
        close = target.find("]")
        rest = target[close + 1 :] if close > 0 else "?"
        if close < 0 or (rest and not rest.startswith(":")):
            raise HostError(f"bad host address: {text!r}", hint=_BAD_TARGET_HINT)
        host, port_text = target[1:close], rest[1:]
        if rest and not port_text:
            raise HostError(f"no port after ':' in {text!r}", hint=_BAD_TARGET_HINT)
    elif target.count(":") == 1:
        host, port_text = target.split(":")
        if not port_text:
            raise HostError(f"no port after ':' in {text!r}", hint=_BAD_TARGET_HINT)
    else:
        host = target  # a name, an IPv4 address, or a bare IPv6 address (port 22)
    if not host or any(c.isspace() or c in "[]/@" for c in host):
        raise HostError(f"bad host address: {text!r}", hint=_BAD_TARGET_HINT)
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise HostError(f"bad port {port_text!r} in {text!r}", hint="a port is 1 to 65535")
        port = int(port_text)
    return host, port


def format_target(host: str, port: int) -> str:
    """The host as ssh-keyscan and known_hosts write it: ``host`` or ``[host]:port``."""
    return host if port == 22 else f"[{host}]:{port}"


def display_name(host: str, port: int) -> str:
    """How errors name a target: ``host``, ``host:port`` or ``[v6]:port``."""
    # ``host:port`` reads better in a message, where it is not ambiguous (no IPv6 colons).
    return f"{host}:{port}" if port != 22 and ":" not in host else format_target(host, port)


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScannedKey:
    """One host key: ``type`` is the SSH key type (``ssh-ed25519``, ``ssh-rsa``, …)."""

    type: str
    line: str  # "ssh-ed25519 AAAA…", no comment
    fingerprint: str  # SHA256:…
    usable_for_age: bool
    note: str = ""  # why age cannot use it, when it cannot

    @property
    def short_type(self) -> str:
        """``ed25519``, ``rsa`` or ``ecdsa``, as ``-t`` takes them."""
        if self.type.startswith("ecdsa-"):
            return "ecdsa"
        return self.type.removeprefix("ssh-")


@dataclass
class ScanResult:
    """What one host presented, or why it could not be scanned."""

    host: str
    port: int
    keys: list[ScannedKey] = field(default_factory=list)
    error: KeyscanError | None = None
    banner: str | None = None  # the server's SSH identification string

    @property
    def name(self) -> str:
        """``host`` or ``[host]:port``: the name in ssh-keyscan output and known_hosts."""
        return format_target(self.host, self.port)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def usable_keys(self) -> list[ScannedKey]:
        return [key for key in self.keys if key.usable_for_age]

    def key(self, short_type: str | None = None) -> ScannedKey | None:
        """The key of ``short_type``; by default ed25519 if offered, else rsa."""
        wanted = [short_type] if short_type else ["ed25519", "rsa"]
        for kind in wanted:
            for key in self.usable_keys:
                if key.short_type == kind:
                    return key
        return None

    def lines(self) -> list[str]:
        """The stdout lines ``ssh-keyscan`` prints for this host."""
        return [f"{self.name} {key.line}" for key in self.keys]

    def to_json(self) -> dict[str, Any]:
        error = None
        if self.error is not None:
            error = {"reason": self.error.reason, "message": self.error.message}
        keys = [
            {
                "type": k.type,
                "key": k.line,
                "fingerprint": k.fingerprint,
                "usable": k.usable_for_age,
            }
            for k in self.keys
        ]
        return {"host": self.host, "port": self.port, "keys": keys, "error": error}


def scanned_key(line: str) -> ScannedKey:
    """A :class:`ScannedKey` from a public key line (``type base64``)."""
    fields = line.split()
    keytype, b64 = fields[0], fields[1]
    blob = base64.b64decode(b64)
    note = ""
    try:
        parse_recipient(f"{keytype} {b64}")
    except RecipientError as exc:
        note = exc.message
    return ScannedKey(keytype, f"{keytype} {b64}", ssh_fingerprint(blob), not note, note)
