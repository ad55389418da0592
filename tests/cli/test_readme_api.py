"""The README's Python API examples run as written, against a copy of secrets.example/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_python_example(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "no python block in the README's Python API section"
    # The README runs from a flake's root, with the rules in secrets/.
    shutil.copytree(REPO / "secrets.example", tmp_path / "secrets")
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    shutil.copy(tmp_path / "secrets" / "keys" / "alice", home / ".ssh" / "id_ed25519")
    example = code.group(1).replace(
        "AAAA… alice@laptop",
        "AAAAC3NzaC1lZDI1NTE5AAAAIBQdQ8HvSEG5WCxGtUW7FYeRrALkqTOU9Ltj2tNJILbV alice@laptop",
    )
    result = subprocess.run(
        [sys.executable, "-c", example],
        cwd=tmp_path,
        env={**os.environ, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "heisenbridge-config.age ['alice', 'matrix']" in result.stdout
