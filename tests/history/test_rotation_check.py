"""`agepy check` finds the secrets a removed key can still read in git; `rotate` fixes it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli.test_json_schemas import assert_valid
from tests.conftest import require_tool
from tests.support.repo import Repo


def _bob_leaves(repo: Repo) -> str:
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


def test_the_rekey_that_removes_bob_ends_with_what_to_rotate(repo: Repo) -> None:
    repo.write_rules({"wifi.age": ["alice", "bob"], "db.age": ["alice", "bob"]})
    repo.encrypt("wifi.age", b"wifi-old", ["alice", "bob"])
    repo.encrypt("db.age", b"db-old", ["alice", "bob"])
    repo.commit("secrets for alice and bob")
    repo.write_rules({"wifi.age": ["alice"], "db.age": ["alice"]})  # bob removed by hand
    rekey = repo.agepy("rekey", "-i", str(repo.keys["alice"].private))
    assert rekey.returncode == 0, rekey.stderr
    assert [line for line in rekey.stdout.splitlines() if line.startswith("rotate ")] == [
        "rotate db.age: bob",
        "rotate wifi.age: bob",
    ]
    assert "agepy rotate --all-exposed" in rekey.stderr
    again = repo.agepy("rekey", "-i", str(repo.keys["alice"].private))
    assert "rotate" not in again.stdout, "nothing rekeyed: nothing to say"


def test_check_names_both_secrets_and_bob(repo: Repo) -> None:
    first = _bob_leaves(repo)
    run = repo.agepy("check")
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 2, run.stdout
    assert lines[0].startswith("rotate db.age: bob (ssh-ed25519 SHA256:")
    assert lines[1].startswith("rotate wifi.age: bob (ssh-ed25519 SHA256:")
    assert f"last a recipient in {first[:7]}, 2026-11-01) can read old versions" in lines[1]


def test_the_warning_is_true_and_rotation_ends_it(repo: Repo) -> None:
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


def test_rotate_refuses_the_old_value(repo: Repo) -> None:
    _bob_leaves(repo)
    run = repo.agepy("rotate", "db.age", "-i", str(repo.keys["alice"].private), stdin=b"db-old")
    assert run.returncode == 1
    assert "agepy: error: db.age: the new value is the old one" in run.stderr
    assert not (repo.dir / "agepy.toml").exists(), "nothing recorded"


def test_silenced_by_flag_and_by_config(repo: Repo) -> None:
    _bob_leaves(repo)
    run = repo.agepy("check", "--no-rotation-check")
    assert run.returncode == 0, run.stdout
    (repo.dir / "agepy.toml").write_text("[history]\nrotation-check = false\n")
    run = repo.agepy("check")
    assert run.returncode == 0, run.stdout
    assert run.stdout == ""


def test_json_of_check_and_list(repo: Repo) -> None:
    _bob_leaves(repo)
    run = repo.agepy("check", "--json")
    assert run.returncode == 1
    document = json.loads(run.stdout)
    assert_valid("check", document)
    assert document["ok"] is False
    assert [(f["kind"], f["file"]) for f in document["findings"]] == [
        ("rotate", "db.age"),
        ("rotate", "wifi.age"),
    ]
    assert document["history"]["checked"] is True
    assert {e["name"] for e in document["history"]["exposed"]} == {"bob"}
    listing = json.loads(repo.agepy("list", "--json").stdout)
    assert_valid("list", listing)
    exposed = {row["name"]: row["exposedTo"] for row in listing["secrets"]}
    assert [e["name"] for e in exposed["wifi.age"]] == ["bob"]
    assert exposed["wifi.age"][0]["key"] == repo.keys["bob"].public_text.rsplit(" ", 1)[0]


def test_rotate_all_exposed(repo: Repo) -> None:
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


def test_since_limits_the_scan(repo: Repo) -> None:
    _bob_leaves(repo)
    head = repo.git("rev-parse", "HEAD")
    run = repo.agepy("check", "--since", head)
    assert run.returncode == 0, run.stdout
    bad = repo.agepy("check", "--since", "no-such-rev")
    assert bad.returncode == 1
    assert "agepy: error: 'no-such-rev' is not a commit" in bad.stderr


def test_rescan_ends_with_the_secrets_to_rotate(repo: Repo, tmp_path: Path) -> None:
    ssh_keygen = require_tool("ssh-keygen")
    for name in ("old_host", "new_host"):
        subprocess.run(
            [ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)], check=True
        )
    repo.write_rules({"wifi.age": ["alice"], "db.age": ["alice"]})
    repo.encrypt("wifi.age", b"wifi", ["alice"])
    repo.encrypt("db.age", b"db", ["alice"])
    alice = str(repo.keys["alice"].private)
    added = repo.agepy(
        "add-host", "web", "127.0.0.1", "--key-file", str(tmp_path / "old_host.pub"),
        "--to", "wifi.age", "--yes", "-i", alice,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "rotate" not in added.stdout
    repo.commit("web reads wifi")
    rescan = repo.agepy(
        "rescan", "web", "--key-file", str(tmp_path / "new_host.pub"), "--yes", "-i", alice
    )
    assert rescan.returncode == 0, rescan.stderr
    assert rescan.stdout.splitlines()[-1] == "rotate wifi.age: web (old key)"
    assert "agepy rotate --all-exposed" in rescan.stderr


def test_a_generated_secret_rotates_without_an_editor(repo: Repo) -> None:
    alice = str(repo.keys["alice"].private)
    repo.write_rules({"wifi.age": ["alice", "bob"], "db.age": ["alice", "bob"]})
    made = repo.agepy("generate", "wifi.age", "--kind", "token")
    assert made.returncode == 0, made.stderr
    repo.encrypt("db.age", b"db-old", ["alice", "bob"])
    first = repo.commit("secrets for alice and bob")
    old = repo.decrypts(repo.show(f"{first}:wifi.age"), "bob")
    assert old, "bob reads the generated value"
    repo.write_rules({"wifi.age": ["alice"], "db.age": ["alice"]})
    assert repo.agepy("rekey", "-i", alice).returncode == 0
    repo.commit("bob leaves")

    repo.env["EDITOR"] = "false"  # an editor that fails: it must not be run
    run = repo.agepy("rotate", "wifi.age", "-i", alice)
    assert run.returncode == 0, run.stderr
    assert "a new value from its generator" in run.stderr
    new = repo.decrypts((repo.dir / "wifi.age").read_bytes(), "alice")
    assert new and new != old
    assert repo.decrypts((repo.dir / "wifi.age").read_bytes(), "bob") is None
    assert [line.split(":")[0] for line in repo.agepy("check").stdout.splitlines()] == [
        "rotate db.age"
    ]


def test_rotate_bad_input(repo: Repo) -> None:
    _bob_leaves(repo)
    alice = str(repo.keys["alice"].private)
    neither = repo.agepy("rotate")
    assert neither.returncode == 2
    assert neither.stderr.startswith("agepy: error: give NAMEs or --all-exposed")
    both = repo.agepy("rotate", "--all-exposed", "db.age")
    assert both.returncode == 2
    piped = repo.agepy("rotate", "db.age", "wifi.age", "-i", alice, stdin=b"one value")
    assert piped.returncode == 1
    assert "agepy: error: stdin holds one value, and 2 secrets need one" in piped.stderr
    assert "agepy: hint: " in piped.stderr
    unknown = repo.agepy("rotate", "nope.age")
    assert unknown.returncode == 1 and "no entry 'nope.age' in the rules" in unknown.stderr
    empty = repo.agepy("rotate", "db.age", "-i", alice, stdin=b"")
    assert empty.returncode == 1 and "empty value" in empty.stderr
    assert "Traceback" not in piped.stderr + unknown.stderr + empty.stderr
    assert repo.git("status", "--porcelain") == "", "nothing changed on disk"
