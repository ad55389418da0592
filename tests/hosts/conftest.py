"""Fixtures for the hosts tests: real sshd processes and hostile peers, all on loopback."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from agepy.demo.sshd import Sshd, free_port
from tests.conftest import SSHD, require_tool


@pytest.fixture(scope="module")
def sshd() -> Iterator[Sshd]:
    """An sshd with ed25519 and rsa host keys on 127.0.0.1 and a port of its own."""
    require_tool(SSHD)
    require_tool("ssh-keygen")
    with Sshd(key_types=("ed25519", "rsa")) as server:
        yield server


@pytest.fixture(scope="module")
def ecdsa_sshd() -> Iterator[Sshd]:
    """An sshd whose only host key is ECDSA (which age cannot use)."""
    require_tool(SSHD)
    require_tool("ssh-keygen")
    with Sshd(key_types=("ecdsa",)) as server:
        yield server


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(handler: type[socketserver.BaseRequestHandler]) -> Iterator[int]:
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class _Silent(socketserver.BaseRequestHandler):
    """Accepts, then never says a word (until the client goes away)."""

    def handle(self) -> None:
        self.request.settimeout(30)
        try:
            while self.request.recv(4096):
                pass
        except OSError:
            pass


class _Http(socketserver.StreamRequestHandler):
    """Answers the first line with an HTTP 400, as web servers do to an SSH banner."""

    def handle(self) -> None:
        self.rfile.readline()
        self.wfile.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


class _Garbage(socketserver.BaseRequestHandler):
    """A valid SSH banner, then bytes that are no SSH packet."""

    def handle(self) -> None:
        self.request.sendall(b"SSH-2.0-OpenSSH_9.9 hostile\r\n")
        self.request.sendall(b"\xff\xfe\xfd\xfc this is not a packet at all\r\n" * 4)
        try:
            self.request.settimeout(5)
            self.request.recv(4096)
        except OSError:
            pass


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    yield from _serve(_Silent)


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    yield from _serve(_Http)


@pytest.fixture(scope="module")
def garbage_port() -> Iterator[int]:
    yield from _serve(_Garbage)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    port = free_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    return port
