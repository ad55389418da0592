"""The public edit operations of agepy.rules: what they write, and what they refuse."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from agepy.errors import AgepyError, EditError, RecipientError
from agepy.rules import (
    add_key_binding,
    add_recipient,
    add_secret,
    load_rules,
    remove_recipient,
    replace_key,
)

CASES = Path(__file__).parent / "edit_cases"
KEYS: dict[str, str] = json.loads((CASES / "keys.json").read_text())
Copy = Callable[[str], Path]
ED1, ED2, ED3, ED4, RSA, AGE1 = (KEYS[k] for k in ("ed1", "ed2", "ed3", "ed4", "rsa", "age1"))


@pytest.fixture
def case(tmp_path: Path, nix_instantiate: str) -> Copy:
    def copy(name: str) -> Path:
        shutil.copytree(CASES / name, tmp_path / name)
        return tmp_path / name / "secrets.nix"

    return copy


def keys_of(path: Path, name: str) -> list[str]:
    return load_rules(path, evaluator="nix").secrets[name].public_keys


def test_add_binding_keeps_mode_and_layout(case: Copy, tmp_path: Path) -> None:
    path = case("nested-multiline")
    path.chmod(0o640)
    before = path.read_text()
    text = add_key_binding(path, "matrix", ED4)
    assert path.read_text() == text
    assert path.stat().st_mode & 0o777 == 0o640
    added = [line for line in text.splitlines() if line not in before.splitlines()]
    assert added == [f'  matrix = "{ED4}";']
    # It lands after the last binding, keeping that binding's trailing comment.
    assert f'  server = "{AGE1}"; # reinstalled 2024\n  matrix = ' in text
    assert sorted(p.name for p in path.parent.iterdir()) == ["secrets.nix"]  # no temp left


def test_add_binding_refusals(case: Copy) -> None:
    path = case("nested-multiline")
    before = path.read_bytes()
    with pytest.raises(EditError, match="already bound"):
        add_key_binding(path, "alice", ED4)
    with pytest.raises(EditError, match="already bound as 'bob'") as info:
        add_key_binding(path, "bob2", ED2.rsplit(" ", 1)[0])
    assert info.value.hint
    with pytest.raises(EditError, match="not a valid Nix binding name"):
        add_key_binding(path, "in", ED4)
    with pytest.raises(RecipientError, match="ECDSA"):
        add_key_binding(path, "vm", KEYS["ecdsa"])
    assert path.read_bytes() == before


def test_add_binding_creates_let(case: Copy) -> None:
    path = case("no-let")
    text = add_key_binding(path, "matrix", ED4)
    assert text.startswith(f'let\n  matrix = "{ED4}";\nin\n{{\n')
    assert load_rules(path).secrets.keys() == {"a.age", "b"}


def test_add_recipient_prefers_the_bound_name(case: Copy) -> None:
    path = case("nested-multiline")
    text = add_recipient(path, "wifi.age", ED2)
    assert "      server\n      bob\n    ];" in text
    assert keys_of(path, "wifi.age") == [ED1, AGE1, ED2]
    with pytest.raises(EditError, match="already"):
        add_recipient(path, "wifi.age", "bob")
    with pytest.raises(EditError, match="already"):
        add_recipient(path, "wifi.age", ED2.rsplit(" ", 1)[0])


def test_add_recipient_by_path_and_new_binding(case: Copy, monkeypatch: pytest.MonkeyPatch) -> None:
    path = case("seed")
    monkeypatch.chdir(path.parent.parent)
    add_key_binding(path, "matrix", ED4)
    add_recipient(path, "seed/heisenbridge-config.age", "matrix")
    assert '"heisenbridge-config.age".publicKeys = [ vps_ssh matrix ];' in path.read_text()
    assert keys_of(path, "heisenbridge-config.age") == [RSA, ED4]


def test_add_recipient_undefined_name_writes_nothing(case: Copy) -> None:
    path = case("seed")
    before = path.read_bytes()
    with pytest.raises(EditError, match="would not evaluate") as info:
        add_recipient(path, "heisenbridge-config.age", "nobody")
    assert info.value.hint
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["secrets.nix"]


def test_add_to_variable_list(case: Copy) -> None:
    path = case("users-systems")
    text = add_recipient(path, "root.age", ED4)
    assert f'"root.age".publicKeys = users ++ [ "{ED4}" ];' in text
    assert keys_of(path, "root.age") == [ED1, ED2, ED4]


def test_remove_recipient(case: Copy) -> None:
    path = case("nested-multiline")
    text = remove_recipient(path, "backup.age", "bob")
    assert "bob does the backups" not in text
    assert keys_of(path, "backup.age") == [ED1, AGE1]
    with pytest.raises(EditError, match="no keys"):
        remove_recipient(path, "wifi.age", "alice") and remove_recipient(path, "wifi.age", AGE1)
    assert keys_of(path, "wifi.age") == [AGE1]


def test_remove_through_unresolved_names(case: Copy) -> None:
    path = case("users-systems")
    remove_recipient(path, "api-token.age", ED1)  # listed as keys.alice
    assert "[ keys.alice ] ++" not in path.read_text()
    assert keys_of(path, "api-token.age") == [RSA]
    with pytest.raises(EditError, match="users") as info:
        remove_recipient(path, "root.age", ED1)
    assert info.value.hint and "by hand" in info.value.hint
    json_case = case("json-keys")
    remove_recipient(json_case, "token.age", RSA)  # inherit (keys) host
    assert keys_of(json_case, "token.age") == [ED1]


def test_add_secret_styles(case: Copy) -> None:
    path = case("nested-multiline")
    text = add_secret(path, "new.age", ["alice", AGE1])
    assert text.endswith(
        '  };\n  "new.age" = {\n    publicKeys = [\n      alice\n      server\n    ];\n  };\n}\n'
    )
    path = case("seed")
    text = add_secret(path, 'odd "name" ${x} \\.age', ["vps_ssh"])
    assert '  "odd \\"name\\" \\${x} \\\\.age".publicKeys = [ vps_ssh ];\n}' in text
    assert 'odd "name" ${x} \\.age' in load_rules(path).secrets
    path = case("empty")
    text = add_secret(path, "first.age", ["alice"])
    assert text.endswith('in\n{\n  "first.age".publicKeys = [ alice ];\n}\n')
    with pytest.raises(EditError, match="already exists"):
        add_secret(path, "first.age", ["alice"])


def test_computed_files_refuse_with_hint(case: Copy) -> None:
    path = case("mapattrs-values")
    before = path.read_bytes()
    for call in (
        lambda: add_recipient(path, "a.age", ED4),
        lambda: remove_recipient(path, "b.age", AGE1),
        lambda: add_secret(path, "c.age", [ED4]),
    ):
        with pytest.raises(EditError) as info:
            call()
        assert info.value.hint and "by hand" in info.value.hint
        assert "secrets.nix:" in str(info.value)
    assert path.read_bytes() == before
    path = case("interpolated")
    with pytest.raises(EditError, match="not written literally") as info:
        add_recipient(path, "web/db.age", ED4)
    assert ":6:3:" in str(info.value)


def test_replace_key_in_imported_files(case: Copy) -> None:
    path = case("users-systems")
    keys_nix = path.parent / "keys.nix"
    # The old comment (root@old) is kept when the new key has none.
    bare = " ".join(ED4.split()[:2])
    changed = replace_key(path, RSA, bare)
    assert changed == [keys_nix.resolve()]
    assert f'web = "{bare} root@old";' in keys_nix.read_text()
    assert keys_of(path, "web-cert.age")[-1] == f"{bare} root@old"
    # A new key with its own comment replaces the old one whole.
    assert replace_key(path, bare, ED3) == [keys_nix.resolve()]
    assert keys_of(path, "web-cert.age")[-1] == ED3
    with pytest.raises(EditError, match="same"):
        replace_key(path, ED3, ED3)
    json_case = case("json-keys")
    assert replace_key(json_case, RSA, ED3) == [(json_case.parent / "keys.json").resolve()]
    assert json.loads((json_case.parent / "keys.json").read_text())["host"] == ED3
    with pytest.raises(EditError, match="not written literally"):
        replace_key(json_case, KEYS["ed2"], ED4)


def test_replace_key_toml(tmp_path: Path, nix_instantiate: str) -> None:
    (tmp_path / "keys.toml").write_text(f"# hosts\n[hosts]\nweb = '{RSA}'\nother = \"{ED1}\"\n")
    path = tmp_path / "secrets.nix"
    path.write_text(
        "let k = builtins.fromTOML (builtins.readFile ./keys.toml); in\n"
        '{ "a.age".publicKeys = [ k.hosts.web k.hosts.other ]; }\n'
    )
    assert replace_key(path, RSA, ED4) == [(tmp_path / "keys.toml").resolve()]
    assert (
        tmp_path / "keys.toml"
    ).read_text() == f"# hosts\n[hosts]\nweb = '{ED4}'\nother = \"{ED1}\"\n"
    assert keys_of(path, "a.age") == [ED4, ED1]


def test_dry_run_writes_nothing(case: Copy) -> None:
    path = case("seed")
    before = path.read_bytes()
    text = add_secret(path, "x.age", ["vps_ssh"], dry_run=True)
    assert '"x.age"' in text and path.read_bytes() == before
    assert replace_key(path, RSA, ED4, dry_run=True) == [path.resolve()]
    assert path.read_bytes() == before


def test_unknown_secret(case: Copy) -> None:
    path = case("seed")
    with pytest.raises(AgepyError) as info:
        add_recipient(path, "heisenbridge.age", ED4)
    assert info.value.hint and "heisenbridge-config.age" in info.value.hint


def test_replace_key_with_a_key_already_present(case: Copy) -> None:
    # backup.age has alice and bob: bob → alice would list alice twice there. Refused.
    path = case("nested-multiline")
    before = path.read_bytes()
    with pytest.raises(EditError, match=r"'backup\.age' already has the new key alice") as info:
        replace_key(path, ED2, ED1)
    assert info.value.hint and "first" in info.value.hint
    assert path.read_bytes() == before
    # In no-let, a.age and b never share a key: the two keys merge, as asked.
    path = case("no-let")
    replace_key(path, ED2, ED1)
    assert keys_of(path, "b") == [ED1]
    assert keys_of(path, "a.age") == [ED1, AGE1]


def test_replace_key_refused_where_the_file_selects_keys_by_text(
    tmp_path: Path, nix_instantiate: str
) -> None:
    path = tmp_path / "secrets.nix"
    path.write_text(
        f'let keys = [ "{ED1}" "{AGE1}" ];\n'
        '  ssh = builtins.filter (k: builtins.substring 0 4 k == "ssh-") keys;\n'
        'in {\n  "a.age".publicKeys = [ "' + AGE1 + '" ] ++ ssh;\n'
        '  "b.age".publicKeys = ssh;\n}\n'
    )
    before = path.read_bytes()
    # The age key turned ssh key passes the filter too: a.age would get it twice.
    with pytest.raises(EditError, match="selects keys by their text") as info:
        replace_key(path, AGE1, ED4)
    assert info.value.hint and "by hand" in info.value.hint
    assert path.read_bytes() == before
    replace_key(path, AGE1, KEYS["age2"])  # the same kind keeps the filter's choice
    assert keys_of(path, "a.age") == [KEYS["age2"], ED1]


def test_remove_refuses_when_the_rest_evaluates_to_nothing(
    tmp_path: Path, nix_instantiate: str
) -> None:
    path = tmp_path / "secrets.nix"
    path.write_text(
        f'let keys = {{ alice = "{ED1}"; }}; extra = keys.extra or [ ];\n'
        'in { "a.age".publicKeys = [ keys.alice ] ++ extra; }\n'
    )
    before = path.read_bytes()
    with pytest.raises(EditError, match="no keys") as info:
        remove_recipient(path, "a.age", ED1)
    assert info.value.hint
    assert path.read_bytes() == before
