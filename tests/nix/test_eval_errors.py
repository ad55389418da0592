"""Broken and unusual secrets.nix files: one clear agepy error each, with a location."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from agepy.errors import NixEvalError, NixSyntaxError, NixUnsupportedError, UsageError
from agepy.nix import evaluate_file, evaluate_source

GOOD_KEY = "age1ll0v6ldsv3m7xrgrfyeqgsq67ahn9uj3jgq94fvnutjpypf8fedslgmuav"


def write(folder: Path, text: str, name: str = "secrets.nix") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, 'let\n  a = "x";\nin {\n  "s.age".publicKeys = [ a ;\n}\n')
    with pytest.raises(NixSyntaxError) as caught:
        evaluate_file(path)
    assert caught.value.file == path
    assert caught.value.line == 4
    assert caught.value.hint


def test_syntax_error_through_nix(nix_instantiate: str, tmp_path: Path) -> None:
    path = write(tmp_path, "{ a = ; }\n")
    with pytest.raises(NixSyntaxError) as caught:
        evaluate_file(path, evaluator="nix")
    assert caught.value.line == 1
    assert "syntax error" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    for evaluator in ("builtin", "auto"):
        with pytest.raises(NixSyntaxError, match="no such file"):
            evaluate_file(tmp_path / "nope.nix", evaluator=evaluator)


def test_unknown_evaluator(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        evaluate_file(write(tmp_path, "{}"), evaluator="guess")


def test_import_of_missing_file_names_the_import(tmp_path: Path) -> None:
    path = write(tmp_path, "let\n  keys = import ./keys.nix;\nin keys\n")
    with pytest.raises(NixEvalError, match=r"keys\.nix") as caught:
        evaluate_file(path, evaluator="builtin")
    assert (caught.value.file, caught.value.line, caught.value.column) == (path, 2, 10)


def test_error_inside_imported_file_points_there(tmp_path: Path) -> None:
    write(tmp_path, '{ alice = 1 + "x"; }\n', "keys.nix")
    path = write(
        tmp_path, 'let keys = import ./keys.nix; in { "a.age".publicKeys = [ keys.alice ]; }'
    )
    with pytest.raises(NixEvalError, match="cannot add") as caught:
        evaluate_file(path)
    assert caught.value.file == tmp_path / "keys.nix"


def test_infinite_recursion(tmp_path: Path) -> None:
    path = write(tmp_path, "let\n  a = b;\n  b = a;\nin { x.publicKeys = a; }\n")
    with pytest.raises(NixEvalError, match="infinite recursion") as caught:
        evaluate_file(path)
    assert caught.value.line in (2, 3)


def test_self_import_is_infinite_recursion(tmp_path: Path) -> None:
    path = write(tmp_path, "import ./secrets.nix\n")
    with pytest.raises(NixEvalError, match="infinite recursion"):
        evaluate_file(path, evaluator="builtin")


def test_endless_function_is_a_nix_error_not_a_python_one(tmp_path: Path) -> None:
    path = write(tmp_path, "let f = x: f (x + 1); in f 0\n")
    with pytest.raises(NixEvalError, match="stack overflow"):
        evaluate_file(path, evaluator="builtin")


@pytest.mark.parametrize("depth", [3000, 100000])
def test_deep_nesting(tmp_path: Path, depth: int) -> None:
    path = write(tmp_path, "[" * depth + "1" + "]" * depth)
    with pytest.raises((NixEvalError, NixSyntaxError)):
        evaluate_file(path, evaluator="builtin")


def test_moderate_recursion_still_works(tmp_path: Path) -> None:
    path = write(tmp_path, "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 1000\n")
    assert evaluate_file(path, evaluator="builtin") == 1000


def test_type_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'let keys = "x"; in { "a.age".publicKeys = keys ++ [ ]; }\n')
    with pytest.raises(NixEvalError, match="while a list was expected") as caught:
        evaluate_file(path)
    assert caught.value.line == 1


def test_missing_attribute_suggests_names(tmp_path: Path) -> None:
    path = write(
        tmp_path, 'let users = { alice = "k"; }; in { "a.age".publicKeys = [ users.alcie ]; }'
    )
    with pytest.raises(NixEvalError, match="attribute 'alcie' missing") as caught:
        evaluate_file(path)
    assert caught.value.hint is not None and "alice" in caught.value.hint


def test_throw_and_abort(tmp_path: Path) -> None:
    with pytest.raises(NixEvalError, match="no keys yet"):
        evaluate_file(write(tmp_path, '{ "a.age".publicKeys = throw "no keys yet"; }'))
    with pytest.raises(NixEvalError, match=r"aborted.*stop"):
        evaluate_file(write(tmp_path, 'abort "stop"', "b.nix"))


def test_laziness_unused_broken_bindings_are_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""let
  broken = throw "never used";
  alsoBroken = 1 + "x";
  unsupported = import <nixpkgs> {{ }};
  key = "{GOOD_KEY}";
in {{ "a.age".publicKeys = [ key ]; }}
""",
    )
    assert evaluate_file(path, evaluator="builtin") == {"a.age": {"publicKeys": [GOOD_KEY]}}


UNSUPPORTED = [
    ("let pkgs = import <nixpkgs> { }; in pkgs.lib.attrValues { }", "search path <nixpkgs>"),
    ('(builtins.getFlake "github:x/y").keys', "builtins.getFlake"),
    ('builtins.hashFile "sha256" ./keys.txt', "builtins.hashFile"),
    ('builtins.fetchurl "https://example.org/keys"', "builtins.fetchurl"),
    ("builtins.currentSystem", "builtins.currentSystem"),
    ("let { body = 1; }", "let { … }"),
]


@pytest.mark.parametrize(("text", "construct"), UNSUPPORTED, ids=[c for _, c in UNSUPPORTED])
def test_unsupported_constructs_in_builtin_mode(tmp_path: Path, text: str, construct: str) -> None:
    (tmp_path / "keys.txt").write_text("x\n")
    path = write(tmp_path, f"\n  {text}\n")
    with pytest.raises(NixUnsupportedError) as caught:
        evaluate_file(path, evaluator="builtin")
    error = caught.value
    assert construct in error.construct
    assert error.file == path
    assert error.hint


@pytest.mark.parametrize(
    "text",
    ['builtins.hashFile "sha256" ./keys.txt', "builtins.currentSystem"],
)
def test_auto_falls_back_to_nix(nix_instantiate: str, tmp_path: Path, text: str) -> None:
    (tmp_path / "keys.txt").write_text("x\n")
    path = write(tmp_path, text)
    assert evaluate_file(path) == evaluate_file(path, evaluator="nix")


def test_auto_without_nix_raises_unsupported_with_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "builtins.currentSystem\n")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("nix-instantiate") is None
    with pytest.raises(NixUnsupportedError) as caught:
        evaluate_file(path)
    error = caught.value
    assert (error.file, error.line) == (path, 1)
    assert error.hint is not None and "nix-bin" in error.hint
    with pytest.raises(NixEvalError, match="not installed"):
        evaluate_file(path, evaluator="nix")


def test_nix_error_carries_message_and_location(nix_instantiate: str, tmp_path: Path) -> None:
    path = write(tmp_path, 'let\n  a = { };\nin {\n  "x.age".publicKeys = [ a.missing ];\n}\n')
    with pytest.raises(NixEvalError, match="attribute 'missing' missing") as caught:
        evaluate_file(path, evaluator="nix")
    assert caught.value.file == path
    assert caught.value.line == 4
    assert "\n" not in str(caught.value)


def test_evaluate_source_resolves_relative_imports(tmp_path: Path) -> None:
    write(tmp_path, f'{{ alice = "{GOOD_KEY}"; }}', "keys.nix")
    text = '{ "a.age".publicKeys = [ (import ./keys.nix).alice ]; }'
    expected = {"a.age": {"publicKeys": [GOOD_KEY]}}
    assert evaluate_source(text, tmp_path / "secrets.nix") == expected
    if shutil.which("nix-instantiate"):
        assert evaluate_source(text, tmp_path / "secrets.nix", evaluator="nix") == expected


def test_unreadable_and_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "secrets.nix"
    path.write_bytes(b'{ a = "\xff"; }')
    with pytest.raises(NixSyntaxError, match="UTF-8"):
        evaluate_file(path)
    if os.geteuid() != 0:
        path.write_text("{}")
        path.chmod(0)
        with pytest.raises(NixSyntaxError):
            evaluate_file(path)


def test_paths_become_store_paths_as_in_nix(nix_instantiate: str, tmp_path: Path) -> None:
    (tmp_path / "keys.txt").write_text("x\n")
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "sub" / "run").write_text("#!/bin/sh\n")
    (tmp_path / "dir" / "sub" / "run").chmod(0o755)
    (tmp_path / "dir" / "link").symlink_to("sub/run")
    text = (
        '{ a = ./keys.txt; b = "${./dir}"; c = "x" + ./dir/sub/run; '
        "d = builtins.toJSON [ ./dir/link ]; e = toString ./keys.txt; }"
    )
    path = write(tmp_path, text)
    assert evaluate_file(path, evaluator="builtin") == evaluate_file(path, evaluator="nix")
    with pytest.raises(NixEvalError, match="No such file"):
        evaluate_file(write(tmp_path, "{ a = ./missing; }", "m.nix"), evaluator="builtin")


def test_read_dir_matches_nix(nix_instantiate: str, tmp_path: Path) -> None:
    # `builtins.readDir ./.` picks the .age files of a folder in some public secrets.nix.
    (tmp_path / "a.age").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link").symlink_to("a.age")
    (tmp_path / "dangling").symlink_to("nowhere")
    text = (
        "let entries = builtins.readDir ./.; in { inherit entries; ages = builtins.filter "
        '(name: builtins.match ".*[.]age" name != null) (builtins.attrNames entries); }'
    )
    path = write(tmp_path, text)
    assert evaluate_file(path, evaluator="builtin") == evaluate_file(path, evaluator="nix")
    missing = write(tmp_path, "builtins.readDir ./missing", "m.nix")
    with pytest.raises(NixEvalError, match="No such file"):
        evaluate_file(missing, evaluator="builtin")
