"""Fuzzing: token soup and mutated corpus files never crash the parser or evaluator.

Only agepy's own errors (AgepyError subclasses) may escape, never a Python exception
(KeyError, TypeError, RecursionError, …).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agepy.errors import AgepyError
from agepy.nix import evaluate_source, key_names

CORPUS = Path(__file__).parent.parent / "corpus"
FILES = sorted(CORPUS.glob("*/secrets.nix"))
TOKENS = [
    *[
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        ";",
        ":",
        ",",
        ".",
        "=",
        "?",
        "@",
        "!",
        "+",
        "-",
        "*",
        "/",
        "<",
        ">",
        "${",
        "'",
        '"',
        "''",
    ],
    "==",
    "!=",
    "<=",
    ">=",
    "&&",
    "||",
    "->",
    "++",
    "//",
    "...",
    "or",
    "let",
    "in",
    "rec",
    "with",
    "inherit",
    "if",
    "then",
    "else",
    "assert",
    "import",
    "true",
    "false",
    "null",
    "builtins",
    "map",
    "toString",
    "throw",
    "abort",
    "x",
    "y",
    "a",
    "b",
    "s",
    "0",
    "1",
    "2",
    "1.5",
    '"a"',
    '"s${x}"',
    "''\n  k ''",
    "./keys.nix",
    "./.",
    "<nixpkgs>",
    "x: x",
    "{ a, ... }: a",
    "builtins.attrValues",
    "builtins.listToAttrs",
    "builtins.mapAttrs",
    "builtins.fromJSON",
    "builtins.fromTOML",
    "builtins.readFile",
    "builtins.filter",
    "builtins.foldl'",
    "builtins.genList",
    "builtins.replaceStrings",
    "builtins.split",
    "builtins.tryEval",
    "builtins.deepSeq",
    "builtins.sort",
    "publicKeys",
    '"x.age"',
    "# c\n",
    "/* c */",
    "\n",
]

soup = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=40).map(" ".join)


def check(text: str | bytes, path: Path) -> None:
    try:
        evaluate_source(text, path, evaluator="builtin")
    except AgepyError as error:
        assert str(error) and "\n" not in str(error)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(soup)
def test_token_soup(text: str) -> None:
    check(text, CORPUS / "08-import-keys-nix" / "fuzz.nix")


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Path, bytes]:
    path = draw(st.sampled_from(FILES))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(data)))
        end = draw(st.integers(start, min(len(data), start + 12)))
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "byte"]))
        if kind == "delete":
            del data[start:end]
        elif kind == "insert":
            data[start:start] = draw(st.sampled_from(TOKENS)).encode()
        elif kind == "duplicate":
            data[start:start] = data[start:end]
        elif data and start < len(data):
            data[start] = draw(st.integers(0, 255))
    return path, bytes(data)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_corpus_files(case: tuple[Path, bytes]) -> None:
    path, data = case
    check(data, path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_key_names_on_mutated_files(case: tuple[Path, bytes]) -> None:
    path, data = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "rules"
        shutil.copytree(path.parent, folder)
        (folder / "secrets.nix").write_bytes(data)
        try:
            names = key_names(folder / "secrets.nix")
        except AgepyError:
            return
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in names.items())


# (tree-sitter itself gets slow on thousands of nested unary minus signs: stay below that)
@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 5000), st.sampled_from(["[", "(", "{ a = ", "x: ", "-", "!", "let a = 1; in "])
)
def test_deep_nesting_is_an_agepy_error(depth: int, opener: str) -> None:
    closer = {"[": "]", "(": ")", "{ a = ": "; }"}.get(opener, "")
    check(opener * depth + "1" + closer * depth, CORPUS / "fuzz.nix")
