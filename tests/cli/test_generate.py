"""`agepy generate`, `show --public` and `nixos-snippet NAME` end to end on a copy of
secrets.example inside a flake, checked with the real age, crypt(3), ssh-keygen, wg and
nix-instantiate."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from agepy.hosts import Inventory
from agepy.store import Store
from tests.conftest import require_tool
from tests.support.cli import run_agepy
from tests.support.nix_batch import parse_texts

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

EXAMPLE = Path(__file__).resolve().parents[2] / "secrets.example"


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Env:
    root: Path  # the flake
    secrets: Path  # root/secrets, the rules folder (the current folder)

    def run(self, *args: str) -> Result:
        raise NotImplementedError

    def decrypt(self, name: str) -> bytes:
        done = subprocess.run(
            [require_tool("age"), "-d", "-i", "keys/alice", name],
            cwd=self.secrets,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def snapshot(self) -> dict[str, tuple[int, bytes | None]]:
        seen: dict[str, tuple[int, bytes | None]] = {}
        for folder, dirs, files in os.walk(self.root):
            for name in [*dirs, *files]:
                path = Path(folder, name)
                info = path.lstat()
                content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
                seen[str(path.relative_to(self.root))] = (info.st_mode, content)
        return seen

    def records(self) -> dict[str, dict[str, object]]:
        data = tomllib.loads((self.secrets / "agepy.toml").read_text())
        secrets: dict[str, dict[str, object]] = data.get("secrets", {})
        return secrets


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    root = tmp_path / "flake"
    shutil.copytree(EXAMPLE, root / "secrets")
    (root / "flake.nix").write_text("{ outputs = _: { }; }\n")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # no ~/.ssh: nothing may need a private key
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(root / "secrets")
    found = Env(root, root / "secrets")

    def run(*args: str) -> Result:
        done = run_agepy(args, text=True)
        return Result(done.returncode, done.stdout, done.stderr)

    found.run = run  # type: ignore[method-assign]
    return found


def ok(result: Result) -> Result:
    assert result.code == 0, result.err
    return result


def make_all(env: Env) -> dict[str, str]:
    """One secret of each non-Matrix kind, readable by alice; name -> stdout."""
    commands = {
        "alice-password.age": ["--kind", "password-hash"],
        "wg-backup.age": ["--kind", "wireguard", "--host", "backup"],
        "deploy-key.age": ["--kind", "ssh-ed25519"],
        "api.env.age": ["--kind", "env", "--var", "API_TOKEN", "--format", "alnum"],
        "restic-words.age": ["--kind", "passphrase", "--words", "7"],
        "token.age": ["--kind", "token", "--format", "base64", "--length", "40"],
    }
    return {
        name: ok(env.run("generate", name, *args, "--to", "alice")).out
        for name, args in commands.items()
    }


def test_each_kind_is_what_its_consumer_reads(env: Env, tmp_path: Path) -> None:
    outputs = make_all(env)
    rules = (env.secrets / "secrets.nix").read_text()
    assert '"wg-backup.age".publicKeys = [ alice backup ];' in rules
    assert '"alice-password.age".publicKeys = [ alice ];' in rules

    # password-hash: the clear password printed once, its hash the secret, stored nowhere.
    password = outputs["alice-password.age"].strip()
    hashed = env.decrypt("alice-password.age").decode()
    assert hashed.startswith("$6$") and hashed.endswith("\n")
    assert crypt.crypt(password, hashed.strip()) == hashed.strip()
    for path in env.root.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path

    # ssh-ed25519: ssh-keygen loads the key and derives the public line printed.
    key = tmp_path / "deploy"
    key.write_bytes(env.decrypt("deploy-key.age"))
    key.chmod(0o600)
    derived = subprocess.run(
        [require_tool("ssh-keygen"), "-y", "-f", str(key)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert derived.split()[:2] == outputs["deploy-key.age"].split()[:2]
    assert outputs["deploy-key.age"].split()[2] == "deploy-key"

    # wireguard: wg pubkey of the secret is the public key printed and recorded.
    by_wg = subprocess.run(
        [require_tool("wg"), "pubkey"],
        input=env.decrypt("wg-backup.age"),
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout.decode()
    assert by_wg == outputs["wg-backup.age"]
    assert env.records()["wg-backup.age"]["public"] == by_wg.strip()

    assert env.decrypt("api.env.age").startswith(b"API_TOKEN=")
    assert len(env.decrypt("restic-words.age").split()) == 7
    assert len(env.decrypt("token.age").strip()) == 40
    records = env.records()
    assert records["token.age"] == {
        "kind": "token",
        "options": {"format": "base64", "length": 40},
    }
    assert "public" not in records["alice-password.age"]


def test_twice_recreate_and_rotate(env: Env) -> None:
    make_all(env)
    before = env.snapshot()
    ok(env.run("generate"))
    ok(env.run("generate", "token.age", "--kind", "token", "--format", "base64", "--length", "40"))
    assert env.snapshot() == before  # byte for byte

    (env.secrets / "token.age").unlink()
    result = ok(env.run("generate"))
    after = env.snapshot()
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    assert changed == {"secrets/token.age"}
    assert "wrote token.age" in result.err

    before = after
    result = ok(env.run("generate", "--rotate", "wg-backup.age", "api.env.age"))
    after = env.snapshot()
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    # The new WireGuard public half is recorded; nothing else moves.
    assert changed == {"secrets/wg-backup.age", "secrets/api.env.age", "secrets/agepy.toml"}
    assert "public half of wg-backup.age changed" in result.err
    new_public = env.records()["wg-backup.age"]["public"]
    assert result.out.strip() == new_public


def test_show_public_needs_no_identity(env: Env) -> None:
    outputs = make_all(env)
    shown = ok(env.run("show", "deploy-key.age", "--public")).out
    assert shown == outputs["deploy-key.age"]
    assert ok(env.run("show", "wg-backup.age", "--public")).out == outputs["wg-backup.age"]
    refused = env.run("show", "token.age", "--public")
    assert refused.code == 1 and "no public half" in refused.err


def test_snippets_parse_and_use_the_module_path(env: Env) -> None:
    make_all(env)
    nix = require_tool("nix-instantiate")
    cases = [
        ("alice-password.age", "--user", "alice"),
        ("wg-backup.age", "--interface", "wg1"),
        ("api.env.age", "--service", "api", "--owner", "api", "--mode", "0440"),
        ("deploy-key.age",),
        ("restic-password.age",),  # not generated: the age.secrets block only
    ]
    texts = []
    for name, *extra in cases:
        for form in ([], ["--home-manager"]):
            if form and "--owner" in extra:
                continue
            texts.append(ok(env.run("nixos-snippet", name, *extra, *form)).out)
    errors = parse_texts(nix, texts)  # one nix-instantiate --parse, each text a file
    for text in texts:
        assert errors[text] is None, (text, errors[text])
    joined = "\n".join(texts)
    assert "file = ./secrets/alice-password.age;" in joined
    assert "users.users.alice.hashedPasswordFile = config.age.secrets.alice-password.path;" in (
        joined
    )
    assert "networking.wireguard.interfaces.wg1.privateKeyFile" in joined
    assert "systemd.services.api.serviceConfig.EnvironmentFile" in joined
    # The Matrix snippet is still there.
    assert "services.heisenbridge" in ok(env.run("nixos-snippet", "heisenbridge")).out


def test_legacy_forms_keep_their_meaning(env: Env) -> None:
    before = env.snapshot()
    token = ok(env.run("generate", "token")).out.strip()
    assert len(token) == 32 and int(token, 16) >= 0
    assert env.snapshot() == before
    # With --kind, "token" is a secret's name.
    ok(env.run("generate", "token", "--kind", "token", "--to", "alice"))
    assert (env.secrets / "token").exists()


def test_matrix_kinds_on_the_same_mechanism(env: Env) -> None:
    options = ("--option", "url=http://127.0.0.1:9999", "--option", "compat=false")
    result = ok(
        env.run("generate", "hb.age", "--kind", "heisenbridge-config", "--to", "alice", *options)
    )
    assert "as_token:" in env.decrypt("hb.age").decode()
    assert "url: http://127.0.0.1:9999" in env.decrypt("hb.age").decode()
    assert env.records()["hb.age"]["options"]["compat"] is False  # type: ignore[index]
    assert result.out == ""
    conduit = ("--kind", "conduit-registration-token", "--to", "alice")
    token = ok(env.run("generate", "c.age", *conduit)).out.strip()
    assert env.decrypt("c.age") == f"CONDUIT_REGISTRATION_TOKEN={token}\n".encode()


def test_library_api(env: Env) -> None:
    store = Store("secrets.nix")
    made = store.generate("wg.age", "wireguard", to=["alice"])
    assert made.action == "created" and made.public
    again = store.generate("wg.age", "wireguard")
    assert again.action == "unchanged"
    (rotated,) = store.rotate(["wg.age"])
    assert rotated.public_changed and rotated.public_before == made.public
    from agepy.store.generate import regenerate

    one = regenerate(store, "wg.age")
    assert one.public_changed and one.public_before == rotated.public
    assert [r.action for r in store.generate_missing()] == ["unchanged"]


BAD = [
    (("generate", "x.age", "--kind", "nope", "--to", "alice"), 2),
    (("generate", "wg-backup.age", "--kind", "token"), 2),  # recorded as wireguard
    (("generate", "t.age", "--kind", "token", "--length", "8", "--to", "alice"), 2),
    (("generate", "t.age", "--kind", "token", "--words", "6", "--to", "alice"), 2),
    (("generate", "t.age", "--kind", "env", "--to", "alice"), 2),
    (("generate", "t.age", "--kind", "token"), 1),  # no recipients for a new entry
    (("generate", "t.age", "--kind", "token", "--host", "nohost"), 1),
    (("generate", "restic-password.age", "--kind", "passphrase"), 1),  # not generated
    (("generate", "token.age", "--kind", "token", "--length", "64"), 1),  # other options
    (("generate", "--rotate", "restic-password.age"), 1),
    (("generate", "--rotate"), 2),
    (("generate", "a.age", "b.age", "--kind", "token", "--to", "alice"), 2),
    (("generate", "--length", "40"), 2),
    (("generate", "x.age", "--kind", "token", "--option", "nonsense", "--to", "alice"), 2),
    (("show", "token.age", "--public"), 1),
    (("show", "nope.age", "--public"), 1),
    (("nixos-snippet", "token.age", "--owner", "Bad Name"), 2),
    (("nixos-snippet", "token.age", "--home-manager", "--owner", "alice"), 2),
    (("nixos-snippet", "nope.age"), 1),
]


@pytest.mark.parametrize(("args", "code"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_changes_nothing(env: Env, args: tuple[str, ...], code: int) -> None:
    ok(env.run("generate", "wg-backup.age", "--kind", "wireguard", "--host", "backup"))
    ok(env.run("generate", "token.age", "--kind", "token", "--to", "alice"))
    before = env.snapshot()
    result = env.run(*args)
    assert result.code == code, result.err
    lines = result.err.splitlines()
    assert len(lines) == 2, result.err
    assert lines[0].startswith("agepy: error: ") and lines[1].startswith("agepy: hint: ")
    assert result.out == ""
    assert env.snapshot() == before


def test_the_matrix_commands_record_their_generator(env: Env) -> None:
    ok(env.run("encrypt", "heisenbridge-config", "--name", "hb.age", "--to", "alice",
               "--prefix", "chat_"))  # fmt: skip
    token = ok(env.run("encrypt", "conduit-registration-token", "--name", "c.age", "--to",
                       "alice")).out.strip()  # fmt: skip
    records = env.records()
    assert records["hb.age"]["kind"] == "heisenbridge-config"
    assert records["hb.age"]["options"]["prefix"] == "chat_"  # type: ignore[index]
    assert records["c.age"] == {"kind": "conduit-registration-token", "options": {}}
    assert token not in (env.secrets / "agepy.toml").read_text()
    # `agepy generate` makes a deleted one again, with the recorded settings.
    (env.secrets / "hb.age").unlink()
    ok(env.run("generate"))
    assert "@chat_.*" in env.decrypt("hb.age").decode()


def test_saving_the_hosts_keeps_the_records(env: Env) -> None:
    ok(env.run("generate", "wg.age", "--kind", "wireguard", "--to", "alice"))
    records = env.records()
    inventory = Inventory.load(env.secrets / "secrets.nix")
    inventory.hosts["backup"].port = 2222
    inventory.save()
    assert env.records() == records
    assert "port = 2222" in (env.secrets / "agepy.toml").read_text()
    assert ok(env.run("show", "wg.age", "--public")).out.strip() == records["wg.age"]["public"]
