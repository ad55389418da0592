"""Fuzzing: token soup and mutated corpus files never crash the parser or evaluator.

Only agepy's own errors (AgepyError subclasses) may escape, never a Python exception
(KeyError, TypeError, RecursionError, …).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agepy.errors import AgepyError, NixUnsupportedError
from agepy.nix import evaluate_source, key_names
from agepy.nix.eval import Session, run_guarded, to_python

CORPUS = Path(__file__).parent.parent / "corpus"
WILD = Path(__file__).parent.parent / "corpus_wild"
FILES = sorted(CORPUS.glob("*/secrets.nix")) + sorted(WILD.glob("*/secrets.nix"))
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
    "inherit;",
    "inherit (x);",
    ", }",
    "{ a, }:",
    "{ a, b ? 1, }:",
    "{ a, ..., }:",
    "x'",
    '"\\q"',
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


# Well-formed expressions of random types: they parse, so the evaluator's type checks
# and builtins get exercised with every kind of wrong argument.
LEAVES = st.sampled_from(
    [
        "1",
        "0",
        "2.5",
        '"a"',
        '"ssh-ed25519 AAAA"',
        "''\n  x\n''",
        "null",
        "true",
        "false",
        "[ ]",
        "{ }",
        "x",
        "a",
        "./.",
        "(y: y)",
        "builtins",
        "{ a = 1; }",
        '[ 1 "a" ]',
    ]
)
BUILTIN_NAMES = st.sampled_from(
    [
        "attrValues",
        "attrNames",
        "length",
        "head",
        "tail",
        "toString",
        "typeOf",
        "isString",
        "concatLists",
        "fromJSON",
        "fromTOML",
        "toJSON",
        "stringLength",
        "readFile",
        "import",
        "deepSeq 1",
        "seq 1",
        "tryEval",
        "map (y: y)",
        "filter (y: y)",
        "listToAttrs",
        "mapAttrs (n: v: v)",
        "elem 1",
        "elemAt [ 1 ]",
        'getAttr "a"',
        'hasAttr "a"',
        "removeAttrs { a = 1; }",
        'catAttrs "a"',
        'concatStringsSep ","',
        "genList (y: y)",
        "foldl' (p: q: q) 0",
        "sort (p: q: true)",
        'split "a"',
        'match "a"',
        'replaceStrings [ "a" ] [ "b" ]',
        "substring 0 1",
        "baseNameOf",
        "dirOf",
        "pathExists",
        "throw",
        "abort",
        "functionArgs",
        "intersectAttrs { }",
        "concatMap (y: y)",
        "partition (y: y)",
        "groupBy (y: y)",
        "zipAttrsWith (n: v: v)",
        "all (y: y)",
        "ceil",
        'hashString "sha256"',
        "bitAnd 1",
        "lessThan 1",
        "add 1",
        "div 1",
    ]
)


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        pair = st.tuples(inner, inner)
        return st.one_of(
            pair.map(lambda p: f"(let x = {p[0]}; in {p[1]})"),
            pair.map(lambda p: f'{{ a = {p[0]}; "b.age".publicKeys = {p[1]}; }}'),
            pair.map(lambda p: f"(rec {{ a = {p[0]}; b = a; c = {p[1]}; }})"),
            pair.map(lambda p: f"[ {p[0]} {p[1]} ]"),
            st.tuples(
                inner,
                st.sampled_from(["+", "-", "*", "/", "++", "//", "==", "<", "&&", "->"]),
                inner,
            ).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            pair.map(lambda p: f"({p[0]}.a or {p[1]})"),
            pair.map(lambda p: f"({p[0]}.a)"),
            pair.map(lambda p: f"({p[0]} ? a)"),
            st.tuples(inner, inner, inner).map(lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"),
            pair.map(lambda p: f"((x: {p[0]}) {p[1]})"),
            pair.map(lambda p: f"(({{ a ? 1, ... }}@s: {p[0]}) {p[1]})"),
            pair.map(lambda p: f"(with {p[0]}; {p[1]})"),
            pair.map(lambda p: f"(assert {p[0]}; {p[1]})"),
            pair.map(lambda p: f'"s${{{p[0]}}}"'),
            st.tuples(BUILTIN_NAMES, inner).map(lambda t: f"(builtins.{t[0]} {t[1]})"),
            inner.map(lambda e: f"(-{e})"),
            inner.map(lambda e: f"(!{e})"),
        )

    return st.recursive(LEAVES, extend, max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions())
def test_random_well_formed_expressions(text: str) -> None:
    check(f"let a = 1; x = {{ a = 2; }}; in {text}", CORPUS / "08-import-keys-nix" / "fuzz.nix")


def _agree_with_nix(nix_instantiate: str, texts: list[str]) -> None:
    """Each text agepy can evaluate gives what Nix gives (AgepyError: Nix fails too)."""
    with tempfile.TemporaryDirectory() as tmp:
        mine: dict[str, object] = {}
        for text in texts:
            try:
                mine[text] = evaluate_source(text, Path(tmp) / "case.nix")
            except NixUnsupportedError:
                continue
            except AgepyError:
                mine[text] = AgepyError
        theirs = nix_outcomes(nix_instantiate, list(mine), Path(tmp))
    assert [(text, mine[text], theirs[text]) for text in mine if mine[text] != theirs[text]] == []


BATCH_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_OK = re.compile(r'"@@ok@@(.*)"')
_CASE = re.compile(r'"@@case-([0-9]+)@@"')


def nix_outcomes(nix_instantiate: str, texts: list[str], folder: Path) -> dict[str, object]:
    """What `nix-instantiate --eval --strict --json -E TEXT` gives for each text, run in
    ``folder`` (its JSON value; AgepyError: it fails), without a process per text.

    One `nix repl` reads all of them, each as ``(v: "@@ok@@" + builtins.toJSON
    (builtins.deepSeq v v)) (TEXT)`` (deepSeq: --strict; toJSON: --json) followed by a
    marker line: a case whose ok-line comes before its marker succeeded, one without
    failed (errors go to stderr, not read). Texts with a path literal are run by
    nix-instantiate itself: its --readonly-mode computes store paths without adding to
    the store, which the repl cannot. A stack overflow ends the repl: that case runs on
    its own and the repl starts again after it. (None of the generated texts is a
    function with formal arguments, which nix-instantiate alone would call.)"""
    outcomes: dict[str, object] = {}
    nix = Path(nix_instantiate).with_name("nix")
    pending = []
    for text in dict.fromkeys(texts):
        if "./" in text or not nix.is_file():
            outcomes[text] = _nix_instantiate(nix_instantiate, text, folder)
        else:
            pending.append(text)
    while pending:
        script = "".join(
            f'(v: "@@ok@@" + builtins.toJSON (builtins.deepSeq v v)) (\n{text}\n)\n"@@case-{n}@@"\n'
            for n, text in enumerate(pending)
        )
        with tempfile.TemporaryDirectory() as data_home:  # its history file, not the user's
            completed = subprocess.run(
                [str(nix), "repl", "--extra-experimental-features", "nix-command"],
                input=script.encode(),
                capture_output=True,
                cwd=folder,
                env={**os.environ, "XDG_DATA_HOME": data_home},
                timeout=600,
                check=False,
            )
        value: object = AgepyError
        done = 0
        for line in _ANSI.sub("", completed.stdout.decode(errors="surrogateescape")).splitlines():
            line = line.removeprefix("nix-repl> ")  # (the repl echoes its input after one)
            if ok := _OK.fullmatch(line):
                value = json.loads(_nix_unescape(ok.group(1)))
            elif (case := _CASE.fullmatch(line)) and int(case.group(1)) == done:
                outcomes[pending[done]] = value
                value = AgepyError
                done += 1
        if done < len(pending):  # the repl ended at this case: run it alone
            outcomes[pending[done]] = _nix_instantiate(nix_instantiate, pending[done], folder)
            done += 1
        pending = pending[done:]
    return outcomes


def _nix_unescape(literal: str) -> str:
    """The string a Nix string literal's body (as the repl prints it) stands for."""
    escapes = {"n": "\n", "r": "\r", "t": "\t"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), literal)


def _nix_instantiate(nix_instantiate: str, text: str, folder: Path) -> object:
    completed = subprocess.run(
        [nix_instantiate, "--eval", "--strict", "--json", "--readonly-mode", "-E", text],
        capture_output=True,
        cwd=folder,
        timeout=60,
        check=False,
    )
    return json.loads(completed.stdout) if completed.returncode == 0 else AgepyError


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=BATCH_CHECKS)
@given(st.lists(_expressions(), min_size=15, max_size=25))
def test_random_expressions_agree_with_nix(nix_instantiate: str, texts: list[str]) -> None:
    """Differential: the built-in evaluator fails exactly when Nix does, else agrees
    (150 expressions or more, in batches that one Nix process evaluates)."""
    _agree_with_nix(nix_instantiate, [f"let a = 1; x = {{ a = 2; }}; in {text}" for text in texts])


# Big files share compiled code between equal texts (agepy.nix.compile, attrs): sets
# built from a small pool of bindings, repeated, merged and shadowed, must evaluate
# exactly as when every expression is compiled on its own.
NAMES = st.sampled_from(['"a.age"', '"b.age"', "c", '"d-e"', "f'"])
VALUES = st.sampled_from(
    [
        "1",
        "k",
        "[ k ]",
        "[ k k ] ++ ks",
        "ks ++ [ k ]",
        "{ x = 1; }",
        "{ x = k; y = ks; }",
        "rec { x = 1; y = x; }",
        "{ ${k} = 1; }",
        "(x: x) k",
        "let q = k; in [ q ]",
        "z",
        "{ inherit k; }",
        "{ inherit (s) x; }",
    ]
)
PATHS = st.sampled_from(["", ".publicKeys", ".x", ".x.y", ".${k}", '."p q"'])
BINDINGS = st.lists(st.tuples(NAMES, PATHS, VALUES), min_size=1, max_size=12)


def _unshared(text: str, path: Path) -> object:
    session = Session(share=False)
    with session.active():
        return run_guarded(path, lambda: to_python(session.file_value(path, text.encode())))


def _outcome(run: Callable[[], object]) -> object:
    try:
        return run()
    except AgepyError as error:
        return ("error", type(error).__name__, str(error))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BINDINGS, st.booleans(), st.booleans())
def test_shared_compilation_matches_unshared(
    bindings: list[tuple[str, str, str]], rec: bool, repeat: bool
) -> None:
    if repeat:
        bindings = bindings + [(f'"r{i}"', p, v) for i, (_, p, v) in enumerate(bindings)]
    body = "\n".join(f"  {name}{attrpath} = {value};" for name, attrpath, value in bindings)
    text = (
        'let k = "kk"; ks = [ "k1" "k2" ]; s = { x = 5; }; in\n'
        f"{'rec ' if rec else ''}{{\n{body}\n}}\n"
    )
    path = WILD / "fuzz-shared.nix"
    shared = _outcome(lambda: evaluate_source(text, path, evaluator="builtin"))
    assert shared == _outcome(lambda: _unshared(text, path))


def _shared_text(bindings: list[tuple[str, str, str]], rec: bool) -> str:
    body = "\n".join(f"  {name}{attrpath} = {value};" for name, attrpath, value in bindings)
    return (
        'let k = "kk"; ks = [ "k1" "k2" ]; s = { x = 5; }; in\n'
        f"{'rec ' if rec else ''}{{\n{body}\n}}\n"
    )


def _no_nix_quirk(bindings: list[tuple[str, str, str]]) -> bool:
    # Nix 2.8 drops the dynamic attributes of `{ ${k} = …; }` merged into a set made by
    # an earlier `"a".p = …;` (it keeps them in the other order): a Nix quirk, not
    # something to copy, so such merges stay out of this comparison.
    names = [name for name, _, _ in bindings]
    return not any(
        names.count(name) > 1 and "${" in attrpath + value for name, attrpath, value in bindings
    )


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=BATCH_CHECKS)
@given(st.lists(st.tuples(BINDINGS, st.booleans()), min_size=10, max_size=15))
def test_shared_sets_agree_with_nix(
    nix_instantiate: str, cases: list[tuple[list[tuple[str, str, str]], bool]]
) -> None:
    """80 sets or more, in batches that one Nix process evaluates."""
    texts = [_shared_text(bindings, rec) for bindings, rec in cases if _no_nix_quirk(bindings)]
    _agree_with_nix(nix_instantiate, texts)


# Formal argument lists in every layout Nix accepts or rejects: trailing commas,
# comments, defaults, `...`, `@` patterns. The built-in parser repairs what
# tree-sitter-nix rejects; it must agree with Nix on every one.
FORMAL = st.sampled_from(["a", "b ? 1", "c ? a", "d ? null"])
SEPARATOR = st.sampled_from([", ", ",\n", " , ", ", # c\n", ", /* c */ "])


@st.composite
def formals(draw: st.DrawFn) -> str:
    names = draw(st.lists(FORMAL, min_size=1, max_size=4, unique_by=lambda f: f[0]))
    text = ""
    for index, formal in enumerate(names):
        text += formal
        if index < len(names) - 1:
            text += draw(SEPARATOR)
    if draw(st.booleans()):
        text += draw(SEPARATOR) + "..."
    if draw(st.booleans()):
        text += draw(SEPARATOR)  # trailing comma (and maybe a comment)
    pattern = f"{{ {text} }}"
    return draw(st.sampled_from([pattern, f"args@{pattern}", f"{pattern}@args"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formals())
def test_formals_never_crash(pattern: str) -> None:
    check(f"({pattern}: a) {{ a = 1; }}", CORPUS / "fuzz.nix")


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=BATCH_CHECKS)
@given(st.lists(formals(), min_size=10, max_size=15))
def test_formals_agree_with_nix(nix_instantiate: str, patterns: list[str]) -> None:
    """80 patterns or more, in batches that one Nix process evaluates."""
    _agree_with_nix(nix_instantiate, [f"({pattern}: a) {{ a = 1; }}" for pattern in patterns])
