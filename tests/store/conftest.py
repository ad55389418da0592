"""The store's tests use the shared ``keys`` and ``make_repo`` fixtures (tests/conftest.py):
secrets folders binding alice, bob (SSH ed25519), carol, host and host2 (X25519)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support import cli

__all__ = ["run_agepy"]


def run_agepy(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
    stdin: int | None = None,
    child: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """`agepy ARGS` with a clean environment (no $RULES, no colour), in this process
    unless ``stdin`` is a terminal or ``child`` asks for a process of its own."""
    environment = dict(os.environ, NO_COLOR="1", HOME=str(cwd))
    for name in ("RULES", "VISUAL", "EDITOR"):
        environment.pop(name, None)
    environment.update(env or {})
    return cli.run_agepy(args, cwd=cwd, env=environment, input=input, stdin=stdin, child=child)
