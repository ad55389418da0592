"""History in its less simple shapes: X25519 keys, a moved secrets.nix, merges, no git,
shallow clones, and the cache."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agepy.store import Store
from agepy.store.gitread import GitRepo
from agepy.store.history import scan_history
from tests.support.repo import Repo


def test_x25519_reader_found_through_past_secrets_nix(repo: Repo) -> None:
    repo.write_rules({"tok.age": ["alice", "carol"]})
    repo.encrypt("tok.age", b"token", ["alice", "carol"])
    first = repo.commit("token for alice and carol")
    # carol's binding is gone from today's file: her name can only come from history.
    repo.write_rules({"tok.age": ["alice"]}, bound=["alice", "bob"])
    assert repo.agepy("rekey", "-i", str(repo.keys["alice"].private)).returncode == 0
    repo.commit("carol leaves")
    run = repo.agepy("check")
    assert run.returncode == 1
    carol = repo.keys["carol"].public_text
    assert run.stdout.splitlines() == [
        f"rotate tok.age: carol ({carol[:20]}…, last a recipient in {first[:7]}, 2026-11-01) "
        "can read old versions"
    ]
    assert repo.decrypts(repo.show(f"{first}:tok.age"), "carol") == b"token"


def test_secrets_nix_moved_in_history(repo: Repo) -> None:
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


def test_rules_file_renamed(repo: Repo) -> None:
    repo.write_rules({"tok.age": ["alice", "carol"]})
    repo.encrypt("tok.age", b"token", ["alice", "carol"])
    repo.commit("as secrets.nix")
    repo.git("mv", "secrets.nix", "rules.nix")
    repo.commit("renamed")
    text = (repo.dir / "rules.nix").read_text().replace(" carol ]", " ]")
    (repo.dir / "rules.nix").write_text(text)
    alice = str(repo.keys["alice"].private)
    assert repo.agepy("rekey", "--rules", "rules.nix", "-i", alice).returncode == 0
    repo.commit("carol leaves")
    run = repo.agepy("check", "--rules", "rules.nix")
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("rotate tok.age: carol (age1")


def test_a_side_branch_merged(repo: Repo) -> None:
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


def test_outside_git_a_notice_and_nothing_else(repo: Repo, tmp_path: Path) -> None:
    repo.write_rules({"wifi.age": ["alice"]})
    repo.encrypt("wifi.age", b"wifi", ["alice"])
    plain = tmp_path / "plain"
    shutil.copytree(repo.dir, plain, ignore=shutil.ignore_patterns(".git"))
    run = repo.agepy("check", cwd=plain)
    assert run.returncode == 0, run.stdout
    assert run.stdout == ""
    notices = [line for line in run.stderr.splitlines() if "git" in line]
    assert notices == ["not in a git repository: old versions of the secrets cannot be checked"]


def test_shallow_clone_says_how_far_back(repo: Repo, tmp_path: Path) -> None:
    _bob_left(repo)
    clone = tmp_path / "clone"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone))
    run = repo.agepy("check", cwd=clone)
    head = repo.git("rev-parse", "HEAD")
    assert f"shallow clone: history checked back to {head[:7]}, 2026-11-02 only" in run.stderr
    assert run.stdout == "", "bob's version is not in the clone"


def _bob_left(repo: Repo) -> str:
    repo.write_rules({"wifi.age": ["alice", "bob"]})
    repo.encrypt("wifi.age", b"wifi", ["alice", "bob"])
    first = repo.commit("alice and bob")
    repo.write_rules({"wifi.age": ["alice"]})
    assert repo.agepy("rekey", "-i", str(repo.keys["alice"].private)).returncode == 0
    repo.commit("bob leaves")
    return first


def test_second_scan_comes_from_the_cache(repo: Repo) -> None:
    _bob_left(repo)
    store = Store(repo.rules)
    first = scan_history(store)
    assert not first.cached and first.commits == 2
    again = scan_history(Store(repo.rules))
    assert again.cached
    assert again.versions == first.versions
    assert (repo.root / ".git" / "agepy" / "history-v1.json").is_file()


def test_keys_imported_from_the_same_commit(repo: Repo) -> None:
    """secrets.nix imports keys.nix (in its folder) and ../team.nix (outside it): both
    are read as they were in the commit of each version."""
    carol = repo.keys["carol"].public_text
    (repo.root / "team.nix").write_text(f'{{ carol = "{carol}"; }}\n')
    repo.dir = repo.root / "secrets"
    repo.dir.mkdir()
    alice = repo.keys["alice"].public_text
    (repo.dir / "keys.nix").write_text(f'{{ alice = "{alice}"; }}\n')
    rules = (
        "let\n  keys = import ./keys.nix;\n  team = import ../team.nix;\nin\n"
        '{ "tok.age".publicKeys = [ keys.alice team.carol ]; }\n'
    )
    repo.rules.write_text(rules)
    repo.encrypt("tok.age", b"token", ["alice", "carol"])
    first = repo.commit("token for alice and carol, keys imported")
    (repo.root / "team.nix").write_text("{ }\n")
    repo.rules.write_text(
        rules.replace(" team.carol", "").replace("  team = import ../team.nix;\n", "")
    )
    assert repo.agepy("rekey", "-i", str(repo.keys["alice"].private)).returncode == 0
    repo.commit("carol leaves")
    run = repo.agepy("check")
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith(f"rotate tok.age: carol ({carol[:20]}…"), run.stdout
    assert f"last a recipient in {first[:7]}" in run.stdout
    assert "could not be evaluated" not in run.stderr


def _bech32(hrp: str, data: bytes) -> str:
    """BIP 173 bech32 (the encoding of age recipients), written out for the test."""
    charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    words, acc, bits = [], 0, 0
    for byte in data:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            words.append((acc >> bits) & 31)
    if bits:
        words.append((acc << (5 - bits)) & 31)

    def polymod(values: list[int]) -> int:
        generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
        check = 1
        for value in values:
            top = check >> 25
            check = (check & 0x1FFFFFF) << 5 ^ value
            for i in range(5):
                check ^= generator[i] if (top >> i) & 1 else 0
        return check

    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod(expanded + words + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(charset[w] for w in words + checksum)


def test_plugin_reader_found_through_past_secrets_nix(repo: Repo) -> None:
    """A plugin stanza names nobody: the secrets.nix of its commit says it was yubi's."""
    yubi = _bech32("age1yubikey", bytes(range(33)))
    repo.write_rules({"tok.age": ["alice"]})
    repo.rules.write_text(
        repo.rules.read_text()
        .replace("in\n", f'  yubi = "{yubi}";\nin\n')
        .replace("[ alice ]", "[ alice yubi ]")
    )
    # What age-plugin-yubikey would add: a piv-p256 stanza (made up, syntax only).
    repo.encrypt("tok.age", b"token", ["alice"])
    data = (repo.dir / "tok.age").read_bytes()
    stanza = b"-> piv-p256 AAAAAA AvMJr5VEp7cPWY5ElbfU4vrzw\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo\n"
    head, rest = data.split(b"\n-> ", 1)
    (repo.dir / "tok.age").write_bytes(head + b"\n" + stanza + b"-> " + rest)
    first = repo.commit("token for alice and her yubikey")
    repo.write_rules({"tok.age": ["alice"]})
    repo.encrypt("tok.age", b"token2", ["alice"])
    repo.commit("the yubikey is lost")
    run = repo.agepy("check")
    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines() == [
        f"rotate tok.age: yubi ({yubi[:20]}…, last a recipient in {first[:7]}, 2026-11-01) "
        "can read old versions"
    ]


def test_a_damaged_cache_is_rebuilt(repo: Repo) -> None:
    _bob_left(repo)
    assert repo.agepy("check").returncode == 1
    folder = repo.root / ".git" / "agepy"
    result = json.loads((folder / "history-v1-result.json").read_text())
    result["versions"] = [[1]]  # the right key, a damaged body
    (folder / "history-v1-result.json").write_text(json.dumps(result))
    objects = json.loads((folder / "history-v1.json").read_text())
    objects["headers"] = {blob: [1] for blob in objects["headers"]}
    objects["states"] = {digest: {"entries": 3} for digest in objects["states"]}
    (folder / "history-v1.json").write_text(json.dumps(objects))
    run = repo.agepy("check")
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("rotate wifi.age: bob")


def test_a_sha256_repository(repo: Repo, tmp_path: Path) -> None:
    root = tmp_path / "sha256"
    root.mkdir()
    other = Repo(root, root, repo.home, repo.keys, repo.env)
    other.git("init", "-q", "-b", "main", "--object-format=sha256")
    other.git("config", "user.name", "Test")
    other.git("config", "user.email", "test@example.invalid")
    first = _bob_left(other)
    assert len(first) == 64
    run = other.agepy("check")
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("rotate wifi.age: bob (ssh-ed25519 SHA256:")
    assert f"last a recipient in {first[:7]}" in run.stdout


def test_git_is_started_only_where_a_repository_can_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside any repository agepy starts no git process; a linked work tree (whose .git
    is a file) and $GIT_DIR are still found."""
    outside = tmp_path / "plain" / "deeper"
    outside.mkdir(parents=True)
    main, linked = tmp_path / "main", tmp_path / "linked"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(main)]
    subprocess.run(["git", "init", "-q", str(main)], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "first"], check=True)
    subprocess.run([*git, "worktree", "add", "-q", str(linked)], check=True)
    (linked / "secrets").mkdir()
    started: list[object] = []
    real_run = subprocess.run

    def counting_run(*args: Any, **kwargs: Any) -> Any:
        started.append(args[0])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    assert GitRepo.find(outside) is None
    assert started == []
    found = GitRepo.find(linked / "secrets")
    assert found is not None and found.root == linked.resolve()
    monkeypatch.setenv("GIT_DIR", str(main / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(main))
    found = GitRepo.find(outside)
    assert found is not None and found.root == main.resolve()
