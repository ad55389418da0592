"""agepy.toml and known_hosts parsing: round trips, clear errors, fuzzing."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agepy.cli.hints import hint_for
from agepy.errors import HostError
from agepy.hosts import HostKey, Inventory, check_known_hosts, known_keys
from agepy.hosts.inventory import valid_name
from agepy.hosts.known_hosts import keys_from_file, parse_known_hosts

ED1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBQdQ8HvSEG5WCxGtUW7FYeRrALkqTOU9Ltj2tNJILbV"
ED2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILULyWe+2dKe4hlgFsxq/fG4gY9+mrUkFCMgMBMFGNO6"


def _keys(*lines: str) -> list[HostKey]:
    from agepy.hosts.scan import scanned_key

    return [HostKey(k.type, k.line, k.fingerprint) for k in map(scanned_key, lines)]


def test_round_trip_and_history(tmp_path: Path) -> None:
    rules = tmp_path / "secrets.nix"
    inventory = Inventory.load(rules)
    assert inventory.hosts == {} and inventory.path == tmp_path / "agepy.toml"
    inventory.record_scan(
        "web", "web.example.org", 2222, _keys(ED1), ED1, when="2024-01-01T00:00:00Z"
    )
    inventory.save()
    again = Inventory.load(rules)
    again.record_scan("web", "web.example.org", 2222, _keys(ED2), ED2 + " comment")
    again.save()
    web = Inventory.load(rules).get("web")
    assert (web.key, web.port, web.target) == (ED2, 2222, "[web.example.org]:2222")
    assert [(h.key, h.replaced_at != "") for h in web.history] == [(ED1, True)]
    assert Inventory.load(rules).names() == {ED2: "web"}
    assert oct((tmp_path / "agepy.toml").stat().st_mode & 0o777) == "0o644"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_unknown_host_has_a_hint(tmp_path: Path) -> None:
    with pytest.raises(HostError) as info:
        Inventory.load(tmp_path / "secrets.nix").get("nope")
    # The library's hint speaks of the inventory; the CLI's names the command.
    assert "inventory" in (info.value.hint or "") and "add-host" not in (info.value.hint or "")
    assert "`agepy add-host nope ADDRESS`" in (hint_for(info.value) or "")


@pytest.mark.parametrize(
    "text",
    [
        "[hosts.web\n",
        "hosts = 3\n",
        "[hosts.web]\naddress = 1\n",
        '[hosts.web]\naddress = "a"\nport = 70000\n',
        '[hosts.web]\naddress = "a"\nport = true\n',
        '[hosts.web]\naddress = "a"\nkeys = [1]\n',
        '[hosts.web]\naddress = "a"\nkey = "ssh-ed25519 bad"\n',
        '[hosts.web]\naddress = "a"\n[[hosts.web.history]]\nkey = "k"\n',
    ],
)
def test_malformed_inventory(tmp_path: Path, text: str) -> None:
    (tmp_path / "agepy.toml").write_text(text)
    with pytest.raises(HostError) as info:
        Inventory.load(tmp_path / "secrets.nix")
    assert "agepy.toml" in info.value.message and info.value.hint


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200))
def test_inventory_fuzz(tmp_path: Path, text: str) -> None:
    (tmp_path / "agepy.toml").write_bytes(text.encode("utf-8", "replace"))
    with contextlib.suppress(HostError):
        Inventory.load(tmp_path / "secrets.nix").names()


@pytest.mark.parametrize("name", ["web", "web-1", "_x", "db'"])
def test_valid_names(name: str) -> None:
    assert valid_name(name) == name


@pytest.mark.parametrize("name", ["", "1web", "a b", "let", "a.b", 'a"'])
def test_bad_names(name: str) -> None:
    with pytest.raises(HostError):
        valid_name(name)


def test_known_hosts_forms(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(
        "# comment\n"
        f"web.example.org,10.0.0.1 {ED1}\n"
        f"[web.example.org]:2222 {ED2}\n"
        f"*.wild.example {ED1}\n"
        f"!bad.wild.example,*.wild.example {ED2}\n"
        f"@cert-authority *.example.org {ED2}\n"
        f"@revoked * {ED2}\n"
        "garbage\n"
    )
    assert [k.key for k in known_keys("web.example.org", 22, path)] == [ED1]
    assert [k.key for k in known_keys("web.example.org", 2222, path)] == [ED2]
    assert [k.key for k in known_keys("a.wild.example", 22, path)] == [ED1, ED2]
    assert [k.key for k in known_keys("bad.wild.example", 22, path)] == [ED1]
    assert check_known_hosts("web.example.org", 22, ED1 + " c", path).status == "match"
    assert check_known_hosts("other.example", 22, ED1, path).status == "absent"
    check = check_known_hosts("web.example.org", 2222, ED1, path)
    assert check.status == "mismatch" and check.line_numbers == [3]
    assert check_known_hosts("web.example.org", 22, ED2, path).status == "revoked"
    assert check_known_hosts("x", 22, ED1, tmp_path / "absent").status == "absent"


def test_hashed_known_hosts(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"web.example.org {ED1}\n[web.example.org]:2222 {ED2}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(path)], capture_output=True, check=True)
    assert all(line.startswith("|1|") for line in path.read_text().splitlines())
    assert [k.key for k in known_keys("web.example.org", 22, path)] == [ED1]
    assert [k.key for k in known_keys("web.example.org", 2222, path)] == [ED2]
    assert known_keys("web.example.com", 22, path) == []


def test_keys_from_file_forms(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"# web:22 SSH-2.0-OpenSSH\nweb {ED1}\n{ED2} root@web\n")
    assert [k.line for k in keys_from_file(path)] == [ED1, ED2]
    path.write_text("nothing here\n")
    with pytest.raises(HostError):
        keys_from_file(path)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(max_size=30), st.integers(1, 65535))
def test_known_hosts_fuzz(text: str, host: str, port: int) -> None:
    for entry in parse_known_hosts(text):
        entry.matches(host, port)
