"""Random edit sequences with awkward names and key comments (``"``, ``\\``, ``${``…):
the result always parses and real Nix evaluates it to exactly the intended rules;
only agepy's own errors escape."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agepy.errors import AgepyError, EditError
from agepy.nix import source_edit as edit
from agepy.nix.parse import parse_source

CASES = Path(__file__).parent / "edit_cases"
KEYS: dict[str, str] = json.loads((CASES / "keys.json").read_text())
VALID = [v for k, v in KEYS.items() if k != "ecdsa"]
BASES = ["seed", "nested-multiline", "users-systems", "no-let", "nested-inline", "empty"]
KEYWORDS = {"let", "in", "if", "then", "else", "with", "rec", "inherit", "assert", "or"}

odd_text = st.lists(st.sampled_from([*"ab\"\\${}/. '-_é\t", "${", "''", "\\$"]), max_size=6).map(
    "".join
)
names = st.from_regex(r"[a-z_][a-z0-9_'-]{0,8}", fullmatch=True).filter(lambda n: n not in KEYWORDS)


@st.composite
def keys(draw: st.DrawFn) -> str:
    key = draw(st.sampled_from(VALID))
    if key.startswith("ssh-") and draw(st.booleans()):
        key = " ".join(key.split()[:2]) + " " + draw(odd_text.filter(lambda t: t.strip()))
    return key


operations = st.lists(
    st.one_of(
        st.tuples(st.just("bind-and-add"), names, keys()),
        st.tuples(st.just("add-key"), st.integers(0, 5), keys()),
        st.tuples(st.just("add-entry"), odd_text.filter(bool), keys()),
        st.tuples(st.just("remove-last"), st.integers(0, 5), st.just("")),
    ),
    min_size=1,
    max_size=5,
)


def evaluate(nix: str, folder: Path, source: bytes) -> object:
    path = folder / "secrets.nix"
    path.write_bytes(source)
    proc = subprocess.run(
        [nix, "--eval", "--strict", "--json", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr + source.decode()
    return json.loads(proc.stdout)


def evaluate_all(nix: str, folder: Path, sources: list[bytes]) -> list[object]:
    """What `evaluate` gives for each source, from one Nix process: each is written to
    a file of its own beside the rules' other files, and one file lists their imports.
    If that fails, each source is evaluated on its own, so the one Nix rejects is named."""
    names = []
    for n, source in enumerate(sources):
        (folder / f"case-{n}.nix").write_bytes(source)
        names.append(f"(import ./case-{n}.nix)")
    (folder / "cases.nix").write_text(f"[ {' '.join(names)} ]\n")
    proc = subprocess.run(
        [nix, "--eval", "--strict", "--json", str(folder / "cases.nix")],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return [evaluate(nix, folder, source) for source in sources]
    results: list[object] = json.loads(proc.stdout)
    return results


def apply(source: bytes, model: dict[str, list[str]], op: tuple[str, object, str]) -> bytes:
    kind, arg, key = op
    entries = sorted(model)
    if kind == "bind-and-add" and entries:
        assert isinstance(arg, str)
        new = edit.add_binding(source, arg, key)
        new = edit.add_list_item(new, entries[0], edit.Item(arg, True))
        model[entries[0]].append(key)
        return new
    if kind == "add-key" and entries:
        assert isinstance(arg, int)
        name = entries[arg % len(entries)]
        new = edit.add_list_item(source, name, edit.Item(key, False))
        model[name].append(key)
        return new
    if kind == "add-entry":
        assert isinstance(arg, str)
        new = edit.add_entry(source, arg, [edit.Item(key, False)])
        model[arg] = [key]
        return new
    if kind == "remove-last" and entries:
        assert isinstance(arg, int)
        name = entries[arg % len(entries)]
        last = model[name][-1]
        same = [k for k in model[name] if edit.key_canonical(k) == edit.key_canonical(last)]
        if len(same) > 1:  # which copy goes is ambiguous (and agenix rejects duplicates)
            return source
        new = edit.remove_list_item(source, name, edit.Item(last, False))
        model[name].remove(
            next(k for k in model[name] if edit.key_canonical(k) == edit.key_canonical(last))
        )
        return new
    return source


@pytest.mark.slow
@pytest.mark.parametrize("base", BASES)
def test_random_edits(
    base: str, nix_instantiate: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp(f"fuzz-{base}")
    for extra in (CASES / base).iterdir():
        (folder / extra.name).write_bytes(extra.read_bytes())
    original = (CASES / base / "secrets.nix").read_bytes()
    start = evaluate(nix_instantiate, folder, original)
    assert isinstance(start, dict)

    # 40 edit sequences or more per base, in batches of 8 that one Nix process evaluates.
    @settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operations, min_size=8, max_size=8))
    def run(sequences: list[list[tuple[str, object, str]]]) -> None:
        outcomes = [edited(ops) for ops in sequences]
        results = evaluate_all(nix_instantiate, folder, [source for source, _ in outcomes])
        for (source, model), result in zip(outcomes, results, strict=True):
            assert isinstance(result, dict)
            got = {name: entry["publicKeys"] for name, entry in result.items()}
            assert got == model, source.decode()

    def edited(ops: list[tuple[str, object, str]]) -> tuple[bytes, dict[str, list[str]]]:
        model = {name: list(entry["publicKeys"]) for name, entry in start.items()}
        source = original
        for op in ops:
            attempt = {k: list(v) for k, v in model.items()}
            try:
                source = apply(source, attempt, op)
            except EditError as exc:
                assert exc.hint
                continue
            except AgepyError:
                continue
            model = attempt
            parse_source(source)
        return source, model

    run()
