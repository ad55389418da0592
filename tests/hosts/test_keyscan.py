"""agepy's keyscan against real sshd processes and hostile peers, all on 127.0.0.1."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agepy.demo.sshd import Sshd
from agepy.errors import HostError
from agepy.hosts import keyscan, parse_target
from tests.conftest import require_tool
from tests.support.cli import run_agepy


def ssh_keyscan_lines(port: int, types: str = "ed25519,rsa") -> list[str]:
    result = subprocess.run(
        [require_tool("ssh-keyscan"), "-p", str(port), "-t", types, "127.0.0.1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    return sorted(line for line in result.stdout.splitlines() if line)


def test_lines_match_ssh_keyscan(sshd: Sshd) -> None:
    [result] = keyscan([f"127.0.0.1:{sshd.port}"])
    assert result.ok, result.error
    assert sorted(result.lines()) == ssh_keyscan_lines(sshd.port)
    assert {key.line for key in result.keys} == {
        sshd.public_key("ed25519"),
        sshd.public_key("rsa"),
    }
    assert all(key.usable_for_age for key in result.keys)
    assert result.key() is not None and result.key().type == "ssh-ed25519"  # type: ignore[union-attr]
    assert result.banner is not None and result.banner.startswith("SSH-2.0-OpenSSH")


def _has_ipv6_loopback() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback here")
def test_ipv6_loopback_matches_ssh_keyscan() -> None:
    require_tool("/usr/sbin/sshd")
    with Sshd(addresses=("::1",)) as server:
        [result] = keyscan([f"[::1]:{server.port}"])
        expected = subprocess.run(
            ["ssh-keyscan", "-p", str(server.port), "-t", "ed25519,rsa", "::1"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.splitlines()
    assert result.ok, result.error
    assert sorted(result.lines()) == sorted(expected)


def test_fingerprints_match_ssh_keygen(sshd: Sshd) -> None:
    [result] = keyscan([f"[127.0.0.1]:{sshd.port}"], types=("ed25519",))
    [key] = result.keys
    printed = subprocess.run(
        ["ssh-keygen", "-lf", str(sshd.host_key_path("ed25519")) + ".pub"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed.split()[1] == key.fingerprint


def test_one_type_only(sshd: Sshd) -> None:
    [result] = keyscan([f"127.0.0.1:{sshd.port}"], types=("rsa",))
    assert [key.type for key in result.keys] == ["ssh-rsa"]
    assert result.lines() == ssh_keyscan_lines(sshd.port, "rsa")


def test_reinstall_changes_keys() -> None:
    require_tool("/usr/sbin/sshd")
    with Sshd(key_types=("ed25519",)) as server:
        [before] = keyscan([f"127.0.0.1:{server.port}"], types=("ed25519",))
        server.reinstall()
        [after] = keyscan([f"127.0.0.1:{server.port}"], types=("ed25519",))
        assert after.keys[0].line == server.public_key("ed25519")
    assert before.keys[0].line != after.keys[0].line


def test_many_hosts_keep_order_and_go_on(sshd: Sshd, closed_port: int) -> None:
    targets = [f"127.0.0.1:{sshd.port}", f"127.0.0.1:{closed_port}"] * 5
    results = keyscan(targets, concurrency=3)
    assert [r.port for r in results] == [sshd.port, closed_port] * 5
    assert [r.ok for r in results] == [True, False] * 5


def test_closed_port_is_refused(closed_port: int) -> None:
    [result] = keyscan([f"127.0.0.1:{closed_port}"])
    assert result.error is not None and result.error.reason == "refused"
    expected = f"127.0.0.1:{closed_port}: connection refused on port {closed_port}"
    assert result.error.message == expected
    assert result.error.hint


def test_silent_port_times_out(silent_port: int) -> None:
    [result] = keyscan([f"127.0.0.1:{silent_port}"], timeout=0.2)
    assert result.error is not None and result.error.reason == "timeout"
    assert "0.2s" in result.error.message


def test_http_is_not_ssh(http_port: int) -> None:
    [result] = keyscan([f"127.0.0.1:{http_port}"], timeout=3)
    assert result.error is not None and result.error.reason == "not-ssh"
    assert "HTTP/1.1 400" in result.error.message


def test_garbage_after_banner_is_not_ssh(garbage_port: int) -> None:
    [result] = keyscan([f"127.0.0.1:{garbage_port}"], timeout=3)
    assert result.error is not None and result.error.reason == "not-ssh"
    assert result.banner == "SSH-2.0-OpenSSH_9.9 hostile"


def test_ecdsa_only_host_has_no_usable_key(ecdsa_sshd: Sshd) -> None:
    [result] = keyscan([f"127.0.0.1:{ecdsa_sshd.port}"])
    assert result.error is not None and result.error.reason == "no-usable-key"
    assert "ecdsa-sha2-nistp256" in result.error.message
    assert result.keys == []


def test_ecdsa_is_reported_but_unusable(ecdsa_sshd: Sshd) -> None:
    [result] = keyscan([f"127.0.0.1:{ecdsa_sshd.port}"], types=("ed25519", "ecdsa"))
    assert [key.type for key in result.keys] == ["ecdsa-sha2-nistp256"]
    assert not result.keys[0].usable_for_age and "ECDSA" in result.keys[0].note
    assert result.error is not None and result.error.reason == "no-usable-key"
    assert result.lines() == ssh_keyscan_lines(ecdsa_sshd.port, "ecdsa")


def test_unresolved_name() -> None:
    # Names that are no valid DNS names fail before any query: no packet leaves the host.
    results = keyscan(["bad..name", "x" * 64 + ".example"], timeout=3)
    assert [r.error.reason for r in results if r.error] == ["unresolved", "unresolved"]
    assert "not a valid DNS name" in results[0].error.message  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("example.com", ("example.com", 22)),
        ("example.com:2222", ("example.com", 2222)),
        ("[example.com]:2222", ("example.com", 2222)),
        ("[::1]:2222", ("::1", 2222)),
        ("[::1]", ("::1", 22)),
        ("::1", ("::1", 22)),
        ("127.0.0.1", ("127.0.0.1", 22)),
    ],
)
def test_parse_target(text: str, expected: tuple[str, int]) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    "text", ["", "host:", "host:0", "host:65536", "host:x", "[host", "[host]x", "[]:22", "a b"]
)
def test_bad_targets(text: str) -> None:
    with pytest.raises(HostError) as info:
        parse_target(text)
    assert info.value.hint


def test_bad_type_raises_before_scanning() -> None:
    with pytest.raises(HostError):
        keyscan(["127.0.0.1"], types=("dsa",))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_target_fuzz(text: str) -> None:
    try:
        host, port = parse_target(text)
    except HostError:
        return
    assert host and 0 < port < 65536


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_agepy(args, text=True)


def test_cli_lines_match_ssh_keyscan_and_errors_go_to_stderr(sshd: Sshd, closed_port: int) -> None:
    result = _cli("keyscan", f"127.0.0.1:{sshd.port}", f"127.0.0.1:{closed_port}")
    assert result.returncode == 1
    assert sorted(result.stdout.splitlines()) == ssh_keyscan_lines(sshd.port)
    assert result.stderr.splitlines()[0] == (
        f"agepy: error: 127.0.0.1:{closed_port}: connection refused on port {closed_port}"
    )
    assert _cli("keyscan", f"127.0.0.1:{sshd.port}").returncode == 0


def test_cli_json_shape(sshd: Sshd, closed_port: int) -> None:
    import json

    result = _cli(
        "keyscan", "--json", "-t", "ed25519", f"127.0.0.1:{sshd.port}", f"127.0.0.1:{closed_port}"
    )
    data = json.loads(result.stdout)
    ok, bad = data["hosts"]
    assert ok == {
        "host": "127.0.0.1",
        "port": sshd.port,
        "keys": [
            {
                "type": "ssh-ed25519",
                "key": sshd.public_key("ed25519"),
                "fingerprint": ok["keys"][0]["fingerprint"],
                "usable": True,
            }
        ],
        "error": None,
    }
    assert bad["error"]["reason"] == "refused" and bad["keys"] == []


def test_cli_bad_target_is_usage_error() -> None:
    result = _cli("keyscan", "host:99999")
    assert result.returncode == 1 and result.stderr.startswith("agepy: error: bad port")
    assert _cli("keyscan").returncode == 2


def test_sshd_port_in_use_is_a_clear_error(sshd: Sshd) -> None:
    # One ed25519 host key: the port is the point, not the keys made before it is tried.
    with pytest.raises(HostError) as info, Sshd(key_types=("ed25519",), ports=(sshd.port,)):
        pass
    assert "sshd" in info.value.message and info.value.hint
