"""Fixtures of the age-layer tests: loaded identities, the agepy command line and the
typage oracle."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from agepy.age.identities import Identity, load_identities
from tests.conftest import IN_CI, require_tool
from tests.support.cli import AGEPY
from tests.support.keys import Key

VECTORS = Path(__file__).parent / "vectors"


# The keys are tests/support/keys.py's (the ``keys`` fixture of tests/conftest.py).
LOADED_KEYS = ["ed25519", "rsa2048", "rsa3072", "rsa4096", "rsa-pem", "x25519"]


@pytest.fixture(scope="session")
def loaded(keys: dict[str, Key]) -> dict[str, list[Identity]]:
    """The unprotected key files of every type, each loaded once (loading an RSA 4096
    key validates it: a quarter second) for all the interop tests' sizes and armors."""
    return {name: load_identities([keys[name].private]) for name in LOADED_KEYS}


@pytest.fixture(scope="session")
def agepy_cmd() -> list[str]:
    """The agepy command line, run as a real subprocess."""
    return list(AGEPY)


REPO = Path(__file__).resolve().parents[2]
TYPAGE_MODULES = REPO / ".cache" / "typage" / "node_modules"
TYPAGE_SCRIPT = Path(__file__).parent / "typage.mjs"


@dataclass(frozen=True)
class Typage:
    """typage (npm age-encryption 0.3.1) under node: the post-quantum oracle."""

    node: str

    def run(self, *args: str, data: bytes = b"") -> bytes:
        command = [self.node, str(TYPAGE_SCRIPT), str(TYPAGE_MODULES), *args]
        result = subprocess.run(command, input=data, capture_output=True, check=False)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        return result.stdout


@pytest.fixture(scope="session")
def typage() -> Typage:
    node = require_tool("node")
    if not (TYPAGE_MODULES / "age-encryption" / "package.json").is_file():
        message = (
            f"typage is not installed in {TYPAGE_MODULES} "
            "(npm install --prefix .cache/typage age-encryption@0.3.1)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return Typage(node)
