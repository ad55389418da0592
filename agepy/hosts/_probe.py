"""What an SSH server said on one scan connection, and the error that explains a failure.

A scan connection runs through :class:`Connector`, an asyncssh "tunnel" that is a plain
TCP connection whose received bytes are kept (up to the server's KEXINIT), so that a
failure can be told apart: no banner at all, a non-SSH answer (HTTP), garbage after the
banner, or a server that offers no host key of the type asked.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agepy.errors import KeyscanError, Reason
from agepy.hosts.targets import KEY_TYPES, display_name

__all__ = ["KEY_TYPES", "Connector", "Heard", "NoMatch", "classify", "display_name", "listen"]

_RECORD_LIMIT = 64 * 1024  # enough for the banner lines and the server's KEXINIT
_MAX_PACKET = 35000  # RFC 4253 6.1: the largest packet every implementation must take


class Recorder(asyncio.Protocol):
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


class Connector:
    """An asyncssh "tunnel" that is a plain TCP connection seen through a Recorder."""

    def __init__(self) -> None:
        self.recorder: Recorder | None = None

    async def create_connection(
        self, session_factory: Callable[[], Any], host: str, port: int
    ) -> tuple[asyncio.BaseTransport, Any]:
        loop = asyncio.get_running_loop()
        transport, recorder = await loop.create_connection(
            lambda: Recorder(session_factory()), host, port
        )
        self.recorder = recorder
        return transport, recorder.inner

    def close(self) -> None:
        if self.recorder is not None and self.recorder.transport is not None:
            self.recorder.transport.abort()


@dataclass
class Heard:
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


def listen(received: bytes | bytearray) -> Heard:
    heard = Heard(nothing=not received)
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


class NoMatch(Exception):
    """The server offers no host key of the type asked (kept per type, merged later)."""

    def __init__(self, offered: list[str]) -> None:
        self.offered = offered
        super().__init__(",".join(offered))


def classify(
    name: str, port: int, kind: str, exc: BaseException, heard: Heard, timeout: float
) -> KeyscanError | NoMatch:
    """The KeyscanError (or NoMatch) that explains one failed connection."""
    if isinstance(exc, socket.gaierror | UnicodeError):
        # UnicodeError: the name is no valid DNS name (IDNA), so it was never looked up.
        reason = exc.strerror if isinstance(exc, OSError) else "not a valid DNS name"
        reason = reason or str(exc)
        return KeyscanError(
            name,
            Reason.HOST_UNRESOLVED,
            f"cannot resolve host name ({reason})",
            hint="check the spelling of the name, or give the IP address",
        )
    if isinstance(exc, ConnectionRefusedError):
        return KeyscanError(
            name,
            Reason.HOST_REFUSED,
            f"connection refused on port {port}",
            hint="check the address and port; is sshd running there?",
        )
    not_ssh_hint = "check the port: SSH usually listens on 22"
    if heard.banner is None and heard.pre_banner:
        return KeyscanError(
            name,
            Reason.HOST_NOT_SSH,
            f"not an SSH server (it said {heard.pre_banner!r})",
            hint=not_ssh_hint,
        )
    if heard.banner is not None and not heard.banner.startswith(("SSH-2.0-", "SSH-1.99-")):
        return KeyscanError(
            name,
            Reason.HOST_NOT_SSH,
            f"speaks an old SSH protocol: {heard.banner[:60]}",
            hint=not_ssh_hint,
        )
    if heard.garbage:
        return KeyscanError(
            name,
            Reason.HOST_NOT_SSH,
            "sent an SSH banner, then data that is not SSH",
            hint="something other than sshd answers on this port",
        )
    offered = heard.host_key_algs
    if offered is not None and not set(offered) & set(KEY_TYPES[kind]):
        return NoMatch(offered)
    if isinstance(exc, TimeoutError):
        said = "sent its banner but finished no key exchange" if heard.banner else "did not answer"
        return KeyscanError(
            name,
            Reason.HOST_TIMEOUT,
            f"{said} within {timeout:g}s",
            hint="check the address, port and firewall; a slow host needs a longer timeout",
        )
    if heard.nothing and isinstance(exc, OSError | EOFError):
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else "connection lost"
        return KeyscanError(
            name,
            Reason.KEYSCAN_FAILED,
            f"closed the connection before the SSH banner ({detail})",
            hint="sshd may be refusing connections (MaxStartups, tcp wrappers, fail2ban)",
        )
    detail = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        detail = exc.strerror
    return KeyscanError(
        name,
        Reason.KEYSCAN_FAILED,
        f"key exchange failed: {detail}",
        hint="try `ssh -v` with this host",
    )
