"""The Matrix commands end to end on a throwaway repository, checked with the real `age`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from agepy.matrix.heisenbridge import generate_registration, parse_registration
from tests.matrix.conftest import Run
from tests.matrix.test_conduit import conduit_parse
from tests.support.repo import Repo

TOKEN = re.compile(r"[A-Za-z0-9]{64}")


def _snapshot(repo: Repo) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in repo.rules.parent.iterdir()}


def test_no_entry_and_no_recipients_is_a_clear_error(repo: Repo, agepy: Run) -> None:
    before = _snapshot(repo)
    result = agepy("encrypt", "heisenbridge-config")
    assert result.code == 1
    assert result.err.startswith("agepy: error: no entry 'heisenbridge-config.age'")
    assert "agepy: hint: " in result.err and "--host" in result.err
    assert _snapshot(repo) == before


def test_create_show_refuse_rotate(repo: Repo, agepy: Run) -> None:
    run = agepy
    admin = ("-i", str(repo.keys["admin"].private))
    result = run("encrypt", "heisenbridge-config", "--host", "matrix", *admin)
    assert result.code == 0, result.err
    assert result.out == ""
    # The entry names the host and the creator's own key, by their bindings.
    assert re.search(
        r'"heisenbridge-config\.age"\.publicKeys = \[ matrix admin \];', (repo.rules.read_text())
    )
    plain = repo.age_decrypt("heisenbridge-config.age", "matrix")  # the host decrypts with real age
    assert plain == repo.age_decrypt("heisenbridge-config.age", "admin")
    parse_registration(plain)
    assert TOKEN.sub("T", plain.decode()) == TOKEN.sub("T", generate_registration())

    shown = run("show", "heisenbridge-config", *admin)
    assert shown.code == 0, shown.err
    assert shown.out.encode() == plain
    message = run(
        "show", "heisenbridge-config", "--register-command", "--server-name", "example.com", *admin
    )
    argv, body = conduit_parse(message.out)
    assert argv == ["@conduit:example.com:", "register-appservice"]
    assert yaml.safe_load(body) == yaml.safe_load(plain)

    # A second run without --rotate refuses and leaves everything as it was.
    before = _snapshot(repo)
    again = run("encrypt", "heisenbridge-config", "--host", "matrix", *admin)
    assert again.code == 1
    assert "already exists" in again.err and "--rotate" in again.err
    assert _snapshot(repo) == before

    rotated = run("encrypt", "heisenbridge-config", "--rotate", *admin)
    assert rotated.code == 0, rotated.err
    new = repo.age_decrypt("heisenbridge-config.age", "matrix")
    old_lines, new_lines = plain.decode().splitlines(), new.decode().splitlines()
    changed = [a.split(":")[0] for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert changed == ["as_token", "hs_token"]
    assert repo.rules.read_bytes() == before[str(repo.rules)]


def test_rotate_refuses_new_settings_and_missing_secrets(repo: Repo, agepy: Run) -> None:
    before = _snapshot(repo)
    result = agepy("encrypt", "heisenbridge-config", "--rotate", "--url", "http://x:1")
    assert result.code == 2 and "--url" in result.err
    result = agepy("encrypt", "heisenbridge-config", "--rotate", "--host", "matrix")
    assert result.code == 1 and "nothing to rotate" in result.err
    result = agepy("encrypt", "heisenbridge-config", "--host", "matrix", "--prefix", "irc")
    assert result.code == 2 and "--prefix" in result.err
    assert _snapshot(repo) == before


def test_an_existing_entry_decides_the_recipients(repo: Repo, agepy: Run) -> None:
    text = repo.rules.read_text().replace(
        '  "other', '  "heisenbridge-config.age".publicKeys = [ matrix ];\n  "other'
    )
    repo.rules.write_text(text)
    result = agepy("encrypt", "heisenbridge-config", "-i", str(repo.keys["admin"].private))
    assert result.code == 0, result.err
    assert repo.rules.read_text() == text
    parse_registration(repo.age_decrypt("heisenbridge-config.age", "matrix"))
    data = (repo.dir / "heisenbridge-config.age").read_bytes()
    assert repo.decrypts(data, "admin") is None  # only the host was named


def test_conduit_token(repo: Repo, agepy: Run) -> None:
    admin = ("-i", str(repo.keys["admin"].private))
    result = agepy("encrypt", "conduit-registration-token", "--host", "matrix", *admin)
    assert result.code == 0, result.err
    token = result.out.strip()
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert (
        repo.age_decrypt("conduit-env.age", "matrix")
        == f"CONDUIT_REGISTRATION_TOKEN={token}\n".encode()
    )

    before = _snapshot(repo)
    again = agepy("encrypt", "conduit-registration-token", "--host", "matrix", *admin)
    assert again.code == 1 and again.out == ""
    bad = agepy("encrypt", "conduit-registration-token", "--rotate", "--token", "x y", *admin)
    assert bad.code == 2
    assert _snapshot(repo) == before

    quiet = agepy("encrypt", "conduit-registration-token", "--rotate", "-q", *admin)
    assert quiet.code == 0 and quiet.out == "" and quiet.err == ""
    line = repo.age_decrypt("conduit-env.age", "matrix").decode()
    assert line.startswith("CONDUIT_REGISTRATION_TOKEN=") and token not in line

    given = "a" * 40
    chosen = agepy("encrypt", "conduit-registration-token", "--rotate", "--token", given, *admin)
    assert chosen.code == 0 and chosen.out == ""
    assert (
        repo.age_decrypt("conduit-env.age", "matrix")
        == f"CONDUIT_REGISTRATION_TOKEN={given}\n".encode()
    )


def test_show_needs_server_name_for_the_command(repo: Repo, agepy: Run) -> None:
    result = agepy("show", "heisenbridge-config", "--register-command")
    assert result.code == 2 and "--server-name" in result.err


def test_generate_token_and_conduit_config(agepy: Run) -> None:
    result = agepy("generate", "token")
    assert result.code == 0 and re.fullmatch(r"[0-9a-f]{32}\n", result.out)
    result = agepy("generate", "token", "--bytes", "32", "-q")
    assert re.fullmatch(r"[0-9a-f]{64}\n", result.out)
    assert agepy("generate", "token", "--bytes", "4").code == 2
    result = agepy("generate", "conduit-config", "--server-name", "example.com")
    assert result.code == 0 and 'server_name = "example.com"' in result.out
    assert "registration_token =" not in result.out
    assert agepy("generate", "conduit-config", "--server-name", "http://x").code == 2


def test_nixos_snippet_paths_follow_the_rules(repo: Repo, agepy: Run, nix_instantiate: str) -> None:
    result = agepy(
        "nixos-snippet", "all", "--server-name", "example.com", "--owner", "@me:example.com"
    )
    assert result.code == 0, result.err
    assert "file = ./secrets/heisenbridge-config.age;" in result.out
    assert "file = ./secrets/conduit-env.age;" in result.out
    assert 'owner = "@me:example.com";' in result.out
    module = repo.root / "matrix.nix"
    module.write_text(result.out)
    done = subprocess.run(
        [nix_instantiate, "--parse", str(module)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    missing = agepy("nixos-snippet", "conduit")
    assert missing.code == 2 and "--server-name" in missing.err


def test_rotate_with_a_key_that_cannot_decrypt_changes_nothing(
    repo: Repo, agepy: Run, tmp_path: Path, ssh_keygen_bin: str
) -> None:
    assert agepy("encrypt", "heisenbridge-config", "--to", "matrix", "--no-self").code == 0
    before = _snapshot(repo)
    stranger = tmp_path / "stranger"
    subprocess.run(
        [ssh_keygen_bin, "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True
    )
    result = agepy("encrypt", "heisenbridge-config", "--rotate", "-i", str(stranger))
    assert result.code == 1 and result.err.startswith("agepy: error: ")
    assert "Traceback" not in result.err
    assert _snapshot(repo) == before


def test_a_failed_write_takes_back_the_new_entry(repo: Repo, agepy: Run) -> None:
    (repo.rules.parent / "sub").write_text("a file where a folder would have to be\n")
    before = _snapshot(repo)
    result = agepy("encrypt", "heisenbridge-config", "--name", "sub/x.age", "--host", "matrix")
    assert result.code == 1 and result.err.startswith("agepy: error: ")
    assert _snapshot(repo) == before


def test_own_key_already_named_is_not_repeated(repo: Repo, agepy: Run) -> None:
    result = agepy(
        "encrypt", "heisenbridge-config", "--host", "matrix", "-i", str(repo.keys["matrix"].private)
    )
    assert result.code == 0, result.err
    assert '"heisenbridge-config.age".publicKeys = [ matrix ];' in repo.rules.read_text()
