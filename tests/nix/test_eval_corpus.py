"""Every corpus secrets.nix: the built-in evaluator agrees with real nix-instantiate.

The reference values come from one nix-instantiate for the whole corpus
(tests/nix/batch.py); agepy's own nix evaluator still runs once per file."""

from __future__ import annotations

from pathlib import Path

import pytest

from agepy.age.recipients import parse_recipient
from agepy.nix import evaluate_file
from tests.support.nix_batch import Evaluated, evaluate_files

CORPUS = Path(__file__).parent.parent / "corpus"
FILES = sorted(CORPUS.glob("*/secrets.nix"))


def test_corpus_is_big_enough() -> None:
    assert len(FILES) >= 30


@pytest.fixture(scope="module")
def references(nix_instantiate: str) -> dict[Path, Evaluated]:
    """nix-instantiate --eval --strict --json --readonly-mode, for every file."""
    return evaluate_files(nix_instantiate, FILES, readonly=True)


@pytest.mark.parametrize("path", FILES, ids=[p.parent.name for p in FILES])
def test_builtin_matches_nix(references: dict[Path, Evaluated], path: Path) -> None:
    reference = references[path]
    assert reference.error is None, reference.error
    expected = reference.value
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
