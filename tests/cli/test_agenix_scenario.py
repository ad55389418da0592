"""agenix's own CLI scenario, run against agepy called by the name `agenix`.

The steps are those of agenix's VM test (`test/integration.nix`) and package check
(`pkgs/agenix.nix`) on the main branch (b027ee2), on our own copy of its example layout
(tests/cli/agenix_example/, see its README): `-h`, `-d` of each example, `-r` rewrites
every file, an unchanged `-e` leaves the file byte-identical, a bogus `~/.ssh/id_rsa`
fails `-e` unless `-i` is given, piped `-e` then `-d`, and no plaintext is left in /tmp
or /dev/shm. `agenix` is the launcher `agepy agenix-shim` writes, and a symlink named
`agenix` to an agepy entry script; with AGEPY_AGENIX_REFERENCE set (tests/cli/agenix_world.py)
the same steps run against that `agenix` too, so agepy can be compared with agenix's
script (docs/agenix-compat.md, "Checked against the real script").
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest

from tests.cli.agenix_world import (
    AGEPY_LAUNCHERS,
    IMPLEMENTATIONS,
    AgenixWorld,
    make_world,
)
from tests.conftest import FindLeaks

PLAINTEXTS = {
    "secret1.age": b"hello",
    "secret2.age": b"world!",
    "-leading-hyphen-filename.age": b"a name that starts with a hyphen",
    "armored-secret.age": b"an armored secret",
}


@pytest.fixture(params=IMPLEMENTATIONS)
def agenix(request: pytest.FixtureRequest, tmp_path: Path) -> AgenixWorld:
    """`agenix ARGS` in a copy of the example, HOME holding user1's key, as the tests do."""
    return make_world(tmp_path, request.param)


@pytest.fixture(params=AGEPY_LAUNCHERS)
def agepy_agenix(request: pytest.FixtureRequest, tmp_path: Path) -> AgenixWorld:
    """The same, only agepy under the name agenix (for agepy's own messages)."""
    return make_world(tmp_path, request.param)


def test_help_and_usage_exit_codes_as_agenix(agenix: AgenixWorld) -> None:
    run = agenix.run
    shown = run("-h")
    assert shown.returncode == 0 and b"-e, --edit FILE" in shown.stdout
    assert run("--help").returncode == 0
    assert run("-d", "secret1.age", "-h").returncode == 0  # help at -h, whatever came first
    assert run().returncode == 1  # no arguments: help, exit 1
    for bad in (["-x"], ["-c"], ["-r", "ssh-ed25519 AAAA"], ["-e"], ["-i"], ["list"]):
        result = run(*bad)
        assert result.returncode == 1, (bad, result.stderr)


def test_usage_errors_are_one_agepy_line(agepy_agenix: AgenixWorld) -> None:
    # agenix prints its help on stdout; agepy says what was wrong, on stderr (same exit 1)
    for bad in (["-x"], ["-c"], ["-r", "ssh-ed25519 AAAA"], ["-e"], ["list"]):
        result = agepy_agenix.run(*bad)
        assert result.returncode == 1, (bad, result.stderr)
        assert result.stderr.startswith(b"agepy: error: "), result.stderr
        assert b"Traceback" not in result.stderr
    assert b"agepy check" in agepy_agenix.run("-c").stderr  # -c is no agenix flag


def test_agenix_integration_steps(agenix: AgenixWorld, find_leaks: FindLeaks) -> None:
    run, folder = agenix.run, agenix.folder
    # package check: `agenix -d secret1.age` is hello
    assert run("-d", "secret1.age").stdout == b"hello"
    # -d of every example, the name starting with '-' included
    for name, plain in PLAINTEXTS.items():
        result = run("-d", name)
        assert result.returncode == 0, (name, result.stderr)
        assert result.stdout == plain
    password = run("-d", "passwordfile-user1.age")
    assert password.returncode == 0 and password.stdout.startswith(b"$6$")

    # -r rewrites every file, each still decryptable by the real age
    before = agenix.hashes()
    home_key = agenix.key
    missing = run("-r", "-i", str(home_key.with_name("missing")))
    assert missing.returncode != 0  # a missing -i key fails, as age does, and writes nothing
    assert agenix.hashes() == before
    rekeyed = run("-r", "-i", str(home_key))
    assert rekeyed.returncode == 0, rekeyed.stderr
    after = agenix.hashes()
    assert sorted(after) == sorted(before)
    assert all(after[name] != before[name] for name in before), "-r left a file unchanged"
    assert (folder / "armored-secret.age").read_text().startswith("-----BEGIN AGE ENCRYPTED")
    for name, plain in PLAINTEXTS.items():
        assert agenix.age_decrypt(name) == plain

    # user1 can edit passwordfile-user1.age; unchanged, the file stays byte-identical
    unchanged = agenix.hashes()
    edited = run("-e", "passwordfile-user1.age", tty=True, EDITOR="cat")
    assert edited.returncode == 0, edited.stderr
    assert agenix.hashes() == unchanged

    # a bogus id_rsa makes -e fail; -i names the key that works
    bogus = agenix.home / ".ssh" / "id_rsa"
    bogus.write_text("bogus\n")
    assert run("-e", "passwordfile-user1.age", tty=True, EDITOR="cat").returncode != 0
    explicit = run("-e", "passwordfile-user1.age", "-i", str(home_key), tty=True, EDITOR="cat")
    assert explicit.returncode == 0, explicit.stderr
    bogus.unlink()
    assert agenix.hashes() == unchanged

    # piped contents replace the secret; -d gives them back
    marker, since = f"agepy-agenix-{secrets.token_hex(12)}", time.time()
    piped = run("-e", "passwordfile-user1.age", input=f"{marker}\n".encode())
    assert piped.returncode == 0, piped.stderr
    assert marker.encode() in run("-d", "passwordfile-user1.age").stdout
    hyphen = run("-e", "-leading-hyphen-filename.age", input=marker.encode())
    assert hyphen.returncode == 0, hyphen.stderr
    assert run("-d", "-leading-hyphen-filename.age").stdout == marker.encode()
    # through the editor once more (the plaintext goes to a temporary file), unchanged
    again = run("-e", "passwordfile-user1.age", tty=True, EDITOR="cat")
    assert again.returncode == 0 and marker.encode() in again.stdout

    # finally, the plaintext lingers nowhere: not in /tmp, /dev/shm, $XDG_RUNTIME_DIR,
    # nor in the test's own folder (HOME and the secrets folder)
    assert find_leaks([marker.encode()], since) == []
