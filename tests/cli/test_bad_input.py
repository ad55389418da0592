"""A demanding user's sweep of bad input over the whole CLI.

Every case copies secrets.example into a fresh folder, damages it, runs one command and
checks the brief's rule: one ``agepy: error:`` line followed by an ``agepy: hint:`` line,
exit 1 (2 for usage), no traceback, and not a byte or mode changed on disk, no file added.
As root the command runs without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (the fork
server drops them, as `setpriv --bounding-set` would), so that file modes bind it as they
bind a user.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agepy.store import Store
from tests.support.cli import run_agepy
from tests.support.forkserver import popen_agepy

EXAMPLE = Path(__file__).resolve().parents[2] / "secrets.example"

# Public test keys not bound anywhere in the example.
DSS_KEY = (
    "ssh-dss AAAAB3NzaC1kc3MAAACBANB61iWf1jSkUeZHf4UXhs06Td/iSFHUirmon6C1raXfO0o6RIDO8EXw8VH1Z"
    "ALjD4Ae/HhdIzMF7UBkLV9lahK0d15SckJbIfYQM+V0zVDHQ0DqqI6UlNedbRc0p0q4ws7B5rSkuEdwG+ttY0wCS"
    "tGsaoPO+MngJc92lu6mIxIXAAAAFQDiqrxeZqRV7amCHOtSB8uWMuXomwAAAIEAiH32ZMpqn0c2Xe7qBzy2UoFpK"
    "g6YWXbwFUc6lOwYD0qHRAWmNIENoZY5Vf06XPlYWlRWIPmdPAlo7UhRLTBEMOoWO+5SpocSoAUCISngReQSKs7WZ"
    "CFPuXT0YCwdO+ob5oFLm+NVSt6EjtV9KJZQXI7bdg1IuoJBzoRqQOodwhwAAACAJfNrosbb8OXuivYkeIcVg17gu"
    "hsUTUOyLxhamX+CyBXuCbXgjB2EcY6T62ZAWtezqSgMCFsKTvu4M3d/+OqsFd9675+ETktIZFng0/23AsP6K3e+r"
    "kfOCLTSEfxw7TscN5dYAxJRfa4EQzBhkZ8xZ2Y6NcNwDC3Ao1x/jMXhx1M= test@dss"
)
ECDSA_KEY = (
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDRteVOTQmwWF708F"
    "h0I6AHPbH5JqUaXUz3FA3wWs58VAmiQVWRB5DTOzdaZNJJL3XkxMcNBimnDcljCy2xC+OI= test@ecdsa"
)
# A host key bound nowhere yet (its private half was thrown away); each repo has web.pub.
WEB_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICJqrB1h1pJaDVmSllv3qM8s9qe4O5o9pXbcKzP1FAMa web"
AGE_SECRET = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQSHY0F"
STALE_FROM = '"heisenbridge-config.age".publicKeys = users ++ [ matrix ];'
STALE_TO = '"heisenbridge-config.age".publicKeys = users ++ [ matrix backup ];'
WRONG_ID = "keys/backup_ssh_host_ed25519_key"


@dataclass(frozen=True)
class Env:
    """Where a case runs: the repo copy, the fake $HOME and two loopback ports."""

    repo: Path
    home: Path
    closed_port: int
    http_port: int


Damage = Callable[[Env], None]


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    damage: tuple[Damage, ...] = ()
    code: int = 1
    stdin: bytes = b""
    env: dict[str, str] = field(default_factory=dict)
    identity: bool = False  # append -i keys/alice
    tty: bool = False  # stdin is a terminal (so edit opens an editor)


# --- damage -------------------------------------------------------------------------


def write(rel: str, data: bytes | str, mode: int | None = None) -> Damage:
    def damage(env: Env) -> None:
        path = env.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        if mode is not None:
            path.chmod(mode)

    return damage


def chmod(rel: str, mode: int) -> Damage:
    def damage(env: Env) -> None:
        (env.repo / rel).chmod(mode)

    return damage


def mkdir(rel: str) -> Damage:
    def damage(env: Env) -> None:
        path = env.repo / rel
        if path.is_file():
            path.unlink()
        path.mkdir(parents=True)

    return damage


def replace(rel: str, old: str, new: str) -> Damage:
    def damage(env: Env) -> None:
        path = env.repo / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new))

    return damage


def truncate(rel: str, size: int) -> Damage:
    def damage(env: Env) -> None:
        path = env.repo / rel
        path.write_bytes(path.read_bytes()[:size])

    return damage


def flip_last_byte(rel: str) -> Damage:
    def damage(env: Env) -> None:
        path = env.repo / rel
        data = bytearray(path.read_bytes())
        data[-1] ^= 0x01
        path.write_bytes(bytes(data))

    return damage


def flip_header_mac(rel: str) -> Damage:
    def damage(env: Env) -> None:
        path = env.repo / rel
        data = path.read_bytes()
        at = data.index(b"\n--- ") + 5
        mac = data[at : at + 43]
        swapped = bytes([mac[0] ^ 0x01]) + mac[1:] if mac[:1] != b"A" else b"B" + mac[1:]
        path.write_bytes(data[:at] + swapped + data[at + 43 :])

    return damage


def unlink(rel: str) -> Damage:
    def damage(env: Env) -> None:
        (env.repo / rel).unlink()

    return damage


def home_ssh(env: Env) -> None:
    """A ~/.ssh with a known_hosts that knows nothing useful."""
    ssh = env.home / ".ssh"
    ssh.mkdir(mode=0o700)
    (ssh / "known_hosts").write_text("")


def remove_home(env: Env) -> None:
    env.home.rmdir()


def generated(rel: str, kind: str) -> Damage:
    """A secret made and recorded by agepy generate, readable by alice."""

    def damage(env: Env) -> None:
        Store(env.repo / "secrets.nix").generate(str(env.repo / rel), kind, to=["alice"])

    return damage


WG_RECORDED = generated("wg.age", "wireguard")
BAD_RECORD = write("agepy.toml", '[secrets."x.age"]\nkind = 3\n')


def encrypt_to_alice(rel: str, plaintext: bytes) -> Damage:
    def damage(env: Env) -> None:
        from agepy.age import encrypt_bytes
        from agepy.age.recipients import parse_recipient

        alice = parse_recipient((EXAMPLE / "keys" / "alice.pub").read_text().strip())
        (env.repo / rel).write_bytes(encrypt_bytes(plaintext, [alice]))

    return damage


def inventory_at_closed_port(env: Env) -> None:
    path = env.repo / "agepy.toml"
    text = path.read_text().replace('address = "backup.example.com"', 'address = "127.0.0.1"')
    path.write_text(text.replace("port = 22\n", f"port = {env.closed_port}\n", 1))


def inventory_at_http_port(env: Env) -> None:
    path = env.repo / "agepy.toml"
    text = path.read_text().replace('address = "backup.example.com"', 'address = "127.0.0.1"')
    path.write_text(text.replace("port = 22\n", f"port = {env.http_port}\n", 1))


READ_ONLY_REPO = chmod(".", 0o555)
DSS_PUB = write("dss.pub", DSS_KEY + "\n")
STALE = replace("secrets.nix", STALE_FROM, STALE_TO)
BROKEN_NIX = write("secrets.nix", '{ "a.age".publicKeys = [ "x" ;\n')
LATIN1_NIX = write("secrets.nix", '# caf\xe9\n{ "a.age".publicKeys = [ ]; }\n'.encode("latin-1"))
GARBAGE_TOML = write("agepy.toml", "[hosts.backup\naddress = = 3\n")
LATIN1_TOML = write("agepy.toml", "# caf\xe9\n[hosts]\n".encode("latin-1"))
GARBAGE_AGE = write("heisenbridge-config.age", b"this is not an age file\n")
TRUNCATED_AGE = truncate("heisenbridge-config.age", 60)
EMPTY_AGE = write("heisenbridge-config.age", b"")
BAD_ARMOR = write(
    "heisenbridge-config.age",
    "-----BEGIN AGE ENCRYPTED FILE-----\n!!!!not base64!!!!\n-----END AGE ENCRYPTED FILE-----\n",
)

# {closed}/{http}: loopback ports; {repo}, {home}: absolute folders.
CASES: list[Case] = [
    # --- encrypt ----------------------------------------------------------------------
    Case("encrypt-dss-key", ("encrypt", "-r", DSS_KEY, "secrets.nix")),
    Case("encrypt-ecdsa-key", ("encrypt", "-r", ECDSA_KEY, "secrets.nix")),
    Case("encrypt-bad-age1", ("encrypt", "-r", "age1notakey", "secrets.nix")),
    Case("encrypt-bad-base64", ("encrypt", "-r", "ssh-ed25519 AAAA!!!notbase64", "secrets.nix")),
    Case("encrypt-secret-key-as-recipient", ("encrypt", "-r", AGE_SECRET, "secrets.nix")),
    Case("encrypt-no-recipient", ("encrypt", "secrets.nix"), code=2),
    Case("encrypt-missing-R", ("encrypt", "-R", "nope.pub", "secrets.nix")),
    Case("encrypt-R-directory", ("encrypt", "-R", "keys", "secrets.nix")),
    Case("encrypt-R-private-key", ("encrypt", "-R", "keys/alice", "secrets.nix")),
    Case(
        "encrypt-R-latin1",
        ("encrypt", "-R", "people.txt", "secrets.nix"),
        (write("people.txt", b"# caf\xe9\n"),),
    ),
    Case(
        "encrypt-R-empty", ("encrypt", "-R", "empty.pub", "secrets.nix"), (write("empty.pub", ""),)
    ),
    Case(
        "encrypt-R-unreadable",
        ("encrypt", "-R", "keys/alice.pub", "secrets.nix"),
        (chmod("keys/alice.pub", 0o000),),
    ),
    Case("encrypt-missing-input", ("encrypt", "-R", "keys/alice.pub", "nope.txt")),
    Case("encrypt-input-directory", ("encrypt", "-R", "keys/alice.pub", "keys")),
    Case(
        "encrypt-input-unreadable",
        ("encrypt", "-R", "keys/alice.pub", "-o", "x.age", "plain.txt"),
        (write("plain.txt", "secret", 0o000),),
    ),
    Case(
        "encrypt-output-missing-dir",
        ("encrypt", "-R", "keys/alice.pub", "-o", "no/x.age", "secrets.nix"),
    ),
    Case(
        "encrypt-output-directory", ("encrypt", "-R", "keys/alice.pub", "-o", "keys", "secrets.nix")
    ),
    Case(
        "encrypt-output-read-only-dir",
        ("encrypt", "-R", "keys/alice.pub", "-o", "new.age", "secrets.nix"),
        (READ_ONLY_REPO,),
    ),
    # --- decrypt ----------------------------------------------------------------------
    Case("decrypt-garbage", ("decrypt", "heisenbridge-config.age"), (GARBAGE_AGE,), identity=True),
    Case(
        "decrypt-truncated", ("decrypt", "heisenbridge-config.age"), (TRUNCATED_AGE,), identity=True
    ),
    Case("decrypt-empty", ("decrypt", "heisenbridge-config.age"), (EMPTY_AGE,), identity=True),
    Case("decrypt-bad-armor", ("decrypt", "heisenbridge-config.age"), (BAD_ARMOR,), identity=True),
    Case(
        "decrypt-header-mac",
        ("decrypt", "heisenbridge-config.age"),
        (flip_header_mac("heisenbridge-config.age"),),
        identity=True,
    ),
    Case(
        "decrypt-payload-to-file",
        ("decrypt", "-o", "out.txt", "heisenbridge-config.age"),
        (flip_last_byte("heisenbridge-config.age"),),
        identity=True,
    ),
    Case("decrypt-wrong-identity", ("decrypt", "-i", WRONG_ID, "heisenbridge-config.age")),
    Case("decrypt-identity-missing", ("decrypt", "-i", "keys/nope", "heisenbridge-config.age")),
    Case("decrypt-identity-directory", ("decrypt", "-i", "keys", "heisenbridge-config.age")),
    Case("decrypt-identity-public", ("decrypt", "-i", "keys/alice.pub", "heisenbridge-config.age")),
    Case(
        "decrypt-identity-garbage",
        ("decrypt", "-i", "junk", "heisenbridge-config.age"),
        (
            write(
                "junk",
                "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
            ),
        ),
    ),
    Case(
        "decrypt-identity-binary",
        ("decrypt", "-i", "junk", "heisenbridge-config.age"),
        (write("junk", b"\xff\xfe\x00garbage"),),
    ),
    Case(
        "decrypt-identity-unreadable",
        ("decrypt", "-i", "keys/alice", "heisenbridge-config.age"),
        (chmod("keys/alice", 0o000),),
    ),
    Case("decrypt-no-home-ssh", ("decrypt", "heisenbridge-config.age")),
    Case("decrypt-no-home", ("decrypt", "heisenbridge-config.age"), (remove_home,)),
    Case("decrypt-missing-file", ("decrypt", "nope.age"), identity=True),
    Case("decrypt-directory", ("decrypt", "keys"), identity=True),
    Case(
        "decrypt-unreadable",
        ("decrypt", "heisenbridge-config.age"),
        (chmod("heisenbridge-config.age", 0o000),),
        identity=True,
    ),
    Case(
        "decrypt-output-read-only-dir",
        ("decrypt", "-o", "out.txt", "heisenbridge-config.age"),
        (READ_ONLY_REPO,),
        identity=True,
    ),
    Case(
        "decrypt-output-directory",
        ("decrypt", "-o", "keys", "heisenbridge-config.age"),
        identity=True,
    ),
    Case("decrypt-stdin-garbage", ("decrypt", "-"), stdin=b"hello\n", identity=True),
    # --- inspect ----------------------------------------------------------------------
    Case("inspect-garbage", ("inspect", "heisenbridge-config.age"), (GARBAGE_AGE,)),
    Case("inspect-empty", ("inspect", "heisenbridge-config.age"), (EMPTY_AGE,)),
    Case("inspect-missing", ("inspect", "nope.age")),
    Case("inspect-directory", ("inspect", "keys")),
    Case("inspect-bad-armor", ("inspect", "heisenbridge-config.age"), (BAD_ARMOR,)),
    Case(
        "inspect-broken-rules",
        ("inspect", "--rules", "secrets.nix", "heisenbridge-config.age"),
        (BROKEN_NIX,),
    ),
    Case("inspect-R-directory", ("inspect", "-R", "keys", "heisenbridge-config.age")),
    Case("inspect-R-missing", ("inspect", "-R", "nope.pub", "heisenbridge-config.age")),
    # --- list / check -----------------------------------------------------------------
    Case("list-broken-nix", ("list",), (BROKEN_NIX,)),
    Case("list-latin1-nix", ("list",), (LATIN1_NIX,)),
    Case("list-missing-rules", ("list",), (unlink("secrets.nix"),)),
    Case("list-rules-directory", ("list", "--rules", "keys")),
    Case("list-rules-unreadable", ("list",), (chmod("secrets.nix", 0o000),)),
    Case("list-not-attrset", ("list",), (write("secrets.nix", '[ "a" ]\n'),)),
    Case(
        "list-publickeys-not-list",
        ("list",),
        (write("secrets.nix", '{ "a.age".publicKeys = "ssh-ed25519 AAAA"; }\n'),),
    ),
    Case(
        # `list` and `check` show a key that does not parse; encrypting the entry fails.
        "edit-malformed-key",
        ("edit", "a.age"),
        (write("secrets.nix", '{ "a.age".publicKeys = [ "ssh-ed25519 AAAA!!" ]; }\n'),),
    ),
    Case(
        "list-undefined-var",
        ("list",),
        (write("secrets.nix", '{ "a.age".publicKeys = [ bob ]; }\n'),),
    ),
    Case("list-nix-evaluator-broken", ("list", "--evaluator", "nix"), (BROKEN_NIX,)),
    Case("list-RULES-missing", ("list",), env={"RULES": "nope/secrets.nix"}),
    Case("check-broken-nix", ("check",), (BROKEN_NIX,)),
    Case("check-latin1-nix", ("check",), (LATIN1_NIX,)),
    Case("check-json-broken-nix", ("check", "--json"), (BROKEN_NIX,)),
    # --- edit -------------------------------------------------------------------------
    Case(
        "edit-missing-editor",
        ("edit", "--editor", "/nonexistent/editor", "restic-password.age"),
        identity=True,
    ),
    Case("edit-no-editor", ("edit", "restic-password.age"), identity=True, tty=True),
    Case("edit-empty-stdin", ("edit", "restic-password.age"), identity=True),
    Case(
        "edit-new-editor-fails",
        ("edit", "--editor", "false", "--to", "alice", "new.age"),
        identity=True,
    ),
    Case(
        "edit-new-editor-missing",
        ("edit", "--editor", "/nonexistent/editor", "--host", "backup", "new.age"),
        identity=True,
    ),
    Case("edit-new-empty-stdin", ("edit", "--to", "alice", "new.age"), identity=True),
    Case("edit-editor-fails", ("edit", "--editor", "false", "restic-password.age"), identity=True),
    Case(
        "edit-editor-unparsable",
        ("edit", "--editor", "vi 'unclosed", "restic-password.age"),
        identity=True,
    ),
    Case(
        "edit-wrong-identity",
        ("edit", "--editor", "true", "-i", WRONG_ID, "heisenbridge-config.age"),
    ),
    Case(
        "edit-corrupt",
        ("edit", "--editor", "true", "heisenbridge-config.age"),
        (GARBAGE_AGE,),
        identity=True,
    ),
    Case(
        "edit-read-only-dir",
        ("edit", "--editor", "sh -c 'echo more >> \"$1\"' editor", "restic-password.age"),
        (READ_ONLY_REPO,),
        identity=True,
    ),
    Case(
        "edit-broken-nix",
        ("edit", "--editor", "true", "restic-password.age"),
        (BROKEN_NIX,),
        identity=True,
    ),
    Case(
        "edit-new-unknown-recipient",
        ("edit", "--editor", "sh -c 'echo x > \"$1\"' editor", "--to", "nobody", "new.age"),
        identity=True,
    ),
    # --- rekey ------------------------------------------------------------------------
    Case("rekey-wrong-identity", ("rekey", "-i", WRONG_ID), (STALE,)),
    Case("rekey-read-only-dir", ("rekey",), (STALE, READ_ONLY_REPO), identity=True),
    Case(
        "rekey-corrupt",
        ("rekey", "--force", "heisenbridge-config.age"),
        (GARBAGE_AGE,),
        identity=True,
    ),
    Case("rekey-unknown-name", ("rekey", "nope.age"), identity=True),
    Case("rekey-broken-nix", ("rekey",), (BROKEN_NIX,), identity=True),
    Case("rekey-no-home-ssh", ("rekey",), (STALE,)),
    Case("rekey-identity-directory", ("rekey", "-i", "keys"), (STALE,)),
    # --- keyscan ----------------------------------------------------------------------
    Case("keyscan-refused", ("keyscan", "-T", "2", "127.0.0.1:{closed}")),
    Case("keyscan-not-ssh", ("keyscan", "-T", "2", "127.0.0.1:{http}")),
    Case("keyscan-bad-name", ("keyscan", "-T", "2", "bad..name")),
    Case("keyscan-bad-port", ("keyscan", "127.0.0.1:99999")),
    Case("keyscan-bad-type", ("keyscan", "-t", "dsa", "127.0.0.1"), code=2),
    Case("keyscan-no-type", ("keyscan", "-t", ",", "127.0.0.1"), code=2),
    Case("keyscan-file-latin1", ("keyscan", "-f", "t.txt"), (write("t.txt", b"h\xe9\n"),)),
    Case("keyscan-zero-timeout", ("keyscan", "-T", "0", "127.0.0.1"), code=2),
    Case("keyscan-missing-file", ("keyscan", "-f", "nope.txt")),
    Case("keyscan-file-directory", ("keyscan", "-f", "keys")),
    # --- add-host ---------------------------------------------------------------------
    Case("add-host-refused", ("add-host", "-y", "-T", "2", "web", "127.0.0.1:{closed}")),
    Case("add-host-not-ssh", ("add-host", "-y", "-T", "2", "web", "127.0.0.1:{http}")),
    Case("add-host-bad-name", ("add-host", "-y", "web", "bad..name")),
    Case(
        "add-host-invalid-binding", ("add-host", "-y", "--key-file", "keys/alice.pub", "1 web", "h")
    ),
    Case("add-host-name-taken", ("add-host", "-y", "--key-file", "keys/alice.pub", "matrix", "h")),
    Case("add-host-key-file-directory", ("add-host", "-y", "--key-file", "keys", "web", "h")),
    Case("add-host-key-file-missing", ("add-host", "-y", "--key-file", "nope.pub", "web", "h")),
    Case("add-host-key-file-private", ("add-host", "-y", "--key-file", "keys/alice", "web", "h")),
    Case(
        "add-host-key-file-dss",
        ("add-host", "-y", "--key-file", "dss.pub", "web", "h"),
        (DSS_PUB,),
    ),
    Case(
        "add-host-key-file-latin1",
        ("add-host", "-y", "--key-file", "k.pub", "web", "h"),
        (write("k.pub", b"caf\xe9\n"),),
    ),
    Case("add-host-known-hosts-no-ssh", ("add-host", "-y", "--known-hosts", "web", "h.example")),
    Case(
        "add-host-known-hosts-unknown",
        ("add-host", "-y", "--known-hosts", "web", "h.example"),
        (home_ssh,),
    ),
    Case(
        "add-host-fingerprint-mismatch",
        (
            "add-host",
            "--fingerprint",
            "SHA256:" + "A" * 43,
            "--key-file",
            "keys/alice.pub",
            "web",
            "h",
        ),
    ),
    Case(
        "add-host-to-unknown-secret",
        ("add-host", "-y", "--key-file", "web.pub", "--to", "nope.age", "web", "h"),
        identity=True,
    ),
    Case(
        "add-host-garbage-toml",
        ("add-host", "-y", "--key-file", "web.pub", "web", "h"),
        (GARBAGE_TOML,),
    ),
    Case(
        "add-host-read-only-dir",
        ("add-host", "-y", "--key-file", "web.pub", "web", "h"),
        (READ_ONLY_REPO,),
    ),
    Case(
        "add-host-to-wrong-identity",
        (
            "add-host",
            "-y",
            "--key-file",
            "web.pub",
            "--to",
            "heisenbridge-config.age",
            "-i",
            WRONG_ID,
            "web",
            "h",
        ),
    ),
    Case(
        "add-host-broken-nix",
        ("add-host", "-y", "--key-file", "web.pub", "web", "h"),
        (BROKEN_NIX,),
    ),
    # --- rescan -----------------------------------------------------------------------
    Case("rescan-unknown-host", ("rescan", "-y", "nohost")),
    Case("rescan-refused", ("rescan", "-y", "-T", "2", "backup"), (inventory_at_closed_port,)),
    Case("rescan-not-ssh", ("rescan", "-y", "-T", "2", "backup"), (inventory_at_http_port,)),
    Case("rescan-garbage-toml", ("rescan", "-y", "backup"), (GARBAGE_TOML,)),
    Case("rescan-latin1-toml", ("rescan", "-y", "backup"), (LATIN1_TOML,)),
    Case("rescan-missing-toml", ("rescan", "-y", "backup"), (unlink("agepy.toml"),)),
    Case(
        "rescan-key-file-garbage",
        ("rescan", "-y", "--key-file", "junk.pub", "backup"),
        (write("junk.pub", "hello world\n"),),
    ),
    Case("rescan-key-file-not-pub", ("rescan", "-y", "--key-file", "secrets.nix", "backup")),
    Case("rescan-key-file-directory", ("rescan", "-y", "--key-file", "keys", "backup")),
    Case("rescan-key-file-dss", ("rescan", "-y", "--key-file", "dss.pub", "backup"), (DSS_PUB,)),
    Case(
        "rescan-wrong-identity",
        ("rescan", "-y", "--key-file", "new.pub", "-i", WRONG_ID, "matrix"),
        (write("new.pub", (EXAMPLE / "keys" / "alice.pub").read_text()),),
    ),
    # --- hosts ------------------------------------------------------------------------
    Case("hosts-garbage-toml", ("hosts",), (GARBAGE_TOML,)),
    Case("hosts-latin1-toml", ("hosts",), (LATIN1_TOML,)),
    Case("hosts-wrong-schema", ("hosts",), (write("agepy.toml", "hosts = 3\n"),)),
    Case(
        "hosts-bad-key",
        ("hosts",),
        (replace("agepy.toml", "AAAAC3NzaC1lZDI1NTE5AAAAILUL", "AAAA!!"),),
    ),
    Case("hosts-toml-directory", ("hosts",), (mkdir("agepy.toml"),)),
    Case("hosts-toml-unreadable", ("hosts",), (chmod("agepy.toml", 0o000),)),
    Case("hosts-broken-nix", ("hosts",), (BROKEN_NIX,)),
    # --- generate / show / nixos-snippet / demo / completion ---------------------------
    Case("generate-token-zero", ("generate", "token", "--bytes", "0"), code=2),
    Case("generate-token-huge", ("generate", "token", "--bytes", "99999999999"), code=2),
    Case("generate-conduit-no-name", ("generate", "conduit-config"), code=2),
    Case(
        "generate-conduit-bad-name",
        ("generate", "conduit-config", "--server-name", "bad name!"),
        code=2,
    ),
    Case(
        "generate-conduit-bad-port",
        ("generate", "conduit-config", "--server-name", "ex.org", "--port", "0"),
        code=2,
    ),
    Case("show-wrong-identity", ("show", "heisenbridge-config", "-i", WRONG_ID)),
    Case("show-corrupt", ("show", "heisenbridge-config"), (GARBAGE_AGE,), identity=True),
    Case(
        "show-not-yaml",
        ("show", "heisenbridge-config"),
        (encrypt_to_alice("heisenbridge-config.age", b"{ not: [yaml\n"),),
        identity=True,
    ),
    Case(
        "show-not-registration",
        ("show", "heisenbridge-config"),
        (encrypt_to_alice("heisenbridge-config.age", b"- just\n- a list\n"),),
        identity=True,
    ),
    Case("show-unknown-name", ("show", "heisenbridge-config", "--name", "nope.age"), identity=True),
    Case(
        "show-register-no-server",
        ("show", "heisenbridge-config", "--register-command"),
        identity=True,
        code=2,
    ),
    Case(
        "nixos-snippet-secret-outside-flake",
        ("nixos-snippet", "--server-name", "ex.org", "--flake-dir", "keys"),
        code=2,
    ),
    Case("nixos-snippet-bad-server-name", ("nixos-snippet", "--server-name", "bad name!"), code=2),
    Case(
        "nixos-snippet-bad-homeserver",
        ("nixos-snippet", "--server-name", "ex.org", "--homeserver", "ftp://x"),
        code=2,
    ),
    Case(
        "nixos-snippet-bad-port",
        ("nixos-snippet", "--server-name", "ex.org", "--port", "0"),
        code=2,
    ),
    Case("demo-extra-argument", ("demo", "extra"), code=2),
    Case("completion-unknown-shell", ("completion", "tcsh"), code=2),
    # --- encrypt generators -----------------------------------------------------------
    Case(
        "heisenbridge-exists",
        ("encrypt", "heisenbridge-config"),
        identity=True,
    ),
    Case(
        "heisenbridge-rotate-wrong-identity",
        ("encrypt", "heisenbridge-config", "--rotate", "-i", WRONG_ID),
    ),
    Case(
        "heisenbridge-rotate-corrupt",
        ("encrypt", "heisenbridge-config", "--rotate"),
        (GARBAGE_AGE,),
        identity=True,
    ),
    Case(
        "heisenbridge-new-unknown-host",
        ("encrypt", "heisenbridge-config", "--name", "hb.age", "--host", "nohost"),
        identity=True,
    ),
    Case(
        "heisenbridge-new-bad-url",
        ("encrypt", "heisenbridge-config", "--name", "hb.age", "--url", "not a url"),
        identity=True,
        code=2,
    ),
    Case(
        "heisenbridge-read-only-dir",
        ("encrypt", "heisenbridge-config", "--rotate"),
        (READ_ONLY_REPO,),
        identity=True,
    ),
    Case(
        "conduit-empty-stdin-token",
        ("encrypt", "conduit-registration-token", "--rotate", "--token", "-"),
        identity=True,
        code=2,
    ),
    Case(
        "conduit-token-newline",
        ("encrypt", "conduit-registration-token", "--rotate", "--token", "a\nb"),
        identity=True,
        code=2,
    ),
    Case(
        "conduit-rotate-wrong-identity",
        ("encrypt", "conduit-registration-token", "--rotate", "-i", WRONG_ID),
    ),
    Case(
        "conduit-read-only-dir",
        ("encrypt", "conduit-registration-token", "--rotate"),
        (READ_ONLY_REPO,),
        identity=True,
    ),
    Case(
        "conduit-new-no-recipient",
        ("encrypt", "conduit-registration-token", "--name", "c.age", "--no-self"),
        identity=True,
    ),
    Case(
        "conduit-new-malformed-key",
        ("encrypt", "conduit-registration-token", "--name", "c.age", "--to", "ssh-ed25519 AAAA!!"),
        identity=True,
    ),
    # --- generate NAME --kind / show NAME --public / nixos-snippet NAME ----------------
    Case("generate-unknown-kind", ("generate", "x.age", "--kind", "nope", "--to", "alice"), code=2),
    Case("generate-other-kind", ("generate", "wg.age", "--kind", "token"), (WG_RECORDED,), code=2),
    Case(
        "generate-short-token",
        ("generate", "x.age", "--kind", "token", "--length", "8", "--to", "alice"),
        code=2,
    ),
    Case("generate-env-no-var", ("generate", "x.age", "--kind", "env", "--to", "alice"), code=2),
    Case("generate-no-recipient", ("generate", "x.age", "--kind", "token")),
    Case("generate-not-generated", ("generate", "restic-password.age", "--kind", "passphrase")),
    Case("generate-rotate-unrecorded", ("generate", "--rotate", "restic-password.age")),
    Case("generate-bad-record", ("generate",), (BAD_RECORD,)),
    Case("generate-garbage-toml", ("generate",), (GARBAGE_TOML,)),
    Case(
        "generate-read-only-dir",
        ("generate", "x.age", "--kind", "token", "--to", "alice"),
        (READ_ONLY_REPO,),
    ),
    Case(
        "generate-rotate-read-only-dir",
        ("generate", "--rotate", "wg.age"),
        (WG_RECORDED, READ_ONLY_REPO),
    ),
    Case("show-public-none", ("show", "restic-password.age", "--public")),
    Case(
        "nixos-snippet-bad-owner",
        ("nixos-snippet", "wg.age", "--owner", "A B"),
        (WG_RECORDED,),
        code=2,
    ),
    Case("nixos-snippet-unknown-secret", ("nixos-snippet", "nope.age")),
]


# --- loopback servers ----------------------------------------------------------------


def closed_port() -> int:
    """A loopback port nobody listens on: bound, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    """A loopback server that answers like a web server, not like SSH."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


# --- the sweep -----------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every path under root: its mode, and its bytes when it is a file."""
    seen: dict[str, tuple[int, bytes | None]] = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder, name)
            info = path.lstat()
            content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
            seen[str(path.relative_to(root))] = (info.st_mode, content)
    return seen


def run_child(
    args: list[str], cwd: Path, env: dict[str, str], input: bytes | None, tty: int | None
) -> subprocess.CompletedProcess[bytes]:
    """`agepy ARGS` as a child process (forked by tests.support.forkserver), its stdin the
    terminal ``tty`` or ``input``; as root without the DAC override and read-search
    capabilities, so that file modes bind it as they bind a user."""
    process = popen_agepy(
        args,
        cwd=cwd,
        env=env,
        stdin=tty if tty is not None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        drop_dac=os.geteuid() == 0,
    )
    stdout, stderr = process.communicate(None if tty is not None else input, timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def root_would_ignore_modes(seen: dict[str, tuple[int, bytes | None]]) -> bool:
    """Running as root, would a mode keep the owner out of a path (root ignores it)?"""
    if os.geteuid() != 0:
        return False
    for mode, _content in seen.values():
        wanted = 0o700 if stat.S_ISDIR(mode) else 0o600
        if not stat.S_ISLNK(mode) and mode & wanted != wanted:
            return True
    return False


def test_table_is_big_and_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 60


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, tmp_path: Path, http_port: int) -> None:
    repo = tmp_path / "repo"
    home = tmp_path / "home"
    shutil.copytree(EXAMPLE, repo)
    (repo / "web.pub").write_text(WEB_KEY + "\n")
    home.mkdir()
    env = Env(repo=repo, home=home, closed_port=closed_port(), http_port=http_port)
    for damage in case.damage:
        damage(env)
    before = snapshot(tmp_path)

    args = [
        arg.format(closed=env.closed_port, http=env.http_port, repo=repo, home=home)
        for arg in case.args
    ]
    if case.identity:
        args += ["-i", "keys/alice"]
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("RULES", "VISUAL", "EDITOR", "SSH_AUTH_SOCK")
    }
    environ.update(NO_COLOR="1", HOME=str(home), **case.env)
    if case.tty:
        leader, follower = os.openpty()
    try:
        if case.tty or root_would_ignore_modes(before):
            # A terminal, or modes only a process without root's DAC override obeys.
            result = run_child(args, repo, environ, case.stdin, follower if case.tty else None)
        else:
            result = run_agepy(args, cwd=repo, env=environ, input=case.stdin)
        after = snapshot(tmp_path)
    finally:
        if case.tty:
            os.close(leader)
            os.close(follower)
        # Let pytest remove the folder whatever the command did.
        if repo.exists():
            repo.chmod(0o755)
    stderr = result.stderr.decode(errors="replace")
    report = f"exit {result.returncode}\nstderr:\n{stderr}\nstdout:\n{result.stdout[:500]!r}"

    assert result.returncode == case.code, report
    lines = stderr.splitlines()
    assert lines and lines[0].startswith("agepy: error: "), report
    assert sum(line.startswith("agepy: error:") for line in lines) == 1, report
    assert any(line.startswith("agepy: hint: ") for line in lines), report
    assert "Traceback" not in stderr, report
    assert "internal error" not in stderr, report
    changed = sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )
    assert not changed, f"changed on disk: {changed}\n{report}"
