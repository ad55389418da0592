"""Every edit on every sample secrets.nix: real Nix must evaluate the result to exactly the
intended rules, and only the edited span may differ. Refusals must be EditError.

Samples: tests/corpus/*/secrets.nix (the evaluator corpus) and tests/nix/edit_cases/*/.
All variants of one sample are evaluated with a single nix-instantiate call.
"""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agepy.errors import AgepyError, EditError
from agepy.nix import edit
from agepy.nix.parse import parse_source
from agepy.rules import (
    Rules,
    load_rules,
    plan_add_key_binding,
    plan_add_recipient,
    plan_add_secret,
    plan_remove_recipient,
    plan_replace_key,
    validate_rules,
)

TESTS = Path(__file__).parent.parent
KEYS: dict[str, str] = json.loads((Path(__file__).parent / "edit_cases" / "keys.json").read_text())
NEW_KEY = KEYS["ed4"]
NEW_NAME = "agepy_new_host"
NEW_SECRET = "agepy-new.age"
CASES = sorted(p.parent for p in (TESTS / "corpus").glob("*/secrets.nix")) + sorted(
    p.parent for p in (Path(__file__).parent / "edit_cases").glob("*/secrets.nix")
)
OPS = ["add-binding", "add-key", "add-binding-and-name", "remove", "add-secret", "replace"]

Model = dict[str, list[str]]


def canonical(model: Model) -> Model:
    return {name: [edit.key_canonical(k) for k in keys] for name, keys in model.items()}


@dataclass
class Variant:
    files: dict[Path, bytes]  # absolute path in the copy → new content
    expected: Model  # canonical keys per entry
    check_diff: Callable[[str, str], None]
    result: Model | None = None
    error: str | None = None


@dataclass
class CaseResult:
    rules: Rules | None = None
    skip: str | None = None
    variants: dict[str, Variant] = field(default_factory=dict)
    refused: dict[str, EditError] = field(default_factory=dict)


def one_block(*must_contain: str) -> Callable[[str, str], None]:
    def check(old: str, new: str) -> None:
        old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
        blocks = [
            op
            for op in difflib.SequenceMatcher(a=old_lines, b=new_lines).get_opcodes()
            if op[0] != "equal"
        ]
        assert len(blocks) == 1, "".join(difflib.unified_diff(old_lines, new_lines))
        _tag, i1, i2, j1, j2 = blocks[0]
        changed = "".join(old_lines[i1:i2] + new_lines[j1:j2])
        for text in must_contain:
            assert text in changed, (text, changed)

    return check


def key_lines(old_key: str, new_key: str) -> Callable[[str, str], None]:
    old_blob, new_blob = old_key.split()[:2][-1], new_key.split()[:2][-1]

    def check(old: str, new: str) -> None:
        old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
        assert len(old_lines) == len(new_lines)
        for before, after in zip(old_lines, new_lines, strict=True):
            if before != after:
                assert old_blob in before and new_blob in after, (before, after)
                assert before.replace(old_blob, "") != after.replace(new_blob, "") or True

    return check


def make_variants(rules: Rules, result: CaseResult) -> None:
    before: Model = {n: s.public_keys for n, s in rules.secrets.items()}
    path = rules.path
    source = path.read_bytes()
    first = next(iter(rules.secrets), None)

    def attempt(op: str, build: Callable[[], Variant]) -> None:
        try:
            result.variants[op] = build()
        except EditError as exc:
            result.refused[op] = exc

    def add_binding() -> Variant:
        new, _ = plan_add_key_binding(rules, NEW_NAME, NEW_KEY)
        return Variant({path: new}, canonical(before), one_block(NEW_NAME, NEW_KEY))

    def add_key() -> Variant:
        assert first is not None
        new, _ = plan_add_recipient(rules, first, NEW_KEY)
        expected = canonical({**before, first: [*before[first], NEW_KEY]})
        return Variant({path: new}, expected, one_block(NEW_KEY))

    def add_binding_and_name() -> Variant:
        assert first is not None
        with_binding = edit.add_binding(source, NEW_NAME, NEW_KEY, path=path)
        new = edit.add_list_item(with_binding, first, edit.Item(NEW_NAME, True), path=path)
        expected = canonical({**before, first: [*before[first], NEW_KEY]})
        return Variant({path: new}, expected, lambda old, new: None)

    def remove() -> Variant:
        errors: list[EditError] = []
        for name, keys in before.items():
            for key in keys:
                try:
                    new, _ = plan_remove_recipient(rules, name, key)
                except EditError as exc:
                    errors.append(exc)
                    continue
                remaining = list(keys)
                remaining.remove(key)
                return Variant({path: new}, canonical({**before, name: remaining}), one_block())
        raise errors[0]

    def add_secret() -> Variant:
        bound = list(edit.let_key_bindings(parse_source(source)).values())
        items = [bound[0][0], NEW_KEY] if bound else [NEW_KEY]
        keys = [bound[0][1], NEW_KEY] if bound else [NEW_KEY]
        new, _ = plan_add_secret(rules, NEW_SECRET, items)
        return Variant({path: new}, canonical({**before, NEW_SECRET: keys}), one_block(NEW_SECRET))

    def replace() -> Variant:
        assert first is not None
        old_key = before[first][0]
        changes, _ = plan_replace_key(rules, old_key, NEW_KEY)
        old_c, new_c = edit.key_canonical(old_key), edit.key_canonical(NEW_KEY)
        expected = {
            n: [new_c if k == old_c else k for k in ks] for n, ks in canonical(before).items()
        }
        return Variant(changes, expected, key_lines(old_key, NEW_KEY))

    builders = [add_binding, add_key, add_binding_and_name, remove, add_secret, replace]
    for op, build in zip(OPS, builders, strict=True):
        if first is None and op in ("add-key", "add-binding-and-name", "remove", "replace"):
            continue
        attempt(op, build)


def evaluate_variants(nix: str, folder: Path, variants: dict[str, Variant]) -> None:
    """Write each variant into its own copy of the folder; one nix-instantiate for all."""
    imports = {}
    for op, variant in variants.items():
        copy = folder.parent / f"{folder.name}--{op}"
        shutil.copytree(folder, copy)
        for target, data in variant.files.items():
            (copy / target.relative_to(folder.resolve())).write_bytes(data)
        imports[op] = copy / "secrets.nix"
    expression = "{ " + " ".join(f'"{op}" = import {p};' for op, p in imports.items()) + " }"
    proc = subprocess.run(
        [nix, "--eval", "--strict", "--json", "-E", expression],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode == 0:
        data = json.loads(proc.stdout)
    else:  # find which one broke
        data = {}
        for op, p in imports.items():
            one = subprocess.run(
                [nix, "--eval", "--strict", "--json", str(p)], capture_output=True, text=True
            )
            if one.returncode == 0:
                data[op] = json.loads(one.stdout)
            else:
                variants[op].error = one.stderr.strip()
    for op, value in data.items():
        try:
            secrets = validate_rules(value, imports[op])
        except AgepyError as exc:
            variants[op].error = str(exc)
            continue
        variants[op].result = canonical({n: s.public_keys for n, s in secrets.items()})


_RESULTS: dict[Path, CaseResult] = {}


@pytest.fixture(scope="module")
def case_results(
    nix_instantiate: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Path], CaseResult]:
    def get(case: Path) -> CaseResult:
        if case in _RESULTS:
            return _RESULTS[case]
        result = _RESULTS[case] = CaseResult()
        folder = tmp_path_factory.mktemp("edit") / case.name
        shutil.copytree(case, folder)
        try:
            result.rules = load_rules(folder / "secrets.nix", evaluator="nix")
        except AgepyError as exc:
            result.skip = f"sample does not load: {exc}"
            return result
        make_variants(result.rules, result)
        evaluate_variants(nix_instantiate, folder, result.variants)
        return result

    return get


@pytest.mark.parametrize(
    ("case", "op"),
    [
        pytest.param(
            case,
            op,
            id=f"{case.parent.name}/{case.name}-{op}",
            marks=pytest.mark.xdist_group(case.name),
        )
        for case in CASES
        for op in OPS
    ],
)
def test_edit_sample(case: Path, op: str, case_results: Callable[[Path], CaseResult]) -> None:
    result = case_results(case)
    if result.skip:
        pytest.skip(result.skip)
    if op in result.refused:
        error = result.refused[op]
        assert isinstance(error, EditError)
        assert error.hint, error
        pytest.skip(f"refused (EditError): {error} — hint: {error.hint}")
    if op not in result.variants:
        pytest.skip("no entries to edit")
    variant = result.variants[op]
    assert variant.error is None, variant.error
    assert variant.result == variant.expected
    for path, data in variant.files.items():
        variant.check_diff(path.read_text(), data.decode())


# Which samples must refuse which edits (they are computed), and which must not.
MUST_REFUSE = {
    "seed": {"remove"},  # its only entry has one key
    "interpolated": {"remove"},  # "${host}/db.age" is computed, plain.age has one key
    "mapattrs": {"add-key", "add-binding-and-name", "remove", "add-secret"},
    "mapattrs-values": {"add-key", "add-binding-and-name", "remove", "add-secret"},
}


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.parent.name == "edit_cases"], ids=lambda c: c.name
)
def test_refusals_are_the_expected_ones(
    case: Path, case_results: Callable[[Path], CaseResult]
) -> None:
    result = case_results(case)
    assert result.skip is None
    expected = MUST_REFUSE.get(case.name, set())
    assert set(result.refused) == expected, {op: str(e) for op, e in result.refused.items()}
