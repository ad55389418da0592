"""Fetch SSH host keys over the network, as ``ssh-keyscan`` does, in pure Python.

One connection per key type and host, each with a full key exchange: the server signs
the exchange hash with the key it presents, so a key reported here is one the host
holds (a server replaying someone else's public key fails the exchange). Many hosts
are scanned at once under a concurrency limit; each host's failure is a
:class:`~agepy.errors.KeyscanError` in its result and the scan goes on.

asyncssh is imported only inside the scan (it costs ~0.4 s to import); ``~/.ssh/config``
and ``~/.ssh/known_hosts`` are never read, no client key or agent is touched.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agepy.age.recipients import parse_recipient, ssh_fingerprint
from agepy.errors import HostError, KeyscanError, RecipientError
from agepy.hosts._probe import KEY_TYPES, Connector, classify, display_name, listen

__all__ = [
    "KEY_TYPES",
    "ScanResult",
    "ScannedKey",
    "format_target",
    "keyscan",
    "keyscan_async",
    "parse_target",
    "scanned_key",
]

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


# --- scanning --------------------------------------------------------------------------


async def _scan_one(
    host: str, port: int, kind: str, timeout: float, semaphore: asyncio.Semaphore
) -> tuple[ScannedKey | None, BaseException | None, str | None]:
    import asyncssh

    name = display_name(host, port)
    async with semaphore:
        connector = Connector()
        try:
            key = await asyncio.wait_for(
                asyncssh.get_server_host_key(
                    host,
                    port,
                    tunnel=connector,  # type: ignore[arg-type]
                    server_host_key_algs=KEY_TYPES[kind],
                    config=None,  # never read ~/.ssh/config
                ),
                timeout,
            )
        except (asyncssh.Error, OSError, EOFError, TimeoutError, ValueError) as exc:
            received = connector.recorder.received if connector.recorder else b""
            heard = listen(received)
            return None, classify(name, port, kind, exc, heard, timeout), heard.banner
        finally:
            connector.close()
    banner = None
    if connector.recorder is not None:
        banner = listen(connector.recorder.received).banner
    if key is None:
        return (
            None,
            KeyscanError(name, "error", "no host key received", hint="try `ssh -v` with this host"),
            banner,
        )
    line = f"{key.get_algorithm()} {base64.b64encode(key.public_data).decode()}"
    return scanned_key(line), None, banner


def _merge(
    host: str, port: int, types: Sequence[str], outcomes: list[tuple[Any, Any, Any]]
) -> ScanResult:
    result = ScanResult(host, port)
    name = display_name(host, port)
    failures: list[Any] = []
    for key, failure, banner in outcomes:
        result.banner = result.banner or banner
        if key is not None:
            result.keys.append(key)
        elif failure is not None:
            failures.append(failure)
    if result.usable_keys:
        return result
    wanted = " or ".join(types)
    if result.keys:
        found = ", ".join(sorted({k.type for k in result.keys}))
        result.error = KeyscanError(
            name,
            "no-usable-key",
            f"offers no {wanted} key age can use (only {found})",
            hint="age needs an ssh-ed25519 or ssh-rsa (>= 2048 bits) host key; "
            "enable one in services.openssh.hostKeys",
        )
        return result
    real = [f for f in failures if isinstance(f, KeyscanError)]
    if real:
        result.error = real[0]
        return result
    offered = sorted({alg for f in failures for alg in f.offered})
    result.error = KeyscanError(
        name,
        "no-usable-key",
        f"offers no {wanted} host key (only {', '.join(offered) or 'none'})",
        hint="age needs an ssh-ed25519 or ssh-rsa host key; enable one in "
        "services.openssh.hostKeys, or scan other types with -t",
    )
    return result


async def keyscan_async(
    targets: Sequence[str],
    *,
    types: Sequence[str] = ("ed25519", "rsa"),
    timeout: float = 5.0,
    concurrency: int = 64,
) -> list[ScanResult]:
    """Scan ``targets`` (see :func:`parse_target`); one result per target, in order."""
    unknown = [t for t in types if t not in KEY_TYPES]
    if unknown or not types:
        raise HostError(
            f"unknown key type: {', '.join(unknown) or '(none)'}",
            hint="use ed25519, rsa or ecdsa, comma-separated",
        )
    if timeout <= 0 or concurrency < 1:
        raise HostError("timeout and concurrency must be positive", hint="e.g. -T 5")
    parsed = [parse_target(target) for target in targets]
    semaphore = asyncio.Semaphore(concurrency)
    tasks = [
        [asyncio.ensure_future(_scan_one(host, port, kind, timeout, semaphore)) for kind in types]
        for host, port in parsed
    ]
    results = []
    for (host, port), host_tasks in zip(parsed, tasks, strict=True):
        outcomes = list(await asyncio.gather(*host_tasks))
        results.append(_merge(host, port, types, outcomes))
    return results


def keyscan(
    targets: Sequence[str],
    *,
    types: Sequence[str] = ("ed25519", "rsa"),
    timeout: float = 5.0,
    concurrency: int = 64,
) -> list[ScanResult]:
    """Scan ``targets`` and return one :class:`ScanResult` per target, in order.

    A host that cannot be scanned has ``error`` set (a KeyscanError with ``reason``:
    refused, timeout, unresolved, not-ssh, no-usable-key or error); the others go on.
    Bad targets or types raise HostError before anything is scanned.
    """
    return asyncio.run(
        keyscan_async(targets, types=types, timeout=timeout, concurrency=concurrency)
    )
