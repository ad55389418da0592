"""Fixtures of the age-layer tests: the agepy command line and the typage oracle."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI, require_tool
from tests.support.cli import AGEPY

VECTORS = Path(__file__).parent / "vectors"


# The keys are tests/support/keys.py's (the ``keys`` fixture of tests/conftest.py).


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
