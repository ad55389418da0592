"""A throwaway OpenSSH server on loopback, with its own config and host keys.

Used by ``agepy demo`` (and by the tests and benchmarks) to stand in for a NixOS
host: it answers key scans exactly as a real server does, and :meth:`Sshd.reinstall`
gives it new host keys on the same ports, as reinstalling a machine does. Nothing of
the system's sshd (``/etc/ssh``) is read or touched; all lives in one temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from agepy.errors import HostError

__all__ = ["SSHD", "Sshd", "free_port"]

SSHD = "/usr/sbin/sshd"
_KEYGEN_ARGS = {
    "ed25519": ["-t", "ed25519"],
    "rsa": ["-t", "rsa", "-b", "2048"],
    "ecdsa": ["-t", "ecdsa", "-b", "256"],
}
_PRIVSEP_DIR = Path("/run/sshd")


def free_port(address: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``address`` right now (the kernel picks it)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        port: int = probe.getsockname()[1]
        return port


def _in_use(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return True
    return False


def _answers(address: str, port: int) -> bool:
    """True once something on address:port accepts and sends an SSH banner."""
    try:
        with socket.create_connection((address, port), timeout=1.0) as conn:
            return conn.recv(8).startswith(b"SSH-")
    except OSError:
        return False


class Sshd:
    """An ``sshd -D -e`` on loopback addresses and ports of its own.

    ``key_types`` picks the host keys (``ed25519``, ``rsa``, ``ecdsa``). With
    ``ports=None`` one free port is chosen; ``extra_config`` adds sshd_config lines.
    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        *,
        key_types: Sequence[str] = ("ed25519", "rsa"),
        addresses: Sequence[str] = ("127.0.0.1",),
        ports: Sequence[int] | None = None,
        sshd: str = SSHD,
        start_timeout: float = 10.0,
        extra_config: Sequence[str] = (),
    ) -> None:
        unknown = [t for t in key_types if t not in _KEYGEN_ARGS]
        if unknown or not key_types:
            raise HostError(
                f"unknown host key type for the test sshd: {', '.join(unknown) or 'none'}",
                hint="use ed25519, rsa or ecdsa",
            )
        self.key_types = tuple(key_types)
        self.addresses = tuple(addresses)
        self.ports = tuple(ports) if ports else (free_port(self.addresses[0]),)
        self.sshd = sshd
        self.start_timeout = start_timeout
        self.extra_config = tuple(extra_config)  # more sshd_config lines, e.g. KexAlgorithms
        self.dir = Path(tempfile.mkdtemp(prefix="agepy-sshd-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._generation = 0
        try:
            self._generate_keys()
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    # --- facts -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The first (usually only) port."""
        return self.ports[0]

    @property
    def address(self) -> str:
        return self.addresses[0]

    @property
    def endpoints(self) -> list[tuple[str, int]]:
        """Every (address, port) this server listens on."""
        return [(a, p) for a in self.addresses for p in self.ports]

    def host_key_path(self, key_type: str) -> Path:
        """The current private host key of ``key_type`` (usable as an age identity)."""
        return self.dir / f"gen{self._generation}" / f"ssh_host_{key_type}_key"

    def public_key(self, key_type: str) -> str:
        """The current public host key line ``type base64`` (no comment)."""
        text = self.host_key_path(key_type).with_suffix(".pub").read_text()
        return " ".join(text.split()[:2])

    @property
    def log_path(self) -> Path:
        return self.dir / "sshd.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # --- lifecycle -------------------------------------------------------------------

    def _generate_keys(self) -> None:
        keydir = self.dir / f"gen{self._generation}"
        keydir.mkdir(mode=0o700)
        for key_type in self.key_types:
            path = keydir / f"ssh_host_{key_type}_key"
            try:
                result = subprocess.run(
                    ["ssh-keygen", "-q", "-N", "", "-C", "", *_KEYGEN_ARGS[key_type], "-f", path],
                    capture_output=True,
                    text=True,
                    check=False,
                )
            except FileNotFoundError:
                raise HostError(
                    "ssh-keygen is not installed",
                    hint="install openssh-client (Debian: apt install openssh-client)",
                ) from None
            if result.returncode != 0:
                raise HostError(
                    f"ssh-keygen failed to make a {key_type} host key: "
                    f"{(result.stderr.strip().splitlines() or ['no output'])[-1]}",
                    hint="install openssh-client (Debian: apt install openssh-client)",
                )

    def _write_config(self) -> Path:
        lines = [f"Port {port}" for port in self.ports]
        lines += [f"ListenAddress {address}" for address in self.addresses]
        lines += [f"HostKey {self.host_key_path(t)}" for t in self.key_types]
        lines += [
            f"PidFile {self.dir / 'sshd.pid'}",
            "UsePAM no",
            "StrictModes no",
            "AuthorizedKeysFile none",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin no",
            "LoginGraceTime 20",
            # Scanners open many connections at once; sshd's default (10:30:100) would
            # drop most of them at random.
            "MaxStartups 10000",
            "LogLevel ERROR",
            *self.extra_config,
        ]
        config = self.dir / "sshd_config"
        config.write_text("\n".join(lines) + "\n")
        return config

    def start(self) -> Sshd:
        """Start sshd and wait until every endpoint sends its SSH banner."""
        if self.running:
            return self
        if not Path(self.sshd).exists():
            raise HostError(
                f"{self.sshd} not found",
                hint="install openssh-server (Debian: apt install openssh-server)",
            )
        busy = [f"{a}:{p}" for a, p in self.endpoints if _in_use(a, p)]
        if busy:
            raise HostError(
                f"cannot start sshd: {busy[0]} is already in use",
                hint="pick another port (ports=None chooses a free one)",
            )
        if os.geteuid() == 0:
            # Privilege separation needs this empty root-owned folder when run as root.
            _PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        config = self._write_config()
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [self.sshd, "-D", "-e", "-f", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + self.start_timeout
        pending = list(self.endpoints)
        while pending:
            if self._process.poll() is not None:
                self._process = None
                raise HostError(
                    f"sshd exited at start: {self._last_log_line()}",
                    hint=f"see {self.log_path}; is the port already in use?",
                )
            if time.monotonic() > deadline:
                self.stop()
                raise HostError(
                    f"sshd did not answer on {pending[0][0]}:{pending[0][1]} "
                    f"within {self.start_timeout:g}s",
                    hint=f"see {self.log_path}",
                )
            pending = [(a, p) for a, p in pending if not _answers(a, p)]
            if pending:
                time.sleep(0.02)
        return self

    def _last_log_line(self) -> str:
        with contextlib.suppress(OSError):
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
            if lines:
                return lines[-1]
        return "no output"

    def stop(self) -> None:
        """Stop sshd (and every connection it still serves)."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def reinstall(self) -> None:
        """Stop, make new host keys, start again on the same ports: a reinstalled host."""
        self.stop()
        self._generation += 1
        self._generate_keys()
        self.start()

    def close(self) -> None:
        """Stop and remove the temporary folder with its keys."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Sshd:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
