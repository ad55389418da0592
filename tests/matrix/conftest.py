"""Fixtures of the Matrix area: the real heisenbridge program."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import require_tool


@pytest.fixture(scope="session")
def heisenbridge_bin() -> str:
    """The real heisenbridge executable (installed in the venv beside Python)."""
    beside = Path(sys.executable).parent / "heisenbridge"
    return str(beside) if beside.exists() else require_tool("heisenbridge")
