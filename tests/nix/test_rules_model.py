"""The rules model: locating, evaluating and validating secrets.nix."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agepy.cli.hints import hint_for
from agepy.errors import AgepyError, NixError, NixSyntaxError, RulesError
from agepy.rules import Rules, load_rules, locate_rules

KEYS: dict[str, str] = json.loads((Path(__file__).parent / "edit_cases" / "keys.json").read_text())
ED1, ED2, AGE1, RSA = KEYS["ed1"], KEYS["ed2"], KEYS["age1"], KEYS["rsa"]

BASIC = f"""\
let
  alice = "{ED1}";
  vps = "{AGE1}";
  users = [ alice ];
in
{{
  "heisenbridge-config.age".publicKeys = users ++ [ vps ];
  "b.age" = {{ publicKeys = [ alice "{RSA}" ]; armor = true; }};
  "sub/c.age".publicKeys = [ vps ];
}}
"""


def write(folder: Path, text: str, name: str = "secrets.nix") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def basic(tmp_path: Path, nix_instantiate: str) -> Rules:
    return load_rules(write(tmp_path / "secrets", BASIC))


def test_model(basic: Rules, tmp_path: Path) -> None:
    assert list(basic.secrets) == ["b.age", "heisenbridge-config.age", "sub/c.age"]
    assert basic.path == tmp_path / "secrets" / "secrets.nix"
    assert basic.dir == tmp_path / "secrets"
    heis = basic.secrets["heisenbridge-config.age"]
    assert heis.public_keys == [ED1, AGE1]
    assert heis.file == tmp_path / "secrets" / "heisenbridge-config.age"
    assert not heis.armor
    assert basic.secrets["b.age"].armor
    assert [r.kind for r in basic.secrets["b.age"].recipients] == ["ssh-ed25519", "ssh-rsa"]


def test_get_by_name_and_path(
    basic: Rules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert basic.get("b.age").name == "b.age"
    assert basic.get("secrets/b.age").name == "b.age"
    assert basic.get("./secrets/sub/c.age").name == "sub/c.age"
    assert basic.get(tmp_path / "secrets" / "b.age").name == "b.age"
    monkeypatch.chdir(tmp_path / "secrets")
    assert basic.get("./b.age").name == "b.age"
    assert basic.get("sub/c.age").name == "sub/c.age"
    with pytest.raises(RulesError) as info:
        basic.get("heisenbrige-config.age")
    assert info.value.hint is not None and "heisenbridge-config.age" in info.value.hint


def test_names_and_keys(basic: Rules) -> None:
    assert basic.name_of(ED1) == "alice"
    assert basic.name_of(ED1.rsplit(" ", 1)[0]) == "alice"  # comment ignored
    assert basic.name_of(AGE1) == "vps"
    assert basic.name_of(RSA).startswith("SHA256:")
    basic.add_names({RSA: "oldhost"})
    assert basic.name_of(RSA) == "oldhost"
    assert [s.name for s in basic.secrets_for_key(ED1)] == ["b.age", "heisenbridge-config.age"]
    assert [s.name for s in basic.secrets_for_key(AGE1)] == [
        "heisenbridge-config.age",
        "sub/c.age",
    ]
    assert basic.secrets_for_key(KEYS["ed3"]) == []


def test_extra_names_argument(tmp_path: Path, nix_instantiate: str) -> None:
    rules = load_rules(write(tmp_path, BASIC), extra_names={RSA: "oldhost", ED1: "ignored"})
    assert rules.name_of(RSA) == "oldhost"
    assert rules.name_of(ED1) == "alice"


def test_locate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "a", "{ }")
    other = write(tmp_path / "b", "{ }", "rules.nix")
    monkeypatch.chdir(tmp_path / "a")
    monkeypatch.delenv("RULES", raising=False)
    assert locate_rules(None) == path
    monkeypatch.setenv("RULES", str(other))
    assert locate_rules(None) == other
    assert locate_rules(path) == path
    assert locate_rules(tmp_path / "a") == path
    monkeypatch.delenv("RULES")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RulesError) as info:
        locate_rules(None)
    assert info.value.hint and "RULES=PATH" in info.value.hint and "--" not in info.value.hint
    assert "--rules PATH" in (hint_for(info.value) or "")


BROKEN = {
    "syntax": ('{ "a.age".publicKeys = [ "x" ; }', NixSyntaxError, "secrets.nix:1:"),
    "missing-publickeys": ('{\n  "a.age".armor = true;\n}', RulesError, "entry 'a.age': has no"),
    "non-string": ('{\n  "a.age".publicKeys = [ 42 ];\n}', RulesError, "must be a string"),
    "empty": ('{\n  "a.age".publicKeys = [ ];\n}', RulesError, "publicKeys is empty"),
    "missing-import": ("import ./nope.nix", NixError, "nope.nix"),
    "recursion": ("let x = x; in { a.publicKeys = x; }", NixError, "recursion"),
    "not-attrset": ("[ 1 ]", RulesError, "must be an attribute set of entries"),
    "entry-not-attrset": ('{\n  "a.age" = [ ];\n}', RulesError, "entry 'a.age': must be"),
    "armor-type": (
        f'{{\n  "a.age" = {{ publicKeys = [ "{ED1}" ]; armor = "yes"; }};\n}}',
        RulesError,
        "armor must be",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken(case: str, tmp_path: Path, nix_instantiate: str) -> None:
    text, error_type, expected = BROKEN[case]
    path = write(tmp_path, text)
    with pytest.raises(AgepyError) as info:
        load_rules(path)
    error = info.value
    assert isinstance(error, error_type), (type(error), error)
    assert expected in str(error), str(error)
    assert "\n" not in str(error)
    assert error.hint
    if isinstance(error, RulesError) and "entry" in str(error):
        # The entry's own line: "a.age" starts on line 2, column 3.
        assert f"{path}:2:3:" in str(error), str(error)
    else:
        assert str(path.parent) in str(error) or "nope.nix" in str(error)


def test_relative_rules_path_is_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nix_instantiate: str
) -> None:
    write(tmp_path, BASIC)
    monkeypatch.chdir(tmp_path)
    rules = load_rules(Path("secrets.nix"))
    assert rules.path.is_absolute() and os.fspath(rules.path) == os.fspath(tmp_path / "secrets.nix")


def test_error_location_past_a_leading_comment(tmp_path: Path) -> None:
    """Most real secrets.nix files start with a comment; errors still say where."""
    rules = tmp_path / "secrets.nix"
    rules.write_text('# my secrets\n{\n  "a.age".publicKeys = [ ];\n}\n')
    with pytest.raises(RulesError) as caught:
        load_rules(rules, evaluator="builtin")
    assert f"{rules}:3:3:" in caught.value.message
