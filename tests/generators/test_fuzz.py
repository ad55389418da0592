"""Fuzzing the two things a user can write by hand: a generator's options (on the command
line) and its record in agepy.toml. Only agepy's own errors may escape."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from agepy.errors import AgepyError
from agepy.generators import KINDS, resolve_options
from agepy.store.generator_records import load_records

SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
)
OPTION_NAMES = st.sampled_from(
    ["format", "length", "words", "separator", "var", "comment", "rounds", "url", "compat",
     "id", "sender", "prefix", "x"]
)  # fmt: skip
TOML_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(OPTION_NAMES, inner),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from([*KINDS, "nope"]), options=st.dictionaries(OPTION_NAMES, SCALARS))
def test_options(kind: str, options: dict[str, Any]) -> None:
    try:
        resolved = resolve_options(kind, options, secret_name="x.age")
    except AgepyError as exc:
        assert exc.hint is not None
    else:
        assert set(resolved) == set(KINDS[kind].option_names)


@pytest.fixture(scope="module")
def records_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every example: each writes its own agepy.toml over the last one
    (making and removing a folder per example cost more than the example itself)."""
    folder = tmp_path_factory.mktemp("records")
    (folder / "secrets.nix").write_text("{ }\n")
    return folder


@settings(max_examples=200, deadline=None)
@given(
    table=st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(
            TOML_VALUES,
            st.fixed_dictionaries(
                {"kind": st.sampled_from([*KINDS, "nope"])},
                optional={"options": TOML_VALUES, "public": TOML_VALUES},
            ),
        ),
        max_size=3,
    )
)
def test_records(records_folder: Path, table: dict[str, Any]) -> None:
    rules = records_folder / "secrets.nix"
    (records_folder / "agepy.toml").write_text(tomli_w.dumps({"secrets": table}))
    try:
        records = load_records(rules)
    except AgepyError:
        return
    for name, record in records.items():
        with contextlib.suppress(AgepyError):
            resolve_options(record.kind, record.options, secret_name=name)


def test_damaged_toml() -> None:
    with tempfile.TemporaryDirectory() as folder:
        rules = Path(folder) / "secrets.nix"
        for text in ["[secrets\n", "secrets = 3\n", b"\xff".decode("latin-1")]:
            (Path(folder) / "agepy.toml").write_text(text)
            try:
                load_records(rules)
            except AgepyError:
                continue
