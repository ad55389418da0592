"""A secrets folder to run agepy in: the one repository builder of the tests.

:func:`build_repo` writes a ``secrets.nix`` binding keys (from tests/support/keys.py) by
name and listing entries by those names, then (by default) encrypts every entry's
plaintext, with agepy's own store or with the real ``age`` as a teammate without agepy
would. It can put the folder inside a flake, or inside a git repository with commits at
fixed dates. The ``make_repo`` fixture of tests/conftest.py calls it with the test's
temporary folder and the session's keys.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.cli import run_agepy
from tests.support.keys import Key

if TYPE_CHECKING:
    from agepy.store import Store

WORKTREE = Path(__file__).resolve().parents[2]

# The people and hosts a secrets folder binds unless told otherwise.
PEOPLE = ("alice", "bob", "carol", "host", "host2")


def rules_text(
    keys: Mapping[str, Key],
    entries: Mapping[str, Sequence[str]],
    *,
    armored: Sequence[str] = (),
    dotted: bool = False,
) -> str:
    """A secrets.nix binding each key under its name in ``keys`` and listing ``entries``
    by those names: ``"x.age" = { publicKeys = [ … ]; };``, or with ``dotted``
    ``"x.age".publicKeys = [ … ];`` (no room for ``armor`` there)."""
    assert not (dotted and armored), "armor needs the attribute-set form"
    lines = ["let"]
    lines += [f'  {name} = "{key.public_text}";' for name, key in keys.items()]
    lines += ["in", "{"]
    for name, names in entries.items():
        if dotted:
            lines.append(f'  "{name}".publicKeys = [ {" ".join(names)} ];')
        else:
            armor = " armor = true;" if name in armored else ""
            lines.append(f'  "{name}" = {{ publicKeys = [ {" ".join(names)} ];{armor} }};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment with ``home`` as HOME and no git configuration of the
    user or the system, no inherited GIT_* or rules variable, no colour, no editor but
    one that fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    for name in ("RULES", "AGENIX_RULES", "VISUAL"):
        env.pop(name, None)
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
    return env


def age_tool() -> str:
    from tests.conftest import require_tool

    return require_tool("age")


@dataclass
class Repo:
    """A secrets folder ``dir`` (``secrets.nix`` inside), the keys it binds by name, the
    plaintext each entry was written with, and a HOME of its own (``env``). ``root`` is
    the top: the git work tree or the flake holding ``dir``, else ``dir`` itself."""

    root: Path
    dir: Path
    home: Path
    keys: Mapping[str, Key]
    env: dict[str, str]
    plaintexts: dict[str, bytes] = field(default_factory=dict)
    rules_option: bool = False  # pass --rules RULES to every agepy run
    day: int = 1  # the day of the month of the next commit (November 2026)

    @property
    def rules(self) -> Path:
        return self.dir / "secrets.nix"

    @property
    def known_hosts(self) -> Path:
        return self.home / ".ssh" / "known_hosts"

    # --- files ------------------------------------------------------------------------

    def write_rules(
        self,
        entries: Mapping[str, Sequence[str]],
        bound: Sequence[str] | None = None,
        *,
        armored: Sequence[str] = (),
        dotted: bool = True,
    ) -> None:
        """secrets.nix binding the ``bound`` keys (all by default) and listing ``entries``."""
        keys = {n: k for n, k in self.keys.items() if bound is None or n in bound}
        self.rules.write_text(rules_text(keys, entries, armored=armored, dotted=dotted))

    def encrypt(self, name: str, value: bytes, to: Sequence[str]) -> None:
        """Encrypt with the real age, as a teammate without agepy would."""
        argv = [age_tool(), "-o", str(self.dir / name)]
        for key in to:
            argv += ["-r", self.keys[key].public_text]
        subprocess.run(argv, input=value, check=True, timeout=30)

    def store(self, *identities: Key) -> Store:
        from agepy.store import Store

        return Store(self.rules, identities=[k.private for k in identities] or None)

    def snapshot(self) -> dict[str, bytes]:
        """Every file of the secrets folder, by name."""
        return {p.name: p.read_bytes() for p in sorted(self.dir.iterdir()) if p.is_file()}

    # --- reading with the real age ----------------------------------------------------

    def private(self, key: str | Path) -> Path:
        """The identity file of a bound name (or the identity file given)."""
        return self.keys[key].private if isinstance(key, str) else key

    def decrypts(self, data: bytes, key: str | Path) -> bytes | None:
        """The plaintext of ``data`` with a key's private key (a bound name, or an
        identity file), by the real age; None if it cannot."""
        proc = subprocess.run(
            [age_tool(), "-d", "-i", str(self.private(key))],
            input=data,
            capture_output=True,
            timeout=30,
            check=False,
        )
        return proc.stdout if proc.returncode == 0 else None

    def age_decrypt(self, name: str, key: str | Path) -> bytes:
        """The plaintext of the entry ``name`` with a key's private key, by the real age,
        which must succeed."""
        done = subprocess.run(
            [age_tool(), "-d", "-i", str(self.private(key)), str(self.dir / name)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def opens(self, identity: Path, name: str) -> bool:
        """Whether ``identity`` decrypts the entry ``name`` to the plaintext it was written
        with."""
        return self.decrypts((self.dir / name).read_bytes(), identity) == self.plaintexts[name]

    # --- agepy ------------------------------------------------------------------------

    def agepy(
        self, *args: str, stdin: bytes | str | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`agepy ARGS` in the secrets folder (or ``cwd``), in-process, with ``env``."""
        argv = [*args, "--rules", str(self.rules)] if self.rules_option else list(args)
        return run_agepy(argv, cwd=cwd or self.dir, env=self.env, input=stdin, text=True)

    # --- git --------------------------------------------------------------------------

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

    def git_init(self, *options: str) -> None:
        """Make ``root`` a git repository (branch main) with a committer of its own."""
        self.git("init", "-q", "-b", "main", *options)
        self.git("config", "user.name", "Test")
        self.git("config", "user.email", "test@example.invalid")

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


MakeRepo = Callable[..., Repo]


def build_repo(
    base: Path,
    all_keys: Mapping[str, Key],
    entries: Mapping[str, Sequence[str]] | None = None,
    *,
    bind: Mapping[str, Key] | Sequence[str] = PEOPLE,
    plaintexts: Mapping[str, bytes] | None = None,
    armored: Sequence[str] = (),
    dotted: bool = False,
    write: bool = True,
    with_age: bool = False,
    folder: Path | str | None = None,
    subdir: str | None = None,
    flake: bool = False,
    git: bool = False,
    rules_option: bool = False,
) -> Repo:
    """A secrets folder: ``folder`` (relative to ``base``; by default ``base/secrets``),
    or its ``subdir``.

    ``bind`` names the keys secrets.nix binds: names of ``all_keys``, or a mapping of
    binding name to key. ``entries`` (file name -> binding names) are written with
    ``plaintexts`` (by default distinct texts, marked per repository) when ``write``:
    by agepy's store, or with ``with_age`` by the real age; without ``entries`` no
    secrets.nix is written. ``flake`` writes a flake.nix in ``folder``; ``git`` makes it
    a git repository. HOME is ``base/repo-home`` (with an empty ``.ssh``).
    """
    keys = dict(bind) if isinstance(bind, Mapping) else {n: all_keys[n] for n in bind}
    root = base / (folder or "secrets")  # an absolute folder stays as it is
    directory = root if subdir is None else root / subdir
    directory.mkdir(parents=True, exist_ok=True)
    home = base / "repo-home"
    (home / ".ssh").mkdir(parents=True, exist_ok=True)
    if flake:
        (root / "flake.nix").write_text("{ outputs = _: { }; }\n")
    if plaintexts is None:
        marker = secrets.token_hex(8)
        plaintexts = {n: f"PLAINTEXT-{marker}-{n}\n".encode() for n in entries or {}}
    repo = Repo(root, directory, home, keys, clean_env(home), dict(plaintexts), rules_option)
    if entries is not None:
        repo.rules.write_text(rules_text(keys, entries, armored=armored, dotted=dotted))
        if write and with_age:
            for name, to in entries.items():
                repo.encrypt(name, plaintexts[name], to)
        elif write:
            store = repo.store()
            for name, plaintext in plaintexts.items():
                store.write(name, plaintext)
    if git:
        repo.git_init()
    return repo
