"""`agepy decrypt NAME` by secrets.nix entry name, like `agenix -d NAME`, from any folder."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run_agepy

EXAMPLE = Path(__file__).resolve().parents[2] / "secrets.example"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "secrets")
    return tmp_path / "secrets"


def agepy(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "RULES"}
    full_env.update(NO_COLOR="1", HOME=str(cwd), **(env or {}))
    return run_agepy(args, text=True, cwd=cwd, env=full_env)


def test_by_name_in_the_rules_folder(repo: Path) -> None:
    result = agepy("decrypt", "-i", "keys/alice", "conduit-env.age", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("CONDUIT_REGISTRATION_TOKEN=")


def test_by_name_from_elsewhere_with_rules(repo: Path, tmp_path: Path) -> None:
    key = str(repo / "keys" / "alice")
    by_option = agepy(
        "decrypt", "--rules", str(repo / "secrets.nix"), "-i", key, "conduit-env.age", cwd=tmp_path
    )
    assert by_option.returncode == 0, by_option.stderr
    by_env = agepy(
        "decrypt",
        "-i",
        key,
        "conduit-env.age",
        cwd=tmp_path,
        env={"RULES": str(repo / "secrets.nix")},
    )
    assert by_env.stdout == by_option.stdout


def test_unknown_name_is_one_error(repo: Path) -> None:
    result = agepy("decrypt", "-i", "keys/alice", "conduit.age", cwd=repo)
    assert result.returncode == 1
    assert result.stderr.startswith("agepy: error:")
    assert "Traceback" not in result.stderr


def test_wrong_identity_names_the_recipients(repo: Path) -> None:
    result = agepy("decrypt", "-i", "keys/backup_ssh_host_ed25519_key", "conduit-env.age", cwd=repo)
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("agepy: error:")
    assert "alice" in first and "matrix" in first, first
