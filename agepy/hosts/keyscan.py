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
import socket
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agepy.errors import HostError, KeyscanError, RecipientError
from agepy.keys import parse_recipient, ssh_fingerprint

__all__ = [
    "KEY_TYPES",
    "ScanResult",
    "ScannedKey",
    "format_target",
    "keyscan",
    "keyscan_async",
    "parse_target",
]

# Short type name -> host key algorithms to offer (the signature algorithms for RSA).
KEY_TYPES: dict[str, list[str]] = {
    "ed25519": ["ssh-ed25519"],
    "rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
    "ecdsa": ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"],
}
_RECORD_LIMIT = 64 * 1024  # enough for the banner lines and the server's KEXINIT
_MAX_PACKET = 35000  # RFC 4253 6.1: the largest packet every implementation must take
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


# --- recording what the server says -------------------------------------------------------


class _Recorder(asyncio.Protocol):
    """Passes everything to asyncssh's protocol, keeping the first bytes the server sent."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.received = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if len(self.received) < _RECORD_LIMIT:
            self.received += data[: _RECORD_LIMIT - len(self.received)]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        result: bool | None = self.inner.eof_received()
        return result

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class _Connector:
    """An asyncssh "tunnel" that is a plain TCP connection seen through a _Recorder."""

    def __init__(self) -> None:
        self.recorder: _Recorder | None = None

    async def create_connection(
        self, session_factory: Callable[[], Any], host: str, port: int
    ) -> tuple[asyncio.BaseTransport, Any]:
        loop = asyncio.get_running_loop()
        transport, recorder = await loop.create_connection(
            lambda: _Recorder(session_factory()), host, port
        )
        self.recorder = recorder
        return transport, recorder.inner

    def close(self) -> None:
        if self.recorder is not None and self.recorder.transport is not None:
            self.recorder.transport.abort()


@dataclass
class _Heard:
    """What the server said before things went wrong."""

    nothing: bool = True
    banner: str | None = None
    pre_banner: str = ""  # the first non-SSH line, when there was no banner
    host_key_algs: list[str] | None = None  # from the server's KEXINIT
    garbage: bool = False  # bytes after the banner that are not an SSH packet


def _name_list(data: bytes, offset: int) -> tuple[list[str], int]:
    (length,) = struct.unpack(">I", data[offset : offset + 4])
    end = offset + 4 + length
    if end > len(data):
        raise ValueError("truncated")
    text = data[offset + 4 : end].decode("ascii")
    return (text.split(",") if text else []), end


def _listen(received: bytes | bytearray) -> _Heard:
    heard = _Heard(nothing=not received)
    rest = bytes(received)
    while rest and heard.banner is None:
        line, sep, after = rest.partition(b"\n")
        if not sep:
            break
        text = line.rstrip(b"\r").decode("utf-8", "replace")
        if text.startswith("SSH-"):
            heard.banner = text
        elif not heard.pre_banner:
            heard.pre_banner = text.strip()[:60]
        rest = after
    if heard.banner is None:
        if rest and not heard.pre_banner:
            heard.pre_banner = rest[:60].decode("utf-8", "replace").strip()
        return heard
    if len(rest) >= 6:
        length, padding = struct.unpack(">IB", rest[:5])
        if not 12 <= length <= _MAX_PACKET or padding >= length or rest[5] != 20:
            heard.garbage = True
        elif len(rest) >= 4 + length:
            try:
                _kex, pos = _name_list(rest, 6 + 16)
                heard.host_key_algs, _ = _name_list(rest, pos)
            except (ValueError, struct.error, UnicodeDecodeError):
                heard.garbage = True
    return heard


# --- scanning ----------------------------------------------------------------------------


class _NoMatch(Exception):
    """The server offers no host key of the type asked (kept per type, merged later)."""

    def __init__(self, offered: list[str]) -> None:
        self.offered = offered
        super().__init__(",".join(offered))


def _display(host: str, port: int) -> str:
    """How errors name a target: ``host``, ``host:port`` or ``[v6]:port``."""
    if port == 22:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _classify(
    name: str, port: int, kind: str, exc: BaseException, heard: _Heard, timeout: float
) -> KeyscanError | _NoMatch:
    """The KeyscanError (or _NoMatch) that explains one failed connection."""
    if isinstance(exc, socket.gaierror | UnicodeError):
        # UnicodeError: the name is no valid DNS name (IDNA), so it was never looked up.
        reason = exc.strerror if isinstance(exc, OSError) else "not a valid DNS name"
        reason = reason or str(exc)
        return KeyscanError(
            name,
            "unresolved",
            f"cannot resolve host name ({reason})",
            hint="check the spelling of the name, or give the IP address",
        )
    if isinstance(exc, ConnectionRefusedError):
        return KeyscanError(
            name,
            "refused",
            f"connection refused on port {port}",
            hint="check the address and port; is sshd running there?",
        )
    not_ssh_hint = "check the port: SSH usually listens on 22"
    if heard.banner is None and heard.pre_banner:
        return KeyscanError(
            name, "not-ssh", f"not an SSH server (it said {heard.pre_banner!r})", hint=not_ssh_hint
        )
    if heard.banner is not None and not heard.banner.startswith(("SSH-2.0-", "SSH-1.99-")):
        return KeyscanError(
            name, "not-ssh", f"speaks an old SSH protocol: {heard.banner[:60]}", hint=not_ssh_hint
        )
    if heard.garbage:
        return KeyscanError(
            name,
            "not-ssh",
            "sent an SSH banner, then data that is not SSH",
            hint="something other than sshd answers on this port",
        )
    offered = heard.host_key_algs
    if offered is not None and not set(offered) & set(KEY_TYPES[kind]):
        return _NoMatch(offered)
    if isinstance(exc, TimeoutError):
        said = "sent its banner but finished no key exchange" if heard.banner else "did not answer"
        return KeyscanError(
            name,
            "timeout",
            f"{said} within {timeout:g}s",
            hint="check the address, port and firewall; a slow host needs a longer -T",
        )
    if heard.nothing and isinstance(exc, OSError | EOFError):
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else "connection lost"
        return KeyscanError(
            name,
            "error",
            f"closed the connection before the SSH banner ({detail})",
            hint="sshd may be refusing connections (MaxStartups, tcp wrappers, fail2ban)",
        )
    detail = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        detail = exc.strerror
    return KeyscanError(
        name, "error", f"key exchange failed: {detail}", hint="try `ssh -v` with this host"
    )


async def _scan_one(
    host: str, port: int, kind: str, timeout: float, semaphore: asyncio.Semaphore
) -> tuple[ScannedKey | None, BaseException | None, str | None]:
    import asyncssh

    name = _display(host, port)
    async with semaphore:
        connector = _Connector()
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
            heard = _listen(received)
            return None, _classify(name, port, kind, exc, heard, timeout), heard.banner
        finally:
            connector.close()
    banner = None
    if connector.recorder is not None:
        banner = _listen(connector.recorder.received).banner
    if key is None:
        return None, KeyscanError(name, "error", "no host key received"), banner
    line = f"{key.get_algorithm()} {base64.b64encode(key.public_data).decode()}"
    return scanned_key(line), None, banner


def _merge(
    host: str, port: int, types: Sequence[str], outcomes: list[tuple[Any, Any, Any]]
) -> ScanResult:
    result = ScanResult(host, port)
    name = _display(host, port)
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
