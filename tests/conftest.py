"""Shared fixtures. Real tools only: in CI (CI=true) a missing tool fails, never skips."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TESTS = Path(__file__).parent
SSHD = "/usr/sbin/sshd"

# The tests choose their rules file themselves: a developer's own would leak into them.
for _variable in ("AGENIX_RULES", "RULES"):
    os.environ.pop(_variable, None)


def require_tool(name: str) -> str:
    """The path of a real tool; skip when absent locally, fail when absent in CI."""
    path = shutil.which(name) or (
        name if Path(name).is_absolute() and Path(name).exists() else None
    )
    if path is None:
        message = f"{name} is not installed (Debian: age, nix-bin, openssh-server)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def age_bin() -> str:
    return require_tool("age")


@pytest.fixture(scope="session")
def age_keygen_bin() -> str:
    return require_tool("age-keygen")


@pytest.fixture(scope="session")
def nix_instantiate() -> str:
    return require_tool("nix-instantiate")


@pytest.fixture(scope="session")
def ssh_keygen_bin() -> str:
    return require_tool("ssh-keygen")


@pytest.fixture(scope="session")
def ssh_keyscan_bin() -> str:
    return require_tool("ssh-keyscan")


@pytest.fixture(scope="session")
def sshd_bin() -> str:
    return require_tool(SSHD)
