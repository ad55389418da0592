"""Fixtures of the Matrix area: the real heisenbridge program, a throwaway repository with
keys, and agepy run in-process from its rules folder."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.support.keys import Key
from tests.support.repo import MakeRepo, Repo


@pytest.fixture(scope="session")
def heisenbridge_bin() -> str:
    """The real heisenbridge executable (installed in the venv beside Python)."""
    beside = Path(sys.executable).parent / "heisenbridge"
    return str(beside) if beside.exists() else require_tool("heisenbridge")


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def repo(make_repo: MakeRepo, keys: dict[str, Key]) -> Repo:
    """A flake whose secrets/secrets.nix binds admin and the host matrix (SSH ed25519
    keys) and lists other.age (not written)."""
    return make_repo(
        {"other.age": ["admin"]},
        bind={"admin": keys["admin"], "matrix": keys["server"]},
        dotted=True,
        write=False,
        folder="flake",
        subdir="secrets",
        flake=True,
    )


@pytest.fixture
def agepy(repo: Repo) -> Run:
    """Run agepy in-process from the rules folder, with the repository's empty HOME."""

    def run(*args: str) -> Result:
        done = repo.agepy(*args)
        return Result(done.returncode, done.stdout, done.stderr)

    return run
