"""The built-in evaluator against real Nix, expression by expression."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from agepy.errors import AgepyError, NixEvalError, NixSyntaxError, NixUnsupportedError
from agepy.nix import evaluate_source
from tests.nix.eval_cases import CASES, ERRORS


@pytest.fixture(scope="module")
def nix_results(nix_instantiate: str, tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    """All CASES in one nix-instantiate run: a list of their values."""
    folder = tmp_path_factory.mktemp("semantics")
    (folder / "all.nix").write_text("[\n" + "\n".join(f"({case})" for case in CASES) + "\n]\n")
    completed = subprocess.run(
        [nix_instantiate, "--eval", "--strict", "--json", "--readonly-mode", "all.nix"],
        capture_output=True,
        check=True,
        cwd=folder,
        timeout=120,
    )
    results = json.loads(completed.stdout)
    assert len(results) == len(CASES)
    return [folder, *results]


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[:40] for c in CASES])
def test_same_value_as_nix(nix_results: list[object], index: int) -> None:
    folder = nix_results[0]
    assert isinstance(folder, Path)
    expected = nix_results[index + 1]
    assert evaluate_source(CASES[index], folder / "case.nix") == expected


@pytest.mark.parametrize("expression", ERRORS, ids=[e[:40] for e in ERRORS])
def test_errors_are_agepy_errors(tmp_path: Path, expression: str) -> None:
    with pytest.raises((NixEvalError, NixSyntaxError)) as caught:
        evaluate_source(expression, tmp_path / "case.nix")
    error = caught.value
    if isinstance(error, NixUnsupportedError):  # only our stack: auto mode then asks Nix
        assert error.construct.startswith("stack overflow")
    assert error.file == tmp_path / "case.nix"
    assert "\n" not in str(error)


@pytest.mark.parametrize("expression", ERRORS[::6])
def test_nix_fails_on_the_same_errors(
    nix_instantiate: str, tmp_path: Path, expression: str
) -> None:
    with pytest.raises(AgepyError):
        evaluate_source(expression, tmp_path / "case.nix", evaluator="nix")
