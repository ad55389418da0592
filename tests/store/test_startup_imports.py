"""Reading secrets does not start an event loop: `agepy check`, `rekey` and `decrypt`
import neither asyncssh nor asyncio (keyscan's), measured in a fresh interpreter."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.cli import modules_after
from tests.support.keys import Key
from tests.support.repo import MakeRepo

HEAVY = {"asyncio", "asyncssh"}


def _modules_after(argv: list[str], cwd: Path) -> set[str]:
    env = dict(os.environ, HOME=str(cwd), NO_COLOR="1")
    env.pop("RULES", None)
    status, loaded = modules_after(argv, cwd, env)
    assert status == 0
    return loaded


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
