"""secrets.example/ stays the walkthrough's repository after setup, clean under `agepy check`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.support.cli import run_agepy

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "secrets.example"


def agepy(*args: str) -> subprocess.CompletedProcess[str]:
    home = str(EXAMPLE / "keys")
    return run_agepy(
        args, text=True, cwd=REPO, set_env={"RULES": None, "NO_COLOR": "1", "HOME": home}
    )


def test_check_is_clean() -> None:
    result = agepy("check", "--rules", "secrets.example/secrets.nix")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hosts_agree_with_secrets_nix() -> None:
    result = agepy("hosts", "--rules", "secrets.example/secrets.nix")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "matrix" in result.stdout and "backup" in result.stdout


def test_matrix_host_is_rsa_like_the_walkthrough() -> None:
    text = (EXAMPLE / "secrets.nix").read_text()
    assert 'matrix = "ssh-rsa ' in text and 'backup = "ssh-ed25519 ' in text


def test_keys_are_marked_as_public_test_keys() -> None:
    assert "PUBLIC TEST KEY" in (EXAMPLE / "secrets.nix").read_text()
    assert "PUBLIC TEST KEYS" in (EXAMPLE / "keys" / "README.md").read_text()
    for pub in (EXAMPLE / "keys").glob("*.pub"):
        assert "PUBLIC TEST KEY" in pub.read_text(), pub


@pytest.mark.parametrize("name", ["heisenbridge-config.age", "conduit-env.age"])
def test_the_matrix_host_key_decrypts_with_age(name: str) -> None:
    age = require_tool("age")
    result = subprocess.run(
        [age, "-d", "-i", str(EXAMPLE / "keys" / "matrix_ssh_host_rsa_key"), str(EXAMPLE / name)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout
