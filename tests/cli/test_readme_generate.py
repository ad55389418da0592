"""The README's "Generated secrets" example runs as written, in a copy of secrets.example
inside a flake, and makes what it says."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import warnings
from pathlib import Path

from tests.conftest import require_tool
from tests.support.cli import run_agepy

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

REPO = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Generated secrets", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "no sh block in the README's generated secrets section"
    lines = [line.strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_readme_generate_example_runs_as_written(tmp_path: Path) -> None:
    nix = require_tool("nix-instantiate")
    wg = require_tool("wg")
    age = require_tool("age")
    root = tmp_path / "flake"
    shutil.copytree(REPO / "secrets.example", root / "secrets")
    (root / "flake.nix").write_text("{ outputs = _: { }; }\n")
    env = {**os.environ, "HOME": str(tmp_path), "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    outputs: list[str] = []
    commands = readme_commands()
    assert any("--kind password-hash" in c for c in commands)
    assert any("--kind wireguard" in c for c in commands)
    for line in commands:
        argv = shlex.split(line)
        assert argv[0] == "agepy", line
        done = run_agepy(argv[1:], cwd=root / "secrets", env=env, text=True)
        assert done.returncode == 0, (line, done.stderr)
        outputs.append(done.stdout)
        if argv[1] == "nixos-snippet":
            parsed = subprocess.run(
                [nix, "--parse", "-E", done.stdout], capture_output=True, timeout=60, check=False
            )
            assert parsed.returncode == 0, parsed.stderr
            assert "file = ./secrets/" in done.stdout
    by_line = dict(zip(commands, outputs, strict=True))

    def decrypt(name: str) -> bytes:
        return subprocess.run(
            [age, "-d", "-i", "keys/alice", name],
            cwd=root / "secrets",
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout

    password = next(o for c, o in by_line.items() if "password-hash" in c).strip()
    hashed = decrypt("alice-password.age").decode().strip()
    assert crypt.crypt(password, hashed) == hashed
    shown = next(o for c, o in by_line.items() if "--public" in c).strip()
    rotated = by_line["agepy generate --rotate wg-backup.age"].strip()
    assert rotated != shown
    current = subprocess.run(
        [wg, "pubkey"], input=decrypt("wg-backup.age"), capture_output=True, timeout=60, check=True
    ).stdout.decode()
    assert current.strip() == rotated
    assert "users.users.alice.hashedPasswordFile" in "".join(outputs)
