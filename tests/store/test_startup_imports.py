"""Reading secrets does not start an event loop: `agepy check`, `rekey` and `decrypt`
import neither asyncssh nor asyncio (keyscan's), measured in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.store.conftest import Key, MakeRepo

HEAVY = {"asyncio", "asyncssh"}


def _modules_after(argv: list[str], cwd: Path) -> set[str]:
    code = (
        "import json, sys\n"
        "from agepy.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "finally:\n"
        "    sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)) + '\\n')\n"
    )
    env = dict(os.environ, HOME=str(cwd), NO_COLOR="1")
    env.pop("RULES", None)
    run = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return set(json.loads(run.stderr.rpartition("\nMODULES ")[2]))


@pytest.mark.parametrize("command", ["check", "rekey", "decrypt"])
def test_reading_secrets_imports_no_event_loop(
    command: str, make_repo: MakeRepo, keys: dict[str, Key]
) -> None:
    repo = make_repo({"a.age": ["alice"], "b.age": ["alice"]})
    identity = ["-i", str(keys["alice"].private)]
    if command == "rekey":  # one stale file, so rekey does its work
        repo.rules.write_text(
            repo.rules.read_text().replace(
                '"b.age" = { publicKeys = [ alice', '"b.age" = { publicKeys = [ alice bob'
            )
        )
    argv = {
        "check": ["check"],
        "rekey": ["rekey", *identity],
        "decrypt": ["decrypt", *identity, "a.age"],
    }[command]
    loaded = _modules_after(argv, repo.dir)
    assert "agepy.store" in loaded or command == "decrypt"
    assert sorted(HEAVY & loaded) == []
