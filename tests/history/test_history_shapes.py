"""History in its less simple shapes: X25519 keys, a moved secrets.nix, merges, no git,
shallow clones, and the cache."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from agepy.store import Store
from agepy.store.history import scan_history
from tests.history.conftest import GitSecrets


def test_x25519_reader_found_through_past_secrets_nix(repo: GitSecrets) -> None:
    repo.write_rules({"tok.age": ["alice", "carol"]})
    repo.encrypt("tok.age", b"token", ["alice", "carol"])
    first = repo.commit("token for alice and carol")
    # carol's binding is gone from today's file: her name can only come from history.
    repo.write_rules({"tok.age": ["alice"]}, bound=["alice", "bob"])
    assert repo.agepy("rekey", "-i", str(repo.keys["alice"].private)).returncode == 0
    repo.commit("carol leaves")
    run = repo.agepy("check")
    assert run.returncode == 1
    carol = repo.keys["carol"].public
    assert run.stdout.splitlines() == [
        f"rotate tok.age: carol ({carol[:20]}…, last a recipient in {first[:7]}, 2026-11-01) "
        "can read old versions"
    ]
    assert repo.decrypts(repo.show(f"{first}:tok.age"), "carol") == b"token"


def test_secrets_nix_moved_in_history(repo: GitSecrets) -> None:
    repo.write_rules({"wifi.age": ["alice", "bob"]})
    repo.encrypt("wifi.age", b"wifi", ["alice", "bob"])
    repo.commit("flat layout")
    (repo.root / "secrets").mkdir()
    repo.git("mv", "secrets.nix", "wifi.age", "secrets/")
    repo.commit("move the secrets into a folder")
    repo.dir = repo.root / "secrets"
    repo.write_rules({"wifi.age": ["alice"]})
    assert repo.agepy("rekey", "-i", str(repo.keys["alice"].private)).returncode == 0
    repo.commit("bob leaves")
    run = repo.agepy("check")
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("rotate wifi.age: bob (ssh-ed25519 SHA256:")
    # The newest commit bob could read it in is the move, the day before he left.
    assert ", 2026-11-02) can read old versions" in run.stdout


def test_renamed_to_agenix_rules_nix(repo: GitSecrets) -> None:
    repo.write_rules({"tok.age": ["alice", "carol"]})
    repo.encrypt("tok.age", b"token", ["alice", "carol"])
    repo.commit("as secrets.nix")
    repo.git("mv", "secrets.nix", "agenix-rules.nix")
    repo.commit("renamed")
    text = (repo.dir / "agenix-rules.nix").read_text().replace(" carol ]", " ]")
    (repo.dir / "agenix-rules.nix").write_text(text)
    assert repo.agepy("rekey", "-i", str(repo.keys["alice"].private)).returncode == 0
    repo.commit("carol leaves")
    run = repo.agepy("check")
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("rotate tok.age: carol (age1")


def test_a_side_branch_merged(repo: GitSecrets) -> None:
    repo.write_rules({"db.age": ["alice"], "wifi.age": ["alice"]})
    repo.encrypt("db.age", b"db", ["alice"])
    repo.encrypt("wifi.age", b"wifi", ["alice"])
    repo.commit("alice only")
    repo.git("checkout", "-q", "-b", "side")
    repo.write_rules({"db.age": ["alice", "bob"], "wifi.age": ["alice"]})
    repo.encrypt("db.age", b"db", ["alice", "bob"])
    side = repo.commit("bob on the side branch")
    repo.git("checkout", "-q", "main")
    repo.encrypt("wifi.age", b"wifi2", ["alice"])
    repo.commit("main moves on")
    repo.git("merge", "-q", "--no-edit", "side")
    repo.day += 1
    repo.write_rules({"db.age": ["alice"], "wifi.age": ["alice"]})
    assert repo.agepy("rekey", "-i", str(repo.keys["alice"].private)).returncode == 0
    repo.commit("bob leaves")
    run = repo.agepy("check")
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rotate db.age: bob")
    # bob's version was still there in the merge (which changed nothing of db.age itself).
    merge = repo.git("rev-parse", "HEAD~1")
    assert f"last a recipient in {merge[:7]}" in lines[0]
    assert repo.decrypts(repo.show(f"{side}:db.age"), "bob") == b"db"


def test_outside_git_a_notice_and_nothing_else(repo: GitSecrets, tmp_path: Path) -> None:
    repo.write_rules({"wifi.age": ["alice"]})
    repo.encrypt("wifi.age", b"wifi", ["alice"])
    plain = tmp_path / "plain"
    shutil.copytree(repo.dir, plain, ignore=shutil.ignore_patterns(".git"))
    run = subprocess.run(
        [*repo.agepy_argv(), "check"], cwd=plain, env=repo.env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout
    assert run.stdout == ""
    notices = [line for line in run.stderr.splitlines() if "git" in line]
    assert notices == ["not in a git repository: old versions of the secrets cannot be checked"]


def test_shallow_clone_says_how_far_back(repo: GitSecrets, tmp_path: Path) -> None:
    _bob_left(repo)
    clone = tmp_path / "clone"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone))
    run = subprocess.run(
        [*repo.agepy_argv(), "check"], cwd=clone, env=repo.env, capture_output=True, text=True
    )
    head = repo.git("rev-parse", "HEAD")
    assert f"shallow clone: history checked back to {head[:7]}, 2026-11-02 only" in run.stderr
    assert run.stdout == "", "bob's version is not in the clone"


def _bob_left(repo: GitSecrets) -> str:
    repo.write_rules({"wifi.age": ["alice", "bob"]})
    repo.encrypt("wifi.age", b"wifi", ["alice", "bob"])
    first = repo.commit("alice and bob")
    repo.write_rules({"wifi.age": ["alice"]})
    assert repo.agepy("rekey", "-i", str(repo.keys["alice"].private)).returncode == 0
    repo.commit("bob leaves")
    return first


def test_second_scan_comes_from_the_cache(repo: GitSecrets) -> None:
    _bob_left(repo)
    store = Store(repo.rules)
    first = scan_history(store)
    assert not first.cached and first.commits == 2
    again = scan_history(Store(repo.rules))
    assert again.cached
    assert again.versions == first.versions
    assert (repo.root / ".git" / "agepy" / "history-v1.json").is_file()
