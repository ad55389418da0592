"""key_names: recipients named after the bindings they come from."""

from __future__ import annotations

from pathlib import Path

from agepy.nix import evaluate_file, key_names

CORPUS = Path(__file__).parent.parent / "corpus"
ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICgU0/E4W6oOM9ldg1/+PuY1WCU67yGjVmohek3zMnaG"
AGE = "age1ll0v6ldsv3m7xrgrfyeqgsq67ahn9uj3jgq94fvnutjpypf8fedslgmuav"


def names_by_value(path: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for key, name in key_names(path).items():
        out.setdefault(name, set()).add(key)
    return out


def all_keys(path: Path) -> set[str]:
    rules = evaluate_file(path, evaluator="builtin")
    return {" ".join(k.split()[:2]) for entry in rules.values() for k in entry["publicKeys"]}


def test_seed_example() -> None:
    path = CORPUS / "01-seed-heisenbridge" / "secrets.nix"
    assert key_names(path) == {k: "vps_ssh" for k in all_keys(path)}


def test_let_bindings_without_comments() -> None:
    path = CORPUS / "35-keys-with-comments" / "secrets.nix"
    names = key_names(path)
    assert set(names.values()) == {"alice", "old", "vps"}
    assert set(names) == all_keys(path)
    assert all(len(key.split()) == 2 for key in names)


def test_attrsets_imports_and_data_files() -> None:
    expectations = {
        "04-attrvalues-users": {"alice", "bob", "carol", "db1", "web1"},
        "08-import-keys-nix": {"alice", "bob", "web1", "web2"},
        "11-fromtoml-keys": {"alice", "bob", "matrix", "backup"},
        "12-fromjson-keys": {"alice", "ops", "web1", "legacy"},
        "21-hosts-dir-import": {"alice", "web1", "db1"},
        "34-elem-per-host": {"alice", "web1", "web2", "db1"},
        "36-nested-keys-nix": {"alice", "bob", "web1"},
    }
    for folder, expected in expectations.items():
        path = CORPUS / folder / "secrets.nix"
        assert set(key_names(path).values()) == expected, folder
        assert set(key_names(path)) == all_keys(path), folder


def test_lists_only_when_nothing_better(tmp_path: Path) -> None:
    path = tmp_path / "secrets.nix"
    path.write_text(
        f"""let
  admins = [ "{ED} alice@laptop" "{AGE}" ];
  alice = "{ED}";
in {{ "a.age".publicKeys = admins; }}
"""
    )
    assert key_names(path) == {ED: "alice", AGE: "admins"}


def test_broken_bindings_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "secrets.nix"
    path.write_text(
        f"""let
  broken = throw "x";
  pkgs = import <nixpkgs> {{ }};
  alice = "{ED}";
in {{ "a.age".publicKeys = [ alice ]; }}
"""
    )
    assert key_names(path) == {ED: "alice"}


def test_every_corpus_file_names_something() -> None:
    for path in sorted(CORPUS.glob("*/secrets.nix")):
        names = key_names(path)
        assert names, path
        assert all(key.startswith(("ssh-", "age1")) and "\n" not in key for key in names)
