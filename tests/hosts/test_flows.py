"""add-host, rescan and hosts through the real CLI, against real sshd on 127.0.0.1.

Secrets are created and checked with the real `age` binary; the fixture sshd's host
private keys serve as the host's age identities.
"""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Iterator

import pytest

from agepy.demo.sshd import Sshd
from agepy.hosts import keyscan
from tests.conftest import SSHD, require_tool
from tests.support.keys import Key, make_ssh_key
from tests.support.repo import MakeRepo, Repo

SECRETS = {"a.age": b"alpha secret\n", "b.age": b"beta secret\n", "other.age": b"not for hosts\n"}


@pytest.fixture
def repo(make_repo: MakeRepo, keys: dict[str, Key]) -> Repo:
    """A secrets.nix folder with an admin key, three secrets (by the real age), and a HOME
    of its own; agepy runs with --rules."""
    entries = {name: ["admin"] for name in SECRETS}
    return make_repo(
        entries,
        bind={"admin": keys["admin"]},
        plaintexts=SECRETS,
        dotted=True,
        with_age=True,
        folder="repo",
        rules_option=True,
    )


@pytest.fixture
def fresh_sshd() -> Iterator[Sshd]:
    """An sshd of this test's own (it may be reinstalled)."""
    require_tool(SSHD)
    with Sshd(key_types=("ed25519", "rsa")) as server:
        yield server


@pytest.fixture
def fresh_ed25519_sshd() -> Iterator[Sshd]:
    """An sshd of this test's own with only an ed25519 host key (cheap to reinstall: no
    RSA key to generate), for tests where the key types do not matter."""
    require_tool(SSHD)
    with Sshd(key_types=("ed25519",)) as server:
        yield server


def _admin(repo: Repo) -> str:
    """The admin's private key, for -i."""
    return str(repo.keys["admin"].private)


def _inventory(repo: Repo) -> dict:  # type: ignore[type-arg]
    return tomllib.loads((repo.dir / "agepy.toml").read_text())


# --- add-host ---------------------------------------------------------------------------


def test_add_host_binds_records_and_reencrypts(repo: Repo, sshd: Sshd) -> None:
    before = repo.snapshot()
    result = repo.agepy(
        "add-host", "web", f"127.0.0.1:{sshd.port}", "--to", "a.age", "--to", "b.age",
        "--yes", "-i", _admin(repo),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [scan] = keyscan([f"127.0.0.1:{sshd.port}"])
    for key in scan.keys:
        assert key.fingerprint in result.stdout
    assert "not in known_hosts" in result.stdout
    text = repo.rules.read_text()
    assert f'web = "{sshd.public_key("ed25519")}";' in text
    host_key = sshd.host_key_path("ed25519")
    assert repo.opens(host_key, "a.age") and repo.opens(host_key, "b.age")
    assert not repo.opens(host_key, "other.age")
    assert all(repo.opens(repo.keys["admin"].private, name) for name in SECRETS)
    assert (repo.dir / "other.age").read_bytes() == before["other.age"]
    web = _inventory(repo)["hosts"]["web"]
    assert (web["address"], web["port"]) == ("127.0.0.1", sshd.port)
    assert web["key"] == sshd.public_key("ed25519")
    assert {k["key"] for k in web["keys"]} == {sshd.public_key(t) for t in ("ed25519", "rsa")}
    assert web["seen_at"].endswith("Z")

    listing = repo.agepy("hosts")
    assert listing.returncode == 0 and "web" in listing.stdout and "ok" in listing.stdout


def test_add_host_type_rsa_and_confirmation(repo: Repo, sshd: Sshd) -> None:
    target = f"127.0.0.1:{sshd.port}"
    declined = repo.agepy("add-host", "web", target, "--type", "rsa", stdin="n\n")
    assert declined.returncode == 1 and not (repo.dir / "agepy.toml").exists()
    accepted = repo.agepy("add-host", "web", target, "--type", "rsa", stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert f'web = "{sshd.public_key("rsa")}";' in repo.rules.read_text()


def test_add_host_fingerprint_match_needs_no_question(repo: Repo, sshd: Sshd) -> None:
    [scan] = keyscan([f"127.0.0.1:{sshd.port}"], types=("rsa",))
    fingerprint = scan.keys[0].fingerprint
    result = repo.agepy("add-host", "web", f"127.0.0.1:{sshd.port}", "--fingerprint", fingerprint)
    assert result.returncode == 0, result.stderr
    assert "matches the --fingerprint" in result.stdout
    assert sshd.public_key("rsa") in repo.rules.read_text()  # the key it names is chosen


def test_add_host_fingerprint_mismatch_changes_nothing(repo: Repo, sshd: Sshd) -> None:
    before = repo.snapshot()
    wrong = "SHA256:" + "A" * 43
    result = repo.agepy(
        "add-host", "web", f"127.0.0.1:{sshd.port}", "--fingerprint", wrong, "--yes"
    )
    assert result.returncode == 1
    assert "agepy: error:" in result.stderr and wrong in result.stderr
    assert repo.snapshot() == before


def test_known_hosts_plain_and_hashed_match(repo: Repo, sshd: Sshd) -> None:
    line = f"[127.0.0.1]:{sshd.port} {sshd.public_key('ed25519')}\n"
    repo.known_hosts.write_text(line)
    subprocess.run(
        ["ssh-keygen", "-H", "-f", str(repo.known_hosts)], capture_output=True, check=True
    )
    assert repo.known_hosts.read_text().startswith("|1|")
    result = repo.agepy("add-host", "web", f"127.0.0.1:{sshd.port}", "--yes")
    assert result.returncode == 0, result.stderr
    assert "matches known_hosts" in result.stdout


def test_known_hosts_mismatch_is_refused(repo: Repo, sshd: Sshd, ecdsa_sshd: Sshd) -> None:
    impostor = repo.keys["admin"].public_text  # "ssh-ed25519 AAAA…", no comment
    repo.known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {impostor}\n")
    before = repo.snapshot()
    result = repo.agepy("add-host", "web", f"127.0.0.1:{sshd.port}", "--yes")
    assert result.returncode == 1
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in result.stderr
    assert repo.snapshot() == before
    # A fingerprint checked out of band overrides a stale known_hosts.
    [scan] = keyscan([f"127.0.0.1:{sshd.port}"], types=("ed25519",))
    ok = repo.agepy(
        "add-host", "web", f"127.0.0.1:{sshd.port}", "--fingerprint", scan.keys[0].fingerprint
    )
    assert ok.returncode == 0, ok.stderr


def test_add_host_from_key_file_and_known_hosts(repo: Repo, sshd: Sshd) -> None:
    pub = repo.dir.parent / "host.pub"
    pub.write_text(sshd.public_key("ed25519") + " root@web\n")
    result = repo.agepy("add-host", "web", "web.example.org", "--key-file", str(pub), "--yes")
    assert result.returncode == 0, result.stderr
    assert sshd.public_key("ed25519") in repo.rules.read_text()
    repo.known_hosts.write_text(f"db.example.org {sshd.public_key('rsa')}\n")
    result = repo.agepy("add-host", "db", "db.example.org", "--known-hosts", "--yes")
    assert result.returncode == 0, result.stderr
    assert f'db = "{sshd.public_key("rsa")}";' in repo.rules.read_text()
    assert set(_inventory(repo)["hosts"]) == {"web", "db"}


def test_add_host_existing_name_refused(repo: Repo, sshd: Sshd) -> None:
    before = repo.snapshot()
    result = repo.agepy("add-host", "admin", f"127.0.0.1:{sshd.port}", "--yes")
    assert result.returncode == 1 and "already binds admin" in result.stderr
    assert repo.snapshot() == before


@pytest.mark.parametrize("peer", ["silent", "http", "closed", "ecdsa", "garbage"])
def test_add_host_hostile_peer_changes_nothing(
    repo: Repo, request: pytest.FixtureRequest, peer: str
) -> None:
    port = {
        "silent": lambda: request.getfixturevalue("silent_port"),
        "http": lambda: request.getfixturevalue("http_port"),
        "closed": lambda: request.getfixturevalue("closed_port"),
        "ecdsa": lambda: request.getfixturevalue("ecdsa_sshd").port,
        "garbage": lambda: request.getfixturevalue("garbage_port"),
    }[peer]()
    (repo.dir / "agepy.toml").write_text("# an inventory\n[hosts]\n")
    before = repo.snapshot()
    # The silent peer is waited for until -T; the others answer (or refuse) at once.
    timeout = "0.2" if peer == "silent" else "1"
    result = repo.agepy(
        "add-host", "web", f"127.0.0.1:{port}", "--yes", "-T", timeout, "--to", "a.age"
    )
    assert result.returncode == 1
    [error] = [line for line in result.stderr.splitlines() if line.startswith("agepy: error:")]
    expected = {
        "silent": "did not answer within 0.2s",
        "http": "not an SSH server",
        "closed": "connection refused",
        "ecdsa": "ecdsa-sha2-nistp256",
        "garbage": "not SSH",
    }[peer]
    assert expected in error
    assert "agepy: hint:" in result.stderr
    assert "Traceback" not in result.stderr
    assert repo.snapshot() == before


# --- rescan -----------------------------------------------------------------------------


def test_rescan_unchanged(repo: Repo, sshd: Sshd) -> None:
    assert repo.agepy("add-host", "web", f"127.0.0.1:{sshd.port}", "--yes").returncode == 0
    rules_before = repo.rules.read_bytes()
    result = repo.agepy("rescan", "web")
    assert result.returncode == 0, result.stderr
    assert "unchanged" in result.stdout
    assert repo.rules.read_bytes() == rules_before


def test_rescan_after_reinstall(repo: Repo, fresh_sshd: Sshd) -> None:
    target = f"127.0.0.1:{fresh_sshd.port}"
    added = repo.agepy(
        "add-host", "web", target, "--to", "a.age", "--to", "b.age", "--yes", "-i", _admin(repo)
    )
    assert added.returncode == 0, added.stderr
    old_key, old_private = fresh_sshd.public_key("ed25519"), repo.dir.parent / "old_host_key"
    old_private.write_bytes(fresh_sshd.host_key_path("ed25519").read_bytes())
    old_private.chmod(0o600)
    other_before = (repo.dir / "other.age").read_bytes()

    fresh_sshd.reinstall()
    new_key, new_private = fresh_sshd.public_key("ed25519"), fresh_sshd.host_key_path("ed25519")
    declined = repo.agepy("rescan", "web", "-i", _admin(repo), stdin="n\n")
    assert declined.returncode == 1 and old_key in repo.rules.read_text()

    result = repo.agepy("rescan", "web", "--yes", "-i", _admin(repo))
    assert result.returncode == 0, result.stderr
    assert "CHANGED" in result.stdout and "a.age, b.age" in result.stdout
    text = repo.rules.read_text()
    assert new_key in text and old_key not in text
    for name in ("a.age", "b.age"):
        assert repo.opens(new_private, name), name
        assert repo.opens(repo.keys["admin"].private, name), name
    assert not any(repo.opens(old_private, name) for name in SECRETS)
    assert (repo.dir / "other.age").read_bytes() == other_before
    web = _inventory(repo)["hosts"]["web"]
    assert web["key"] == new_key
    assert [h["key"] for h in web["history"]] == [old_key]
    assert repo.agepy("hosts").returncode == 0


def test_rescan_without_identity_changes_nothing(repo: Repo, fresh_ed25519_sshd: Sshd) -> None:
    target = f"127.0.0.1:{fresh_ed25519_sshd.port}"
    added = repo.agepy("add-host", "web", target, "--to", "a.age", "--yes", "-i", _admin(repo))
    assert added.returncode == 0, added.stderr
    fresh_ed25519_sshd.reinstall()
    before = repo.snapshot()
    wrong = make_ssh_key(require_tool("ssh-keygen"), repo.dir.parent, "stranger", "ed25519").private
    result = repo.agepy("rescan", "web", "--yes", "-i", str(wrong))
    assert result.returncode == 1 and "agepy: error:" in result.stderr
    assert repo.snapshot() == before


def test_hosts_reports_differs_and_missing(repo: Repo, sshd: Sshd) -> None:
    assert repo.agepy("add-host", "web", f"127.0.0.1:{sshd.port}", "--yes").returncode == 0
    assert (
        repo.agepy("add-host", "db", f"127.0.0.1:{sshd.port}", "--type", "rsa", "--yes").returncode
        == 0
    )
    text = repo.rules.read_text()
    text = text.replace(f'  db = "{sshd.public_key("rsa")}";\n', "")
    text = text.replace(sshd.public_key("ed25519"), sshd.public_key("rsa"))
    repo.rules.write_text(text)
    result = repo.agepy("hosts", "--json")
    assert result.returncode == 1
    import json

    statuses = {h["name"]: h["status"] for h in json.loads(result.stdout)["hosts"]}
    assert statuses == {"web": "differs", "db": "missing"}


def test_malformed_inventory_is_a_clear_error(repo: Repo) -> None:
    (repo.dir / "agepy.toml").write_text("[hosts.web\naddress = 1\n")
    result = repo.agepy("hosts")
    assert result.returncode == 1
    assert "agepy: error:" in result.stderr and "agepy.toml" in result.stderr
    assert "agepy: hint:" in result.stderr
