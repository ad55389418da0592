"""Fixtures for the store: real keys (ssh-keygen, pyrage) and small rules folders."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import cli


@dataclass(frozen=True)
class Key:
    """A key pair on disk: ``private`` is an identity file, ``public`` its recipient text."""

    name: str
    private: Path
    public: str


def _ssh_key(folder: Path, name: str, ssh_keygen: str) -> Key:
    path = folder / name
    subprocess.run(
        [ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@test", "-f", str(path)],
        check=True,
    )
    return Key(name, path, (folder / f"{name}.pub").read_text().strip())


def _age_key(folder: Path, name: str) -> Key:
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    path = folder / f"{name}.key"
    path.write_text(f"{identity}\n")
    path.chmod(0o600)
    return Key(name, path, str(identity.to_public()))


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory, ssh_keygen_bin: str) -> dict[str, Key]:
    """alice, bob, carol: SSH ed25519; host, host2: X25519 (age-keygen style)."""
    folder = tmp_path_factory.mktemp("keys")
    made = {n: _ssh_key(folder, n, ssh_keygen_bin) for n in ("alice", "bob", "carol")}
    made.update({n: _age_key(folder, n) for n in ("host", "host2")})
    return made


def rules_text(
    keys: Mapping[str, Key], entries: Mapping[str, Sequence[str]], armored: Sequence[str] = ()
) -> str:
    """A secrets.nix binding every key by name and listing ``entries`` by key names."""
    lines = ["let"]
    lines += [f'  {k.name} = "{k.public}";' for k in keys.values()]
    lines.append("in")
    lines.append("{")
    for name, names in entries.items():
        armor = " armor = true;" if name in armored else ""
        lines.append(f'  "{name}" = {{ publicKeys = [ {" ".join(names)} ];{armor} }};')
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass
class Repo:
    """A secrets folder: its secrets.nix and the plaintext every entry was written with."""

    dir: Path
    rules: Path
    plaintexts: dict[str, bytes]

    def store(self, *identities: Key) -> object:
        from agepy.store import Store

        return Store(self.rules, identities=[k.private for k in identities] or None)


MakeRepo = Callable[..., Repo]


@pytest.fixture
def make_repo(tmp_path: Path, keys: dict[str, Key]) -> MakeRepo:
    """Write secrets.nix and encrypt each entry's plaintext with the store itself."""

    def make(
        entries: Mapping[str, Sequence[str]],
        *,
        armored: Sequence[str] = (),
        write: bool = True,
        folder: Path | None = None,
    ) -> Repo:
        from agepy.store import Store

        root = folder or tmp_path / "secrets"
        root.mkdir(parents=True, exist_ok=True)
        rules = root / "secrets.nix"
        rules.write_text(rules_text(keys, entries, armored))
        marker = secrets.token_hex(8)
        plaintexts = {n: f"PLAINTEXT-{marker}-{n}\n".encode() for n in entries}
        if write:
            store = Store(rules)
            for name, plaintext in plaintexts.items():
                store.write(name, plaintext)
        return Repo(root, rules, plaintexts)

    return make


def run_agepy(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
    stdin: int | None = None,
    child: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """`agepy ARGS` with a clean environment (no $RULES, no colour), in this process
    unless ``stdin`` is a terminal or ``child`` asks for a process of its own."""
    environment = dict(os.environ, NO_COLOR="1", HOME=str(cwd))
    for name in ("RULES", "VISUAL", "EDITOR"):
        environment.pop(name, None)
    environment.update(env or {})
    return cli.run_agepy(args, cwd=cwd, env=environment, input=input, stdin=stdin, child=child)
