"""Every edit on every sample secrets.nix: real Nix must evaluate the result to exactly the
intended rules, and only the edited span may differ. Where agepy refuses, the refusal is
pinned in REFUSALS (EditError with a hint, and the reason): a new refusal or a new
acceptance fails the test, so it is noticed and reviewed.

Samples: tests/corpus/*/secrets.nix (the evaluator corpus) and tests/nix/edit_cases/*/.
Real Nix evaluates every sample with one nix-instantiate call, then every variant of every
sample with one more (tests/nix/batch.py: a failing one is found and evaluated alone).
"""

from __future__ import annotations

import difflib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agepy.errors import AgepyError, EditError
from agepy.nix import source_edit as edit
from agepy.nix.parse import parse_file, parse_source
from agepy.rules import (
    Rules,
    plan_add_key_binding,
    plan_add_recipient,
    plan_add_secret,
    plan_remove_recipient,
    plan_replace_key,
    validate_rules,
)
from tests.support.nix_batch import Evaluated, evaluate_files

# One xdist group: the module's fixture edits and evaluates every sample at once, so
# the tests run on the one worker that did it (split, both workers would do it all).
pytestmark = pytest.mark.xdist_group("edit-corpus")

TESTS = Path(__file__).parent.parent
KEYS: dict[str, str] = json.loads((Path(__file__).parent / "edit_cases" / "keys.json").read_text())
NEW_KEY = KEYS["ed4"]
NEW_NAME = "agepy_new_host"
NEW_SECRET = "agepy-new.age"
CASES = sorted(p.parent for p in (TESTS / "corpus").glob("*/secrets.nix")) + sorted(
    p.parent for p in (Path(__file__).parent / "edit_cases").glob("*/secrets.nix")
)
OPS = [
    "add-binding",
    "add-key",
    "add-binding-and-name",
    "remove",
    "add-secret",
    "replace",  # the first key → NEW_KEY (an ssh-ed25519 key)
    "replace-same-kind",  # the first key → a new key of the same kind
    "replace-twice",  # the first key → a key of an entry that has both (refused)
    "replace-merge",  # the first key → a key of the rules that never shares an entry with it
]
SAME_KIND = {
    "ssh-ed25519": [KEYS["ed4"], KEYS["ed3"]],
    "ssh-rsa": [KEYS["rsa"], KEYS["rsa2"]],
    "age": [KEYS["age2"], KEYS["age1"]],
}

Model = dict[str, list[str]]


class NotApplicable(Exception):
    """The sample has nothing this edit could act on (e.g. no entries)."""


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
    error: str | None = None  # Nix could not evaluate the sample itself
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
                # Only the key text changes (its comment may go or come with it).
                assert without_key(before, old_blob) == without_key(after, new_blob), (
                    before,
                    after,
                )

    return check


def without_key(line: str, blob: str) -> str:
    """``line`` without the whole key text around ``blob`` (type, blob, comment)."""
    start = line.index(blob)
    end = start + len(blob)
    while start > 0 and line[start - 1] not in "\"'\n=[":
        start -= 1
    while end < len(line) and line[end] not in "\"'\n;]":
        end += 1
    return line[:start] + "<key>" + line[end:]


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
        except NotApplicable:
            pass

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
        # Entries with several keys first, so a refusal says why the layout is not editable
        # rather than "would leave no keys".
        for name, keys in sorted(before.items(), key=lambda item: len(item[1]) < 2):
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

    def replace_with(new_key: str) -> Variant:
        assert first is not None
        old_key = before[first][0]
        changes, _ = plan_replace_key(rules, old_key, new_key)
        old_c, new_c = edit.key_canonical(old_key), edit.key_canonical(new_key)
        expected = {
            n: [new_c if k == old_c else k for k in ks] for n, ks in canonical(before).items()
        }
        return Variant(changes, expected, key_lines(old_key, new_key))

    def replace() -> Variant:
        return replace_with(NEW_KEY)

    def replace_same_kind() -> Variant:
        assert first is not None
        kind = before[first][0].split()[0]
        used = {edit.key_canonical(k) for ks in before.values() for k in ks}
        candidates = SAME_KIND["age" if kind.startswith("age1") else kind]
        return replace_with(next(k for k in candidates if edit.key_canonical(k) not in used))

    def replace_present(*, shared: bool) -> Variant:
        assert first is not None
        old = edit.key_canonical(before[first][0])
        together = {
            edit.key_canonical(k)
            for ks in before.values()
            if old in map(edit.key_canonical, ks)
            for k in ks
        }
        present = [k for ks in before.values() for k in ks if edit.key_canonical(k) != old]
        chosen = [k for k in present if (edit.key_canonical(k) in together) == shared]
        if not chosen:
            raise NotApplicable
        return replace_with(chosen[0])

    builders = [
        add_binding,
        add_key,
        add_binding_and_name,
        remove,
        add_secret,
        replace,
        replace_same_kind,
        lambda: replace_present(shared=True),
        lambda: replace_present(shared=False),
    ]
    for op, build in zip(OPS, builders, strict=True):
        if first is None and op != "add-binding" and op != "add-secret":
            continue  # nothing to edit
        attempt(op, build)


def write_variants(folder: Path, variants: dict[str, Variant]) -> dict[str, Path]:
    """Each variant in its own copy of the folder: op → the copy's secrets.nix."""
    imports = {}
    for op, variant in variants.items():
        copy = folder.parent / f"{folder.name}--{op}"
        shutil.copytree(folder, copy)
        for target, data in variant.files.items():
            (copy / target.relative_to(folder.resolve())).write_bytes(data)
        imports[op] = copy / "secrets.nix"
    return imports


def record(variant: Variant, path: Path, evaluated: Evaluated) -> None:
    """What Nix made of ``variant`` (its copy at ``path``): its rules, or why none."""
    if evaluated.error is not None:
        variant.error = evaluated.error
        return
    try:
        secrets = validate_rules(evaluated.value, path)
    except AgepyError as exc:
        variant.error = str(exc)
        return
    variant.result = canonical({n: s.public_keys for n, s in secrets.items()})


def rules_from(path: Path, evaluated: object) -> Rules:
    """The rules as load_rules(path, evaluator="nix") reads them, from Nix's value."""
    path = path.absolute()
    return Rules(path=path, secrets=validate_rules(evaluated, path, parse_file(path)))


@pytest.fixture(scope="module")
def case_results(
    nix_instantiate: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[Path, CaseResult]:
    """Every sample's edits, and what Nix evaluates them to (two nix-instantiate runs)."""
    base = tmp_path_factory.mktemp("edit")
    folders = {}
    for case in CASES:
        folders[case] = base / case.parent.name / case.name
        shutil.copytree(case, folders[case])
    samples = evaluate_files(nix_instantiate, [f / "secrets.nix" for f in folders.values()])
    results: dict[Path, CaseResult] = {}
    copies: dict[tuple[Path, str], Path] = {}
    for case, folder in folders.items():
        result = results[case] = CaseResult()
        sample = samples[folder / "secrets.nix"]
        if sample.error is not None:
            result.error = sample.error
            continue
        result.rules = rules_from(folder / "secrets.nix", sample.value)
        make_variants(result.rules, result)
        for op, path in write_variants(folder, result.variants).items():
            copies[case, op] = path
    evaluated = evaluate_files(nix_instantiate, list(copies.values()))
    for (case, op), path in copies.items():
        record(results[case].variants[op], path, evaluated[path])
    return results


@pytest.mark.parametrize(
    ("case", "op"),
    [
        pytest.param(case, op, id=f"{case.parent.name}/{case.name}-{op}")
        for case in CASES
        for op in OPS
    ],
)
def test_edit_sample(case: Path, op: str, case_results: dict[Path, CaseResult]) -> None:
    result = case_results[case]
    assert result.error is None, f"Nix cannot evaluate the sample: {result.error}"
    pinned = REFUSALS.get(f"{case.parent.name}/{case.name}", {}).get(op, DEFAULTS.get(op))
    if pinned == NOT_APPLICABLE:
        assert op not in result.variants and op not in result.refused
        return
    if pinned is not None and pinned != ACCEPTED:
        assert op in result.refused, f"{op} was pinned as refused ({pinned!r}) but is accepted now"
        error = result.refused[op]
        assert isinstance(error, EditError)
        assert error.hint, error
        assert pinned in str(error), (pinned, str(error), error.hint)
        return
    refusal = result.refused.get(op)
    assert refusal is None, f"new refusal: {refusal} — hint: {refusal.hint}"
    variant = result.variants[op]
    assert variant.error is None, variant.error
    assert variant.result == variant.expected
    for path, data in variant.files.items():
        variant.check_diff(path.read_text(), data.decode())


# Which edits agepy refuses on which sample, and the reason it gives (a part of the
# message). Everything not listed must be accepted and evaluate to the intended rules.
NOT_APPLICABLE = "n/a"  # nothing for this edit to act on (e.g. no entries)
ACCEPTED = "accepted"  # overrides a default below
COMPUTED = "is not a plain attribute set of entries (it is computed)"
COMPUTED_ENTRY = "is computed, not written as"
NO_KEYS = "with no keys"
TWICE = "would list it twice"
BY_TEXT = "the file selects keys by their text"  # filterAttrs on the "ssh-" prefix
NO_LITERAL = "has no literal"  # the key comes from a computed part of the list
NOT_WRITTEN = "the old key is not written literally"
# The new key already shares an entry with the old one: the rules would list it twice.
# Merging two keys is only possible where they never share an entry, which is rare.
DEFAULTS = {"replace-twice": TWICE, "replace-merge": NOT_APPLICABLE}
REFUSALS: dict[str, dict[str, str]] = {
    "corpus/01-seed-heisenbridge": {"remove": NO_KEYS, "replace-twice": NOT_APPLICABLE},
    "corpus/05-attrvalues-inherit": {"replace-merge": ACCEPTED},
    "corpus/09-mapattrs-publickeys": {
        "add-key": COMPUTED,
        "add-binding-and-name": COMPUTED,
        "remove": COMPUTED,
        "add-secret": COMPUTED,
    },
    "corpus/10-listtoattrs-names": {
        "add-key": COMPUTED,
        "add-binding-and-name": COMPUTED,
        "remove": COMPUTED,
        "add-secret": COMPUTED,
    },
    "corpus/15-interpolated-hosts": {
        "add-key": COMPUTED,
        "add-binding-and-name": COMPUTED,
        "remove": COMPUTED,
        "add-secret": COMPUTED,
    },
    "corpus/17-rec-set": {"remove": NO_LITERAL},
    "corpus/18-let-inside-values": {
        "add-key": COMPUTED_ENTRY,
        "add-binding-and-name": COMPUTED_ENTRY,
        "remove": COMPUTED_ENTRY,
    },
    "corpus/19-functions": {
        "add-key": COMPUTED_ENTRY,
        "add-binding-and-name": COMPUTED_ENTRY,
        "remove": COMPUTED_ENTRY,
    },
    "corpus/23-indented-string-keys": {"replace": NOT_WRITTEN, "replace-same-kind": NOT_WRITTEN},
    "corpus/24-foldl-merge": {
        "add-key": COMPUTED,
        "add-binding-and-name": COMPUTED,
        "remove": COMPUTED,
        "add-secret": COMPUTED,
    },
    "corpus/25-concatmap-hosts": {"remove": NO_LITERAL},
    "corpus/26-filterattrs-pattern": {"replace": BY_TEXT, "replace-merge": BY_TEXT},
    "corpus/27-or-default-has-attr": {"remove": NO_LITERAL},
    "corpus/28-string-ops": {
        "add-key": COMPUTED,
        "add-binding-and-name": COMPUTED,
        "remove": NO_KEYS,
        "add-secret": COMPUTED,
        "replace-twice": NOT_APPLICABLE,
    },
    "corpus/29-assert-and-if": {
        "add-key": COMPUTED,
        "add-binding-and-name": COMPUTED,
        "remove": COMPUTED,
        "add-secret": COMPUTED,
    },
    "corpus/32-removeattrs-intersect": {"remove": NO_LITERAL},
    "corpus/33-genlist-numbered": {
        "add-key": COMPUTED,
        "add-binding-and-name": COMPUTED,
        "remove": COMPUTED,
        "add-secret": COMPUTED,
    },
    "corpus/37-multiline-strings-and-escapes": {
        "remove": NO_KEYS,
        "replace-twice": NOT_APPLICABLE,
    },
    "edit_cases/empty": {
        "add-key": NOT_APPLICABLE,
        "add-binding-and-name": NOT_APPLICABLE,
        "remove": NOT_APPLICABLE,
        "replace": NOT_APPLICABLE,
        "replace-same-kind": NOT_APPLICABLE,
        "replace-twice": NOT_APPLICABLE,
    },
    "edit_cases/interpolated": {"remove": NO_KEYS, "replace-twice": NOT_APPLICABLE},
    "edit_cases/mapattrs": {
        "add-key": COMPUTED,
        "add-binding-and-name": COMPUTED,
        "remove": NO_KEYS,
        "add-secret": COMPUTED,
        "replace-twice": NOT_APPLICABLE,
    },
    "edit_cases/mapattrs-values": {
        "add-key": COMPUTED,
        "add-binding-and-name": COMPUTED,
        "remove": COMPUTED,
        "add-secret": COMPUTED,
    },
    "edit_cases/no-let": {"replace-merge": ACCEPTED},
    "edit_cases/seed": {"remove": NO_KEYS, "replace-twice": NOT_APPLICABLE},
}


def test_pinned_refusals_name_real_samples() -> None:
    names = {f"{c.parent.name}/{c.name}" for c in CASES}
    assert set(REFUSALS) <= names
    assert all(set(ops) <= set(OPS) for ops in REFUSALS.values())


def test_key_lines_check_fails_when_more_than_the_key_changes() -> None:
    old_key, new_key = KEYS["ed3"], KEYS["ed4"]
    check = key_lines(old_key, new_key)
    old_blob, new_blob = old_key.split()[1], new_key.split()[1]
    before = f'  alice = "{old_key} alice@laptop";\n'
    check(before, f'  alice = "{new_key}";\n')  # the key and its comment: fine
    with pytest.raises(AssertionError):
        check(before, f'  bob = "{new_key}";\n')
    with pytest.raises(AssertionError):
        check(before, f'  alice = "{new_key}"\n')
    assert without_key(before, old_blob) == '  alice = "<key>";\n'
    assert new_blob not in without_key(f"[ {new_key} ]", new_blob)
