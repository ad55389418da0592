"""A secrets repository built with real git, age, ssh-keygen and age-keygen."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.support.cli import run_agepy

WORKTREE = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Key:
    name: str
    private: Path
    public: str
    ssh: bool


def _env(home: Path) -> dict[str, str]:
    """No user or system git configuration, no inherited GIT_* variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    config = home / ".gitconfig-test"
    config.touch()
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(config),
        GIT_CONFIG_NOSYSTEM="1",
        NO_COLOR="1",
        PYTHONPATH=str(WORKTREE),
        EDITOR="false",
    )
    env.pop("VISUAL", None)
    return env


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Key]:
    """alice, bob: SSH ed25519; carol: X25519 from age-keygen."""
    ssh_keygen = require_tool("ssh-keygen")
    age_keygen = require_tool("age-keygen")
    folder = tmp_path_factory.mktemp("history-keys")
    made = {}
    for name in ("alice", "bob"):
        path = folder / name
        subprocess.run(
            [ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@t", "-f", str(path)],
            check=True,
        )
        made[name] = Key(name, path, (folder / f"{name}.pub").read_text().strip(), True)
    path = folder / "carol.key"
    subprocess.run([age_keygen, "-o", str(path)], check=True, capture_output=True)
    public = next(
        line.split(": ")[1] for line in path.read_text().splitlines() if "public key" in line
    )
    made["carol"] = Key("carol", path, public.strip(), False)
    return made


@dataclass
class GitSecrets:
    """A git repository with a secrets folder ``dir`` (``rules`` inside it)."""

    root: Path
    dir: Path
    keys: Mapping[str, Key]
    env: dict[str, str]
    day: int = 1

    @property
    def rules(self) -> Path:
        return self.dir / "secrets.nix"

    def git(self, *args: str, cwd: Path | None = None) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd or self.root,
            env={**self.env, **self._dates()},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return proc.stdout.strip()

    def show(self, spec: str) -> bytes:
        """``git show REV:PATH``, as bytes."""
        return subprocess.run(
            ["git", "show", spec], cwd=self.root, env=self.env, capture_output=True, check=True
        ).stdout

    def _dates(self) -> dict[str, str]:
        date = f"2026-11-{self.day:02d}T12:00:00Z"
        return {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        self.day += 1
        return self.git("rev-parse", "HEAD")

    def write_rules(
        self, entries: Mapping[str, Sequence[str]], bound: Sequence[str] | None = None
    ) -> None:
        """secrets.nix binding ``bound`` keys (all by default) and listing ``entries``."""
        lines = ["let"]
        lines += [
            f'  {k.name} = "{k.public}";'
            for k in self.keys.values()
            if bound is None or k.name in bound
        ]
        lines += ["in", "{"]
        for name, names in entries.items():
            lines.append(f'  "{name}".publicKeys = [ {" ".join(names)} ];')
        lines.append("}")
        self.rules.write_text("\n".join(lines) + "\n")

    def encrypt(self, name: str, value: bytes, to: Sequence[str]) -> None:
        """Encrypt with the real age, as a teammate without agepy would."""
        argv = [require_tool("age"), "-o", str(self.dir / name)]
        for key in to:
            argv += ["-r", self.keys[key].public]
        subprocess.run(argv, input=value, check=True, timeout=30)

    def agepy(
        self, *args: str, stdin: bytes | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`agepy ARGS` in the secrets folder (or ``cwd``), in-process."""
        return run_agepy(args, cwd=cwd or self.dir, env=self.env, input=stdin, text=True)

    def decrypts(self, data: bytes, key: str) -> bytes | None:
        """The plaintext of ``data`` with ``key``'s private key (real age); None if not."""
        proc = subprocess.run(
            [require_tool("age"), "-d", "-i", str(self.keys[key].private)],
            input=data,
            capture_output=True,
            timeout=30,
            check=False,
        )
        return proc.stdout if proc.returncode == 0 else None


@pytest.fixture
def repo(tmp_path: Path, keys: dict[str, Key]) -> GitSecrets:
    require_tool("git")
    root = tmp_path / "repo"
    root.mkdir()
    made = GitSecrets(root, root, keys, _env(tmp_path))
    made.git("init", "-q", "-b", "main")
    made.git("config", "user.name", "Test")
    made.git("config", "user.email", "test@example.invalid")
    return made
