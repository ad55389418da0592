"""tests/corpus_wild: every file evaluates as nix-instantiate evaluates it, built-in and auto.

The corpus holds the styles of secrets.nix seen in public repositories, including the
ones agepy refused before issue #17 (see tests/corpus_wild/README.md). The reference
values come from one nix-instantiate for the whole corpus (tests/nix/batch.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agepy.errors import NixSyntaxError
from agepy.nix import evaluate_file, evaluate_source
from agepy.rules.evaluation import evaluate_rules_file, rules_key_names
from tests.support.nix_batch import Evaluated, evaluate_files

WILD = Path(__file__).parent.parent / "corpus_wild"
FILES = sorted(WILD.glob("*/secrets.nix"))
IDS = [path.parent.name for path in FILES]


@pytest.fixture(scope="module")
def nix_values(nix_instantiate: str) -> dict[Path, Evaluated]:
    """nix-instantiate --eval --strict --json --readonly-mode, for every file."""
    return evaluate_files(nix_instantiate, FILES, readonly=True)


def test_corpus_is_big_enough() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_builtin_and_auto_match_nix(nix_values: dict[Path, Evaluated], path: Path) -> None:
    reference = nix_values[path]
    assert reference.error is None, reference.error
    expected = reference.value
    assert evaluate_file(path, evaluator="builtin") == expected
    assert evaluate_file(path, evaluator="auto") == expected
    assert evaluate_rules_file(path, evaluator="builtin") == expected
    assert evaluate_rules_file(path, evaluator="auto") == expected


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_key_names_never_fail(path: Path) -> None:  # every file here parses
    names = rules_key_names(path)
    assert all(isinstance(name, str) for name in names.values())


def test_refused_cases_are_in_the_corpus() -> None:
    folders = set(IDS)
    for case in (
        "02-trailing-comma-formals",
        "03-duplicate-admins-overlap",
        "04-duplicate-same-list",
        "05-extra-attributes",
        "06-empty-key-string",
        "07-placeholder-key",
        "13-names-with-dashes",
        "14-nested-folders",
    ):
        assert case in folders


def test_duplicates_survive_evaluation() -> None:
    # The evaluator reports what Nix computes; deduplicating is the rules model's job.
    value = evaluate_file(WILD / "03-duplicate-admins-overlap" / "secrets.nix", evaluator="builtin")
    keys = value["grafana-admin.age"]["publicKeys"]
    assert len(keys) == 4 and len(set(keys)) == 3


# --- what tree-sitter-nix rejects but Nix accepts ------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("({ a, b ? null, }: a) { a = 1; }", 1),
        ("({ a, }@args: a) { a = 2; }", 2),
        ("(args@{ a, }: a) { a = 3; }", 3),
        ("({ a ? 1, b ? 2 , # the last one\n}: a + b) { }", 3),
        ("({\n  a,\n  b,\n}: a + b) { a = 1; b = 1; }", 2),
        ("{ inherit; a = 1; }", {"a": 1}),
        ("let x = { }; in { inherit (x); a = 1; }", {"a": 1}),
        ("let inherit; in 5", 5),
    ],
)
def test_repaired_syntax_matches_nix(nix_instantiate: str, source: str, expected: object) -> None:
    assert evaluate_source(source, evaluator="builtin") == expected
    assert evaluate_source(source, evaluator="nix") == expected


def test_repair_keeps_lines(tmp_path: Path) -> None:
    path = tmp_path / "secrets.nix"
    path.write_text("{\n  inherit\n  ;\n  a = b;\n}\n")
    with pytest.raises(Exception, match=r"secrets\.nix:4:7: undefined variable 'b'"):
        evaluate_file(path, evaluator="builtin")


@pytest.mark.parametrize("evaluator", ["builtin", "auto"])
def test_syntax_error_nix_also_rejects_stays_one_line(
    nix_instantiate: str, tmp_path: Path, evaluator: str
) -> None:
    # `{ a, ..., }` is rejected by Nix as well: auto asks Nix, then shows the built-in
    # error, which names the spot and carries a hint.
    path = tmp_path / "secrets.nix"
    path.write_text('let f = { a, ..., }: a; in {\n  "x.age".publicKeys = [ ];\n}\n')
    with pytest.raises(NixSyntaxError) as caught:
        evaluate_file(path, evaluator=evaluator)
    message = str(caught.value)
    assert message.startswith(f"{path}:1:17: syntax error")
    assert "\n" not in message and caught.value.hint
