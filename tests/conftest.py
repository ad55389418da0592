"""Shared fixtures. Real tools only: in CI (CI=true) a missing tool fails, never skips."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.keys import Key, shared_keys
from tests.support.repo import MakeRepo, Repo, build_repo

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


@pytest.fixture(scope="session")
def keys(
    tmp_path_factory: pytest.TempPathFactory, ssh_keygen_bin: str, age_keygen_bin: str
) -> dict[str, Key]:
    """The tests' keys by name (tests/support/keys.py), made once per run and shared by
    the xdist workers, whose temporary folders have a common parent."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return shared_keys(base, ssh_keygen_bin, age_keygen_bin)


@pytest.fixture
def make_repo(tmp_path: Path, keys: dict[str, Key]) -> MakeRepo:
    """Build a secrets folder in this test's temporary folder (tests/support/repo.py)."""

    def make(entries: Mapping[str, Sequence[str]] | None = None, **options: Any) -> Repo:
        return build_repo(tmp_path, keys, entries, **options)

    return make
