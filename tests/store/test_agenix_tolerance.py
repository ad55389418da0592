"""secrets.nix files agenix accepts: repeated keys (`admins ++ [ alice ]`), unknown
attributes, empty key strings and a placeholder key. Through the real CLI: `list --json`
equals nix-instantiate's publicKeys (empty strings and repeats dropped, as documented in
docs/json.md), `check` warns, and only the entry with a placeholder fails, only when it
is encrypted."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import require_tool
from tests.store.conftest import run_agepy
from tests.support.keys import Key

ENTRIES = {
    "overlap.age": "admins ++ [ alice host ]",
    "twice.age": "[ alice alice ]",
    "empty.age": '[ "" alice ]',
    "placeholder.age": '[ alice "age1...REPLACE_ME" ]',
    "plain.age": "[ alice host ]",
    "-dash.age": "[ alice ]",
    "nested/deep/x.age": "[ bob ]",
}
WARNINGS = {
    "overlap.age": ["duplicate-key"],
    "twice.age": ["duplicate-key"],
    "described.age": ["unknown-attribute", "unknown-attribute"],
    "empty.age": ["empty-key"],
    "placeholder.age": ["invalid-key"],
}


SCHEMAS = Path(__file__).parents[2] / "docs" / "schema"


def assert_valid(command: str, document: Any) -> None:
    schema = json.loads((SCHEMAS / f"{command}.json").read_text())
    errors = list(Draft202012Validator(schema).iter_errors(document))
    assert not errors, [e.message for e in errors]


def write_rules(folder: Path, keys: dict[str, Key], placeholder: bool = True) -> Path:
    lines = ["let"]
    lines += [f'  {name} = "{keys[name].public_text}";' for name in ("alice", "bob", "host")]
    lines += ["  admins = [ alice bob ];", "in", "{"]
    for name, value in ENTRIES.items():
        if placeholder or name != "placeholder.age":
            lines.append(f'  "{name}".publicKeys = {value};')
    lines.append('  "described.age" = { publicKeys = [ bob ]; description = "x"; owner = 1; };')
    lines.append("}")
    folder.mkdir(parents=True, exist_ok=True)
    rules = folder / "secrets.nix"
    rules.write_text("\n".join(lines) + "\n")
    return rules


def agepy_json(args: list[str], cwd: Path) -> tuple[int, Any, str]:
    result = run_agepy(args, cwd=cwd)
    stdout = result.stdout.decode()
    return result.returncode, json.loads(stdout) if stdout else None, result.stderr.decode()


def nix_public_keys(rules: Path) -> dict[str, list[str]]:
    result = subprocess.run(
        [require_tool("nix-instantiate"), "--eval", "--strict", "--json", str(rules)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return {name: entry["publicKeys"] for name, entry in json.loads(result.stdout).items()}


def as_documented(keys: list[str]) -> list[str]:
    """nix's list without empty strings and later repeats (same key, comment ignored)."""
    kept: dict[str, str] = {}
    for key in keys:
        if key:
            kept.setdefault(" ".join(key.split()[:2]), key)
    return list(kept.values())


@pytest.mark.parametrize("evaluator", ["builtin", "nix", "auto"])
def test_list_json_equals_nix_instantiate(
    evaluator: str, tmp_path: Path, keys: dict[str, Key]
) -> None:
    rules = write_rules(tmp_path / "secrets", keys)
    code, listed, stderr = agepy_json(["list", "--json", "--evaluator", evaluator], rules.parent)
    assert code == 0, stderr
    assert_valid("list", listed)
    expected = {name: as_documented(k) for name, k in nix_public_keys(rules).items()}
    got = {s["name"]: s["publicKeys"] for s in listed["secrets"]}
    assert got == expected
    kinds = {s["name"]: [w["kind"] for w in s.get("warnings", [])] for s in listed["secrets"]}
    assert {name: k for name, k in kinds.items() if k} == WARNINGS
    placeholder_line = next(
        i for i, line in enumerate(rules.read_text().splitlines(), 1) if "REPLACE_ME" in line
    )
    placeholder = next(s for s in listed["secrets"] if s["name"] == "placeholder.age")
    assert placeholder["warnings"][0]["line"] == placeholder_line
    assert placeholder["publicKeys"][1] == "age1...REPLACE_ME"


def make_files(rules: Path, names: list[str]) -> None:
    """Each entry's file, created through `agepy edit` with piped contents (no key needed)."""
    for name in names:
        result = run_agepy(["edit", "--", name], cwd=rules.parent, input=f"{name} v1\n".encode())
        assert result.returncode == 0, result.stderr


def test_check_warns_and_reports_only_the_placeholder(tmp_path: Path, keys: dict[str, Key]) -> None:
    rules = write_rules(tmp_path / "secrets", keys)
    names = [n for n in [*ENTRIES, "described.age"] if n != "placeholder.age"]
    make_files(rules, names)
    code, report, stderr = agepy_json(["check", "--json"], rules.parent)
    assert code == 1, stderr
    assert_valid("check", report)
    assert [(f["kind"], f["file"]) for f in report["findings"]] == [
        ("invalid-key", "placeholder.age"),
        ("missing", "placeholder.age"),
    ]
    assert "secrets.nix:" in report["findings"][0]["message"]
    assert sorted({w["name"] for w in report["warnings"]}) == [
        "described.age",
        "empty.age",
        "overlap.age",
        "twice.age",
    ]
    # Without the placeholder: warnings only, and check passes.
    write_rules(rules.parent, keys, placeholder=False)
    text = run_agepy(["check"], cwd=rules.parent)
    assert text.returncode == 0, text.stderr
    assert text.stderr.decode().count("warning: ") == 5
    assert b"repeats" in text.stderr and b"description" in text.stderr


def stanza_types(header: str) -> list[str]:
    """The recipient stanzas' types (age's grease stanzas left out)."""
    types = re.findall(r"^-> (\S+)", header, re.MULTILINE)
    return sorted(t for t in types if "grease" not in t)


def test_one_stanza_per_key_and_real_age_decrypts(
    tmp_path: Path, keys: dict[str, Key], age_bin: str
) -> None:
    rules = write_rules(tmp_path / "secrets", keys)
    make_files(rules, ["overlap.age", "twice.age"])
    header = (rules.parent / "overlap.age").read_bytes().split(b"\n---")[0].decode()
    assert stanza_types(header) == ["X25519", "ssh-ed25519", "ssh-ed25519"]  # alice, bob, host
    twice = (rules.parent / "twice.age").read_bytes().split(b"\n---")[0].decode()
    assert stanza_types(twice) == ["ssh-ed25519"]
    for name in ("overlap.age", "twice.age"):
        plain = subprocess.run(
            [age_bin, "-d", "-i", str(keys["alice"].private), name],
            cwd=rules.parent,
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout
        assert plain == f"{name} v1\n".encode()
    _, listed, _ = agepy_json(["list", "--json"], rules.parent)
    status = {s["name"]: s["status"] for s in listed["secrets"]}
    assert status["overlap.age"] == status["twice.age"] == "ok"


def test_placeholder_fails_only_its_own_entry(tmp_path: Path, keys: dict[str, Key]) -> None:
    rules = write_rules(tmp_path / "secrets", keys)
    names = [n for n in [*ENTRIES, "described.age"] if n != "placeholder.age"]
    make_files(rules, names)
    line = next(i for i, t in enumerate(rules.read_text().splitlines(), 1) if "REPLACE_ME" in t)
    alice = str(keys["alice"].private)
    before = {n: (rules.parent / n).read_bytes() for n in names}
    bob = str(keys["bob"].private)
    rekey = run_agepy(["rekey", "--force", "-i", alice, "-i", bob], cwd=rules.parent)
    assert rekey.returncode == 1
    errors = [ln for ln in rekey.stderr.decode().splitlines() if ln.startswith("agepy: error:")]
    assert len(errors) == 1 and "placeholder.age" in errors[0]
    assert f"secrets.nix:{line}:" in errors[0]
    assert all((rules.parent / n).read_bytes() != before[n] for n in names), "not all rekeyed"
    # edit of an unrelated entry works; of the placeholder's entry fails, writing nothing
    edit = run_agepy(["edit", "plain.age", "-i", alice], cwd=rules.parent, input=b"v2\n")
    assert edit.returncode == 0, edit.stderr
    broken = run_agepy(["edit", "placeholder.age"], cwd=rules.parent, input=b"x\n")
    assert broken.returncode == 1
    assert broken.stderr.decode().startswith("agepy: error: ")
    assert f"secrets.nix:{line}:" in broken.stderr.decode()
    assert not (rules.parent / "placeholder.age").exists()
    decrypted = run_agepy(["decrypt", "plain.age", "-i", alice], cwd=rules.parent)
    assert decrypted.stdout == b"v2\n"


def test_editor_dash_replaces_without_any_identity(tmp_path: Path, keys: dict[str, Key]) -> None:
    rules = write_rules(tmp_path / "secrets", keys, placeholder=False)
    make_files(rules, ["plain.age"])
    # HOME is the secrets folder: no ~/.ssh key, and no -i
    result = run_agepy(["edit", "--editor", "-", "plain.age"], cwd=rules.parent, input=b"new\n")
    assert result.returncode == 0, result.stderr
    alice = str(keys["alice"].private)
    assert run_agepy(["decrypt", "plain.age", "-i", alice], cwd=rules.parent).stdout == b"new\n"
    # Piped without --editor (agenix's way): the same; unchanged content is not rewritten
    # when a key at hand can tell.
    same = (rules.parent / "plain.age").read_bytes()
    again = run_agepy(["edit", "plain.age", "-i", alice], cwd=rules.parent, input=b"new\n")
    assert again.returncode == 0 and b"unchanged" in again.stderr
    assert (rules.parent / "plain.age").read_bytes() == same
    empty = run_agepy(["edit", "--editor", "-", "plain.age"], cwd=rules.parent, input=b"")
    assert empty.returncode == 1 and (rules.parent / "plain.age").read_bytes() == same


def test_names_starting_with_a_hyphen(tmp_path: Path, keys: dict[str, Key]) -> None:
    rules = write_rules(tmp_path / "secrets", keys, placeholder=False)
    folder, alice = rules.parent, str(keys["alice"].private)
    assert run_agepy(["-e", "-dash.age"], cwd=folder, input=b"one\n").returncode == 0
    assert run_agepy(["-d", "-dash.age", "-i", alice], cwd=folder).stdout == b"one\n"
    assert run_agepy(["decrypt", "-i", alice, "--", "-dash.age"], cwd=folder).stdout == b"one\n"
    before = (folder / "-dash.age").read_bytes()
    rekey = run_agepy(["rekey", "--force", "-i", alice, "--", "-dash.age"], cwd=folder)
    assert rekey.returncode == 0, rekey.stderr
    assert (folder / "-dash.age").read_bytes() != before
    edit = run_agepy(["edit", "-i", alice, "--", "-dash.age"], cwd=folder, input=b"two\n")
    assert edit.returncode == 0, edit.stderr
    bare = run_agepy(["decrypt", "-dash.age"], cwd=folder)
    assert bare.returncode == 2
    assert b"agepy: hint: a name starting with '-' goes after '--'" in bare.stderr
    assert b"-- -dash.age" in bare.stderr


def test_flags_of_unmerged_agenix_prs_are_not_agenix(tmp_path: Path, keys: dict[str, Key]) -> None:
    rules = write_rules(tmp_path / "secrets", keys, placeholder=False)
    for args, hint in ((["-c"], b"agepy check"), (["-r", keys["bob"].public_text], b"--key")):
        result = run_agepy(args, cwd=rules.parent)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(b"agepy: error: ")
        assert hint in result.stderr


def test_rules_edits_work_in_a_file_agenix_tolerates(tmp_path: Path, keys: dict[str, Key]) -> None:
    """Adding an entry (a verified edit of secrets.nix) is not blocked by the repeats,
    extra attributes or placeholder elsewhere in the file, and keeps them as they are."""
    rules = write_rules(tmp_path / "secrets", keys)
    before = rules.read_text()
    result = run_agepy(["edit", "new.age", "--to", "alice"], cwd=rules.parent, input=b"n\n")
    assert result.returncode == 0, result.stderr
    after = rules.read_text()
    assert after.startswith(before.rsplit("}", 1)[0]) and '"new.age"' in after
    alice = str(keys["alice"].private)
    assert run_agepy(["decrypt", "new.age", "-i", alice], cwd=rules.parent).stdout == b"n\n"
