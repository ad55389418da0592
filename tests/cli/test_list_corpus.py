"""`agepy list --json` prints the keys real Nix evaluates, with both evaluators.

For every secrets.nix of the corpus (plus the example and the edit cases), the
publicKeys of each entry must equal, string for string and in order, what
`nix-instantiate --eval --strict --json` prints (without empty strings and repeats of a
key, as docs/json.md documents), and armor must be its value (false
when absent). agepy runs in-process (its real entry point, `agepy.cli.main`) so the
~100 runs stay quick; nix-instantiate is the real one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from agepy.age.recipients import parse_recipient
from agepy.cli import main
from agepy.errors import RecipientError

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


def agepy_json(args: list[str]) -> Any:
    """Run agepy in this process; its stdout parsed as JSON (exit status must be 0)."""
    runner = CliRunner()
    with runner.isolation() as (stdout, stderr, _):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    assert code == 0, f"agepy {' '.join(args)} exited {code}: {err}"
    assert "Traceback" not in err, err
    return json.loads(out)


@pytest.fixture(scope="module")
def nix_eval(nix_instantiate: str) -> Any:
    cache: dict[Path, Any] = {}

    def evaluate(path: Path) -> Any:
        if path not in cache:
            result = subprocess.run(
                [nix_instantiate, "--eval", "--strict", "--json", str(path)],
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
            )
            assert result.returncode == 0, result.stderr
            cache[path] = json.loads(result.stdout)
        return cache[path]

    return evaluate


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
    rules: Path, evaluator: str, nix_eval: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # .age files are looked up beside the rules, not here
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("RULES", raising=False)
    expected = nix_eval(rules)
    listed = agepy_json(["list", "--json", "--evaluator", evaluator, "--rules", str(rules)])

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
