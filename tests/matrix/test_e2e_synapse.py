"""End to end on loopback: agepy's encrypted registration runs a real homeserver and a
real Heisenbridge.

Synapse stands in for Conduit (no Conduit package here): it loads the registration that
agepy decrypts from heisenbridge-config.age, Heisenbridge starts with ``--config`` on the
same file, reaches "bridge is now running!", and the homeserver answers whoami for the
as_token with the bridge user.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from agepy.matrix.heisenbridge import parse_registration
from tests.conftest import IN_CI
from tests.matrix.conftest import Run
from tests.support.repo import Repo

SERVER_NAME = "example.com"
DEADLINE = 45.0  # seconds for each process to come up (a bound on failure only)


def _require_synapse() -> None:
    if importlib.util.find_spec("synapse") is None:
        message = "matrix-synapse is not installed (pip install -e '.[test]')"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, token: str | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class _Running:
    """A process whose output lines are copied to ``log`` as they come, and can be waited
    for (no polling: the copying thread wakes the waiter at each line and at the end)."""

    def __init__(self, what: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.what = what
        self.process = process
        self.log = log
        self.lines: list[str] = []
        self.ended = False
        self.changed = threading.Condition()
        self.copier = threading.Thread(target=self._copy, daemon=True)
        self.copier.start()

    def _copy(self) -> None:
        assert self.process.stdout is not None
        with self.log.open("wb") as sink, self.process.stdout:
            for raw in self.process.stdout:
                sink.write(raw)
                sink.flush()
                with self.changed:
                    self.lines.append(raw.decode(errors="replace"))
                    self.changed.notify_all()
        with self.changed:
            self.ended = True
            self.changed.notify_all()

    def wait_for_line(self, text: str) -> None:
        """Until a line containing ``text`` was printed; fails if the process ends first."""
        with self.changed:
            seen = self.changed.wait_for(
                lambda: self.ended or any(text in line for line in self.lines), DEADLINE
            )
            found = any(text in line for line in self.lines)
            tail = "".join(self.lines)[-3000:]
        if found:
            return
        if seen:  # the output ended: the process did
            self.process.wait(timeout=10)
            pytest.fail(f"{self.what} exited ({self.process.returncode}):\n{tail}")
        pytest.fail(f"{self.what} did not print {text!r} within {DEADLINE}s:\n{tail}")


@contextlib.contextmanager
def _running(what: str, argv: list[str], log: Path, cwd: Path) -> Iterator[_Running]:
    """A process with its output in ``log``, stopped on every way out."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd, env=env
    )
    running = _Running(what, process, log)
    try:
        yield running
    finally:
        _stop(process)
        running.copier.join(timeout=10)


def _homeserver_config(data: Path, port: int, registration: Path) -> Path:
    """homeserver.yaml for loopback only; the homeserver makes its signing key itself at
    start (it generates missing files and runs, by default), so no separate
    --generate-config run (a second Synapse start-up) is needed."""
    config = data / "homeserver.yaml"
    settings = {
        "server_name": SERVER_NAME,
        "pid_file": str(data / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(data / "homeserver.db")}},
        "media_store_path": str(data / "media_store"),
        "signing_key_path": str(data / f"{SERVER_NAME}.signing.key"),
        "macaroon_secret_key": secrets.token_urlsafe(32),
        "form_secret": secrets.token_urlsafe(32),
        "app_service_config_files": [str(registration)],
        # No key servers, no federation, no stats.
        "trusted_key_servers": [],
        "federation_domain_whitelist": [],
        "suppress_key_server_warning": True,
        "report_stats": False,
        "enable_registration": False,
    }
    config.write_text(yaml.safe_dump(settings))
    return config


@pytest.mark.slow
def test_synapse_and_heisenbridge_run_on_the_decrypted_registration(
    repo: Repo, agepy: Run, heisenbridge_bin: str, tmp_path: Path
) -> None:
    _require_synapse()
    hs_port, bridge_port = _free_port(), _free_port()
    admin = ("-i", str(repo.keys["admin"].private))
    created = agepy(
        "encrypt",
        "heisenbridge-config",
        "--host",
        "matrix",
        "--url",
        f"http://127.0.0.1:{bridge_port}",
        *admin,
    )
    assert created.code == 0, created.err

    # Decrypted by agepy into a private file, as agenix would put it in /run/agenix.
    shown = agepy("show", "heisenbridge-config", *admin)
    assert shown.code == 0, shown.err
    secrets_dir = tmp_path / "run-agenix"
    secrets_dir.mkdir(mode=0o700)
    registration = secrets_dir / "heisenbridge-config"
    registration.touch(mode=0o600)
    registration.write_text(shown.out)
    as_token = parse_registration(shown.out)["as_token"]
    assert shown.out.encode() == repo.age_decrypt("heisenbridge-config.age", "matrix")

    data = tmp_path / "synapse"
    data.mkdir()
    config = _homeserver_config(data, hs_port, registration)
    base = f"http://127.0.0.1:{hs_port}"
    synapse_argv = [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config)]
    with _running("synapse", synapse_argv, data / "stdout.log", data) as synapse:
        synapse.wait_for_line(f"Synapse now listening on TCP port {hs_port}")
        assert _get(f"{base}/_matrix/client/versions")[0] == 200
        bridge_argv = [
            heisenbridge_bin,
            "--config",
            str(registration),
            "-o",
            f"@admin:{SERVER_NAME}",
            base,
        ]
        with _running(
            "heisenbridge", bridge_argv, tmp_path / "heisenbridge.log", tmp_path
        ) as bridge:
            bridge.wait_for_line("bridge is now running!")
            status, whoami = _get(f"{base}/_matrix/client/v3/account/whoami", as_token)
            assert status == 200, whoami
            assert whoami["user_id"] == f"@heisenbridge:{SERVER_NAME}"
            status, denied = _get(f"{base}/_matrix/client/v3/account/whoami", "wrong" * 10)
            assert status == 401, denied
        assert bridge.process.returncode is not None
    assert synapse.process.returncode is not None
