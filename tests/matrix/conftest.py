"""Fixtures of the Matrix area: the real heisenbridge program, a throwaway repository with
keys, and agepy run in-process from its rules folder."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.support.cli import run_agepy


@pytest.fixture(scope="session")
def heisenbridge_bin() -> str:
    """The real heisenbridge executable (installed in the venv beside Python)."""
    beside = Path(sys.executable).parent / "heisenbridge"
    return str(beside) if beside.exists() else require_tool("heisenbridge")


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@dataclass
class Repo:
    root: Path  # the flake
    rules: Path  # root/secrets/secrets.nix
    admin: Path  # private keys
    host: Path
    age: str

    def age_decrypt(self, name: str, key: Path | None = None) -> bytes:
        done = subprocess.run(
            [self.age, "-d", "-i", str(key or self.host), str(self.rules.parent / name)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _keygen(ssh_keygen: str, path: Path) -> str:
    subprocess.run(
        [ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
        timeout=60,
    )
    return " ".join(path.with_suffix(".pub").read_text().split()[:2])


@pytest.fixture
def repo(tmp_path: Path, ssh_keygen_bin: str, age_bin: str) -> Repo:
    keys = tmp_path / "keys"
    keys.mkdir()
    admin_pub = _keygen(ssh_keygen_bin, keys / "admin")
    host_pub = _keygen(ssh_keygen_bin, keys / "matrix")
    root = tmp_path / "flake"
    (root / "secrets").mkdir(parents=True)
    (root / "flake.nix").write_text("{ outputs = _: { }; }\n")
    rules = root / "secrets" / "secrets.nix"
    rules.write_text(
        "let\n"
        f'  admin = "{admin_pub}";\n'
        f'  matrix = "{host_pub}";\n'
        "in\n{\n"
        '  "other.age".publicKeys = [ admin ];\n'
        "}\n"
    )
    return Repo(root, rules, keys / "admin", keys / "matrix", age_bin)


@pytest.fixture
def agepy(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run agepy in-process from the rules folder, with an empty HOME."""
    home = repo.root.parent / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("RULES", raising=False)
    monkeypatch.chdir(repo.rules.parent)

    def run(*args: str) -> Result:
        done = run_agepy(args, text=True)
        return Result(done.returncode, done.stdout, done.stderr)

    return run
