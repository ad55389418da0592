"""Every corpus secrets.nix: the built-in evaluator agrees with real nix-instantiate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from agepy.age.recipients import parse_recipient
from agepy.nix import evaluate_file

CORPUS = Path(__file__).parent.parent / "corpus"
FILES = sorted(CORPUS.glob("*/secrets.nix"))


def test_corpus_is_big_enough() -> None:
    assert len(FILES) >= 30


def reference(nix_instantiate: str, path: Path) -> object:
    completed = subprocess.run(
        [nix_instantiate, "--eval", "--strict", "--json", "--readonly-mode", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(completed.stdout)


@pytest.mark.parametrize("path", FILES, ids=[p.parent.name for p in FILES])
def test_builtin_matches_nix(nix_instantiate: str, path: Path) -> None:
    expected = reference(nix_instantiate, path)
    assert evaluate_file(path, evaluator="builtin") == expected
    assert evaluate_file(path, evaluator="nix") == expected
    assert evaluate_file(path) == expected


@pytest.mark.parametrize("path", FILES, ids=[p.parent.name for p in FILES])
def test_corpus_files_are_valid_rules(path: Path) -> None:
    rules = evaluate_file(path, evaluator="builtin")
    assert isinstance(rules, dict) and rules
    for name, entry in rules.items():
        assert name.endswith(".age")
        assert set(entry) <= {"publicKeys", "armor"}
        keys = entry["publicKeys"]
        assert keys and len(set(keys)) == len(keys)
        for key in keys:
            parse_recipient(key)
        assert isinstance(entry.get("armor", False), bool)
