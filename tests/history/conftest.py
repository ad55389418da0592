"""A git repository of secrets (tests/support/repo.py) binding alice, bob (SSH ed25519)
and carol (X25519); each test writes its secrets.nix and commits."""

from __future__ import annotations

import pytest

from tests.conftest import require_tool
from tests.support.keys import Key
from tests.support.repo import MakeRepo, Repo


@pytest.fixture
def repo(make_repo: MakeRepo, keys: dict[str, Key]) -> Repo:
    require_tool("git")
    people = {"alice": keys["alice"], "bob": keys["bob"], "carol": keys["x25519"]}
    return make_repo(bind=people, folder="repo", git=True)
