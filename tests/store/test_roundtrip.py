"""Files the store writes open with the real `age`; files `age` writes open in the store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from agepy.errors import NoIdentityMatchError, RulesError, StoreError
from agepy.store import Store
from tests.store.conftest import run_agepy
from tests.support.keys import Key
from tests.support.repo import MakeRepo


def age_decrypt(age_bin: str, key: Key, file: Path) -> bytes:
    return subprocess.run(
        [age_bin, "-d", "-i", str(key.private), str(file)], capture_output=True, check=True
    ).stdout


def test_store_writes_what_age_decrypts(
    make_repo: MakeRepo, keys: dict[str, Key], age_bin: str
) -> None:
    repo = make_repo(
        {"a.age": ["alice", "host"], "sub/b.age": ["bob"], "c.age": ["alice"]},
        armored=["c.age"],
    )
    for name, key in (("a.age", "alice"), ("a.age", "host"), ("sub/b.age", "bob")):
        assert age_decrypt(age_bin, keys[key], repo.dir / name) == repo.plaintexts[name]
    armored = (repo.dir / "c.age").read_bytes()
    assert armored.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    assert age_decrypt(age_bin, keys["alice"], repo.dir / "c.age") == repo.plaintexts["c.age"]
    assert (repo.dir / "a.age").stat().st_mode & 0o777 == 0o644


def test_store_decrypts_what_age_writes(
    make_repo: MakeRepo, keys: dict[str, Key], age_bin: str, tmp_path: Path
) -> None:
    repo = make_repo({"a.age": ["alice", "host"], "b.age": ["alice"]}, write=False)
    recipients = tmp_path / "recipients.txt"
    recipients.write_text(f"{keys['alice'].public_text}\n{keys['host'].public_text}\n")
    for name, armor in (("a.age", []), ("b.age", ["-a"])):
        subprocess.run(
            [age_bin, "-e", *armor, "-R", str(recipients), "-o", str(repo.dir / name)],
            input=b"from age\n",
            check=True,
        )
    for key in ("alice", "host"):
        store = Store(repo.rules, identities=[keys[key].private])
        assert store.decrypt("a.age") == b"from age\n"
    store = Store(repo.rules, identities=[keys["alice"].private])
    assert store.status("a.age") == "ok"
    assert store.status("b.age") == "stale"  # armored, and two keys for one in the rules


def test_decrypt_by_path_relative_to_cwd(
    make_repo: MakeRepo, keys: dict[str, Key], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo({"sub/b.age": ["bob"]})
    monkeypatch.chdir(repo.dir / "sub")
    store = Store(repo.rules, identities=[keys["bob"].private])
    assert store.decrypt("b.age") == repo.plaintexts["sub/b.age"]


def test_wrong_identity_names_keys_and_identities(
    make_repo: MakeRepo, keys: dict[str, Key]
) -> None:
    repo = make_repo({"a.age": ["alice", "bob", "host"]})
    store = Store(repo.rules, identities=[keys["carol"].private])
    with pytest.raises(NoIdentityMatchError) as info:
        store.decrypt("a.age")
    message = info.value.message
    assert "alice" in message and "bob" in message  # names from secrets.nix
    assert "1 X25519 recipient" in message
    assert str(keys["carol"].private) in message  # the identity tried
    assert info.value.hint


def test_wrong_identity_on_the_command_line(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo({"a.age": ["alice", "host"]})
    result = run_agepy(
        ["rekey", "--force", "-i", str(keys["carol"].private)], cwd=repo.dir, stdin=-3
    )
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert "agepy: error: a.age: no identity opens a.age" in stderr
    assert "alice" in stderr and str(keys["carol"].private) in stderr
    assert "Traceback" not in stderr


def test_missing_entry_and_missing_file(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    repo = make_repo({"a.age": ["alice"]}, write=False)
    store = Store(repo.rules, identities=[keys["alice"].private])
    with pytest.raises(RulesError, match=r"no entry 'nope\.age'"):
        store.decrypt("nope.age")
    with pytest.raises(StoreError, match="does not exist"):
        store.decrypt("a.age")
    assert store.status("a.age") == "missing"


def test_corpus_rules_list_and_check(tmp_path: Path) -> None:
    corpus = sorted(Path(__file__).parent.parent.glob("corpus/*/secrets.nix"))
    assert len(corpus) >= 10, "tests/corpus/*/secrets.nix is missing"
    for rules in corpus:
        store = Store(rules)
        rows = store.list()
        assert [r.name for r in rows] == sorted(store.rules.secrets)
        findings = store.check()
        for row in rows:
            if not row.exists:
                assert any(f.kind == "missing" and f.file == row.name for f in findings)


def test_list_json_matches_schema(make_repo: MakeRepo, keys: dict[str, Key]) -> None:
    import jsonschema

    repo = make_repo({"a.age": ["alice", "host"], "b.age": ["bob"], "c.age": ["carol"]})
    (repo.dir / "c.age").unlink()
    rules = repo.rules.read_text().replace("[ bob ]", "[ bob carol ]")
    repo.rules.write_text(rules)
    result = run_agepy(["list", "--json"], cwd=repo.dir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    schema = json.loads((Path(__file__).parents[2] / "docs/schema/list.json").read_text())
    jsonschema.validate(data, schema)
    assert data["rules"] == "secrets.nix"
    by_name = {s["name"]: s for s in data["secrets"]}
    assert by_name["a.age"]["publicKeys"] == [keys["alice"].public_text, keys["host"].public_text]
    assert by_name["a.age"]["recipients"][0] == "alice"
    assert by_name["a.age"]["status"] == "ok"
    assert by_name["b.age"]["status"] == "stale"
    assert by_name["c.age"] | {"publicKeys": None} == {
        "name": "c.age",
        "file": "c.age",
        "publicKeys": None,
        "recipients": ["carol"],
        "armor": False,
        "exists": False,
        "status": "missing",
    }


def test_secret_file_for_decrypt_by_name(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo({"sub/b.age": ["bob"]})
    assert Store(repo.rules).secret("sub/b.age").file == repo.dir / "sub/b.age"
    monkeypatch.delenv("RULES", raising=False)
    # Not tmp_path itself: from there, secrets/secrets.nix is found (a flake's layout).
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    with pytest.raises(RulesError):
        Store()
    monkeypatch.setenv("RULES", str(repo.rules))
    assert Store().secret("sub/b.age").file == repo.dir / "sub/b.age"
    with pytest.raises(RulesError):
        Store().secret("x.age")
