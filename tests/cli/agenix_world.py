"""A world for running an `agenix` command as agenix's own tests do: a copy of the example
(tests/cli/agenix_example/) as the current folder and HOME holding user1's key.

`agenix` is agepy under that name: the launcher `agepy agenix-shim` writes ("shim"), or a
symlink named `agenix` to an agepy entry script ("symlink"). When the environment variable
AGEPY_AGENIX_REFERENCE names another `agenix` executable (such as agenix's own script, to
compare agepy with it), the tests that describe agenix's behaviour run against it as
well ("reference"); the tests of agepy's own messages do not.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import require_tool

EXAMPLE = Path(__file__).parent / "agenix_example"
REFERENCE_VARIABLE = "AGEPY_AGENIX_REFERENCE"
AGEPY_LAUNCHERS = ["shim", "symlink"]
# Without the variable, only agepy's launchers are collected: nothing is skipped.
IMPLEMENTATIONS = AGEPY_LAUNCHERS + (["reference"] if os.environ.get(REFERENCE_VARIABLE) else [])

Run = Callable[..., subprocess.CompletedProcess[bytes]]


@dataclass
class AgenixWorld:
    run: Run
    folder: Path  # the copy of example/, the current folder of `run`
    home: Path

    @property
    def key(self) -> Path:
        return self.home / ".ssh" / "id_ed25519"

    def hashes(self, folder: Path | None = None) -> dict[str, str]:
        found = (folder or self.folder).glob("*.age")
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in found}

    def age_decrypt(self, name: str, folder: Path | None = None) -> bytes:
        """The plaintext of ``name`` as the real age reads it with user1's key."""
        return subprocess.run(
            ["age", "-d", "-i", str(self.key), "--", name],
            cwd=folder or self.folder,
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout


def _launcher(bin_dir: Path, how: str) -> Path:
    if how == "reference":
        (bin_dir / "agenix").symlink_to(Path(os.environ[REFERENCE_VARIABLE]).absolute())
    elif how == "shim":
        subprocess.run(
            [sys.executable, "-m", "agepy", "agenix-shim", str(bin_dir)], check=True, timeout=60
        )
    else:  # a symlink named agenix to an entry script: agepy reads the name it was called by
        entry = bin_dir / "agepy-entry"
        entry.write_text(
            f"#!{sys.executable}\nimport sys\nfrom agepy.cli import main\nsys.exit(main())\n"
        )
        entry.chmod(0o755)
        (bin_dir / "agenix").symlink_to(entry)
    return bin_dir / "agenix"


def make_world(tmp_path: Path, how: str) -> AgenixWorld:
    require_tool("age")
    if how == "reference":
        require_tool("nix-instantiate")  # agenix's script evaluates secrets.nix with it
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    key = home / ".ssh" / "id_ed25519"
    shutil.copyfile(EXAMPLE / "example_keys" / "user1", key)
    key.chmod(0o600)
    shutil.copyfile(EXAMPLE / "example_keys" / "user1.pub", home / ".ssh" / "id_ed25519.pub")
    secrets_dir = tmp_path / "secrets"
    shutil.copytree(EXAMPLE / "example", secrets_dir)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = _launcher(bin_dir, how)
    base_env = {k: v for k, v in os.environ.items() if k not in ("RULES", "VISUAL", "EDITOR")}
    base_env.update(HOME=str(home), PATH=f"{bin_dir}{os.pathsep}{base_env.get('PATH', '')}")

    def run(
        *args: str,
        tty: bool = False,
        input: bytes | None = None,
        cwd: Path | None = None,
        **env: str,
    ) -> subprocess.CompletedProcess[bytes]:
        leader = follower = -1
        if tty:  # agenix runs $EDITOR only when stdin is a terminal
            leader, follower = os.openpty()
        try:
            return subprocess.run(
                [str(launcher), *args],
                input=input,
                stdin=follower if tty else (None if input is not None else subprocess.DEVNULL),
                capture_output=True,
                cwd=cwd or secrets_dir,
                env={**base_env, **env},
                timeout=120,
                check=False,
            )
        finally:
            if tty:
                os.close(leader)
                os.close(follower)

    return AgenixWorld(run=run, folder=secrets_dir, home=home)
