"""`agepy check` finds the secrets a removed key can still read in git; `rotate` fixes it."""

from __future__ import annotations

import json

from tests.history.conftest import GitSecrets


def _bob_leaves(repo: GitSecrets) -> str:
    """bob reads wifi.age and db.age, committed; then bob is removed and the store
    rekeyed, committed. Returns the first commit."""
    repo.write_rules({"wifi.age": ["alice", "bob"], "db.age": ["alice", "bob"]})
    repo.encrypt("wifi.age", b"wifi-old", ["alice", "bob"])
    repo.encrypt("db.age", b"db-old", ["alice", "bob"])
    first = repo.commit("secrets for alice and bob")
    repo.write_rules({"wifi.age": ["alice"], "db.age": ["alice"]})
    rekey = repo.agepy("rekey", "-i", str(repo.keys["alice"].private))
    assert rekey.returncode == 0, rekey.stderr
    repo.commit("bob leaves")
    return first


def test_check_names_both_secrets_and_bob(repo: GitSecrets) -> None:
    first = _bob_leaves(repo)
    run = repo.agepy("check")
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 2, run.stdout
    assert lines[0].startswith("rotate db.age: bob (ssh-ed25519 SHA256:")
    assert lines[1].startswith("rotate wifi.age: bob (ssh-ed25519 SHA256:")
    assert f"last a recipient in {first[:7]}, 2026-11-01) can read old versions" in lines[1]


def test_the_warning_is_true_and_rotation_ends_it(repo: GitSecrets) -> None:
    first = _bob_leaves(repo)
    assert repo.decrypts(repo.show(f"{first}:wifi.age"), "bob") == b"wifi-old"

    run = repo.agepy("rotate", "wifi.age", "-i", str(repo.keys["alice"].private), stdin=b"new")
    assert run.returncode == 0, run.stderr
    assert "must not be reused" in run.stderr
    assert repo.decrypts((repo.dir / "wifi.age").read_bytes(), "bob") is None
    assert repo.decrypts((repo.dir / "wifi.age").read_bytes(), "alice") == b"new"

    check = repo.agepy("check")
    assert check.returncode == 1
    assert [line.split(":")[0] for line in check.stdout.splitlines()] == ["rotate db.age"]
    repo.commit("rotate wifi")
    assert repo.agepy("check").stdout.splitlines()[0].startswith("rotate db.age: bob")
    toml = (repo.dir / "agepy.toml").read_text()
    assert 'secret = "wifi.age"' in toml and "SHA256:" in toml


def test_rotate_refuses_the_old_value(repo: GitSecrets) -> None:
    _bob_leaves(repo)
    run = repo.agepy("rotate", "db.age", "-i", str(repo.keys["alice"].private), stdin=b"db-old")
    assert run.returncode == 1
    assert "agepy: error: db.age: the new value is the old one" in run.stderr
    assert not (repo.dir / "agepy.toml").exists(), "nothing recorded"


def test_silenced_by_flag_and_by_config(repo: GitSecrets) -> None:
    _bob_leaves(repo)
    run = repo.agepy("check", "--no-rotation-check")
    assert run.returncode == 0, run.stdout
    (repo.dir / "agepy.toml").write_text("[history]\nrotation-check = false\n")
    run = repo.agepy("check")
    assert run.returncode == 0, run.stdout
    assert run.stdout == ""


def test_json_of_check_and_list(repo: GitSecrets) -> None:
    _bob_leaves(repo)
    run = repo.agepy("check", "--json")
    assert run.returncode == 1
    document = json.loads(run.stdout)
    assert document["ok"] is False
    assert [(f["kind"], f["file"]) for f in document["findings"]] == [
        ("rotate", "db.age"),
        ("rotate", "wifi.age"),
    ]
    assert document["history"]["checked"] is True
    assert {e["name"] for e in document["history"]["exposed"]} == {"bob"}
    listing = json.loads(repo.agepy("list", "--json").stdout)
    exposed = {row["name"]: row["exposedTo"] for row in listing["secrets"]}
    assert [e["name"] for e in exposed["wifi.age"]] == ["bob"]
    assert exposed["wifi.age"][0]["key"] == repo.keys["bob"].public.rsplit(" ", 1)[0]


def test_rotate_all_exposed(repo: GitSecrets) -> None:
    _bob_leaves(repo)
    editor = repo.root / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "new value of %s" "$(basename "$1")" > "$1"\n')
    editor.chmod(0o755)
    run = repo.agepy(
        "rotate", "--all-exposed", "--editor", str(editor), "-i", str(repo.keys["alice"].private)
    )
    assert run.returncode == 0, run.stderr
    assert "rotated db.age" in run.stderr and "rotated wifi.age" in run.stderr
    assert repo.agepy("check").returncode == 0


def test_since_limits_the_scan(repo: GitSecrets) -> None:
    _bob_leaves(repo)
    head = repo.git("rev-parse", "HEAD")
    run = repo.agepy("check", "--since", head)
    assert run.returncode == 0, run.stdout
    bad = repo.agepy("check", "--since", "no-such-rev")
    assert bad.returncode == 1
    assert "agepy: error: 'no-such-rev' is not a commit" in bad.stderr
