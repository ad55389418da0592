"""`agepy keyscan` takes ssh-keyscan's `-p PORT` and its key type names (`ssh-ed25519`,
`ssh-rsa`) as well as the short ones; the lines match the real ssh-keyscan's."""

from __future__ import annotations

import subprocess

from agepy.demo.sshd import Sshd
from tests.hosts.test_keyscan import ssh_keyscan_lines
from tests.support.cli import run_agepy


def agepy_keyscan(*args: str) -> subprocess.CompletedProcess[str]:
    return run_agepy(["keyscan", *args], text=True)


def test_port_flag_and_ssh_type_names_match_ssh_keyscan(sshd: Sshd) -> None:
    port = str(sshd.port)
    expected: dict[str, list[str]] = {}
    for types, short in (("ssh-ed25519", "ed25519"), ("ssh-rsa", "rsa"), ("ssh-ed25519,rsa", "")):
        result = agepy_keyscan("-p", port, "-t", types, "127.0.0.1")
        assert result.returncode == 0, result.stderr
        expected[types] = ssh_keyscan_lines(sshd.port, short or "ed25519,rsa")
        assert sorted(result.stdout.splitlines()) == expected[types]
    # A port in the target wins over -p, as in ssh.
    named = agepy_keyscan("-p", "1", "-t", "ed25519", f"127.0.0.1:{port}")
    assert named.returncode == 0, named.stderr
    assert named.stdout.splitlines() == expected["ssh-ed25519"]


def test_bad_port_is_a_usage_error() -> None:
    result = agepy_keyscan("-p", "70000", "127.0.0.1")
    assert result.returncode == 2
    assert result.stderr.startswith("agepy: error: ")
