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
from typing import Any

from tests.conftest import require_tool
from tests.support.cli import run_agepy
from tests.support.forkserver import popen_agepy

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
        made = run_agepy(["agenix-shim", str(bin_dir)])
        assert made.returncode == 0, made.stderr
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
    executed: list[bool] = []
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
        options: dict[str, Any] = {
            "stdin": follower if tty else (None if input is not None else subprocess.DEVNULL),
            "stdout": subprocess.PIPE,
            "stderr": subprocess.PIPE,
            "cwd": cwd or secrets_dir,
            "env": {**base_env, **env},
        }
        if input is not None:
            options["stdin"] = subprocess.PIPE
        try:
            if how == "reference" or not executed:
                # The launcher itself (its #! line, its name) is executed by the system,
                # at least once in each world.
                executed.append(True)
                process: subprocess.Popen[bytes] = subprocess.Popen(
                    [str(launcher), *args], **options
                )
            else:
                # Later runs: the launcher's code, run as executing it runs it, in a forked
                # child (its start is what the first run checked).
                process = popen_agepy(args, script=bin_dir / "agenix", **options)
            with process:
                try:
                    stdout, stderr = process.communicate(input, timeout=120)
                except BaseException:
                    process.kill()
                    raise
            return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        finally:
            if tty:
                os.close(leader)
                os.close(follower)

    return AgenixWorld(run=run, folder=secrets_dir, home=home)
