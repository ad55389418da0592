"""`agepy list --json` prints the keys real Nix evaluates, with both evaluators.

For every secrets.nix of the corpus (plus the example and the edit cases), the
publicKeys of each entry must equal, string for string and in order, what
`nix-instantiate --eval --strict --json` prints (without empty strings and repeats of a
key, as docs/json.md documents), and armor must be its value (false
when absent). agepy runs in-process (tests/support/cli.py) so the ~100 runs stay quick;
nix-instantiate is the real one, one process for the whole corpus (tests/nix/batch.py).

The rules folders are copied out of this checkout first: in a git work tree `list --json`
also reads the secrets' git history (rotation check), which is not what this test is
about, and would make each run cost a scan of the project's history.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from agepy.age.recipients import parse_recipient
from agepy.errors import RecipientError
from tests.support.cli import run_agepy
from tests.support.nix_batch import Evaluated, evaluate_files

ROOT = Path(__file__).resolve().parents[2]
RULES_FILES = sorted(
    [
        *(ROOT / "tests" / "corpus").glob("*/secrets.nix"),
        ROOT / "secrets.example" / "secrets.nix",
        *(ROOT / "tests" / "nix" / "edit_cases").glob("*/secrets.nix"),
    ]
)


def _id(path: Path) -> str:
    return str(path.parent.relative_to(ROOT))


def agepy_json(args: list[str], cwd: Path, outside: Path) -> Any:
    """Run agepy; its stdout parsed as JSON (exit status must be 0). git looks for a
    repository no further up than ``outside``."""
    env = {"HOME": str(cwd), "RULES": None, "GIT_CEILING_DIRECTORIES": str(outside)}
    done = run_agepy(args, cwd=cwd, set_env=env, text=True)
    assert done.returncode == 0, f"agepy {' '.join(args)} exited {done.returncode}: {done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def copy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the rules folders are copied (git is kept from looking above it)."""
    return tmp_path_factory.mktemp("rules")


@pytest.fixture(scope="module")
def copies(copy_root: Path) -> dict[Path, Path]:
    """Each rules file → the same file in a copy of its folder under copy_root."""
    copied = {}
    for rules in RULES_FILES:
        folder = copy_root / _id(rules)
        shutil.copytree(rules.parent, folder, symlinks=True)
        copied[rules] = folder / rules.name
    return copied


@pytest.fixture(scope="module")
def nix_values(nix_instantiate: str, copies: dict[Path, Path]) -> dict[Path, Evaluated]:
    """What nix-instantiate --eval --strict --json gives for each copy (one process)."""
    return evaluate_files(nix_instantiate, list(copies.values()))


def as_documented(keys: list[str]) -> list[str]:
    """nix's publicKeys as docs/json.md says list shows them: no empty strings, and a key
    listed again (comment or not) kept once, at its first place (agenix tolerates both)."""
    kept: dict[str, str] = {}
    for key in keys:
        if key == "":
            continue
        try:
            identity = parse_recipient(key).text
        except RecipientError:
            identity = key
        kept.setdefault(identity, key)
    return list(kept.values())


def test_the_corpus_is_there() -> None:
    assert len(RULES_FILES) >= 3, RULES_FILES


@pytest.mark.parametrize("evaluator", ["builtin", "nix"])
@pytest.mark.parametrize("rules", RULES_FILES, ids=_id)
def test_list_json_matches_nix(
    rules: Path,
    evaluator: str,
    copies: dict[Path, Path],
    copy_root: Path,
    nix_values: dict[Path, Evaluated],
    tmp_path: Path,
) -> None:
    rules = copies[rules]
    evaluated = nix_values[rules]
    assert evaluated.error is None, evaluated.error
    expected = evaluated.value
    # From another folder: .age files are looked up beside the rules, not here.
    args = ["list", "--json", "--evaluator", evaluator, "--rules", str(rules)]
    listed = agepy_json(args, cwd=tmp_path, outside=copy_root)

    assert listed["rules"] == str(rules)
    by_name = {entry["name"]: entry for entry in listed["secrets"]}
    assert len(by_name) == len(listed["secrets"]), "a name is listed twice"
    assert sorted(by_name) == sorted(expected)
    for name, value in expected.items():
        entry = by_name[name]
        keys = as_documented(value["publicKeys"])
        assert entry["publicKeys"] == keys, name
        assert entry["armor"] is value.get("armor", False), name
        assert len(entry["recipients"]) == len(keys), name
        for key, recipient in zip(keys, entry["recipients"], strict=True):
            try:
                parsed = parse_recipient(key)
            except RecipientError:
                continue  # a placeholder: listed, named by its text
            # A fingerprint or an age1 text must be this very key's, never a neighbour's.
            if recipient.startswith(("SHA256:", "age1")):
                assert recipient == parsed.fingerprint, (name, key)
        assert entry["exists"] is (rules.parent / name).is_file(), name
