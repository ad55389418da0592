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
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from agepy.matrix.heisenbridge import parse_registration
from tests.conftest import IN_CI
from tests.matrix.conftest import Run
from tests.support.repo import Repo

SERVER_NAME = "example.com"
DEADLINE = 45.0  # seconds for each process to come up


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


@contextlib.contextmanager
def _running(argv: list[str], log: Path, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process with its output in ``log``, stopped on every way out."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        try:
            yield process
        finally:
            _stop(process)


def _wait_for(
    what: str, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            if ready():
                return
        time.sleep(0.2)
    pytest.fail(f"{what} not ready after {DEADLINE}s:\n{log.read_text()[-3000:]}")


def _homeserver_config(data: Path, port: int, registration: Path) -> Path:
    config = data / "homeserver.yaml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "synapse.app.homeserver",
            "--server-name",
            SERVER_NAME,
            "--config-path",
            str(config),
            "--data-directory",
            str(data),
            "--generate-config",
            "--report-stats=no",
        ],
        check=True,
        capture_output=True,
        cwd=data,
        timeout=120,
    )
    settings = yaml.safe_load(config.read_text())
    settings.update(
        listeners=[
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        app_service_config_files=[str(registration)],
        # Loopback only: no key servers, no federation, no stats.
        trusted_key_servers=[],
        federation_domain_whitelist=[],
        suppress_key_server_warning=True,
        report_stats=False,
        enable_registration=False,
    )
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
    with _running(synapse_argv, data / "stdout.log", data) as synapse:
        _wait_for(
            "synapse",
            lambda: _get(f"{base}/_matrix/client/versions")[0] == 200,
            synapse,
            data / "stdout.log",
        )
        bridge_log = tmp_path / "heisenbridge.log"
        bridge_argv = [
            heisenbridge_bin,
            "--config",
            str(registration),
            "-o",
            f"@admin:{SERVER_NAME}",
            base,
        ]
        with _running(bridge_argv, bridge_log, tmp_path) as bridge:
            _wait_for(
                "heisenbridge",
                lambda: "bridge is now running!" in bridge_log.read_text(),
                bridge,
                bridge_log,
            )
            status, whoami = _get(f"{base}/_matrix/client/v3/account/whoami", as_token)
            assert status == 200, whoami
            assert whoami["user_id"] == f"@heisenbridge:{SERVER_NAME}"
            status, denied = _get(f"{base}/_matrix/client/v3/account/whoami", "wrong" * 10)
            assert status == 401, denied
        assert bridge.returncode is not None
    assert synapse.returncode is not None
