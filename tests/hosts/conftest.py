"""Fixtures for the hosts tests: real sshd processes and hostile peers, all on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from agepy.demo.sshd import Sshd, free_port
from tests.conftest import SSHD, require_tool

# The shared servers below serve every hosts test of a worker: no test changes their host
# keys (those that reinstall a host start an sshd of their own).


@pytest.fixture(scope="session")
def sshd() -> Iterator[Sshd]:
    """An sshd with ed25519 and rsa host keys on 127.0.0.1 and a port of its own."""
    require_tool(SSHD)
    require_tool("ssh-keygen")
    with Sshd(key_types=("ed25519", "rsa")) as server:
        yield server


@pytest.fixture(scope="session")
def ecdsa_sshd() -> Iterator[Sshd]:
    """An sshd whose only host key is ECDSA (which age cannot use)."""
    require_tool(SSHD)
    require_tool("ssh-keygen")
    with Sshd(key_types=("ecdsa",)) as server:
        yield server


def _serve(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A peer on 127.0.0.1 that runs ``handle`` on each connection in a thread; its port.

    Stopping it wakes the accepting thread at once (shutdown of the listening socket),
    where socketserver's loop would notice only at its next half-second poll.
    """
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(conn: socket.socket) -> None:
        with conn:
            handle(conn)

    def accept() -> None:
        while True:
            try:
                conn, _address = listener.accept()
            except OSError:  # shut down
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        thread.join()
        listener.close()


def _silent(conn: socket.socket) -> None:
    """Accepts, then never says a word (until the client goes away)."""
    conn.settimeout(30)
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


def _http(conn: socket.socket) -> None:
    """Answers the first line with an HTTP 400, as web servers do to an SSH banner."""
    with conn.makefile("rb") as lines:
        lines.readline()
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def _garbage(conn: socket.socket) -> None:
    """A valid SSH banner, then bytes that are no SSH packet."""
    conn.sendall(b"SSH-2.0-OpenSSH_9.9 hostile\r\n")
    conn.sendall(b"\xff\xfe\xfd\xfc this is not a packet at all\r\n" * 4)
    try:
        conn.settimeout(5)
        conn.recv(4096)
    except OSError:
        pass


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    yield from _serve(_silent)


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    yield from _serve(_http)


@pytest.fixture(scope="module")
def garbage_port() -> Iterator[int]:
    yield from _serve(_garbage)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    port = free_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    return port
