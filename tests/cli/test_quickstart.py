"""The README's quick start, followed literally in a fresh copy with no virtualenv."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import SSHD, require_tool

pytestmark = [pytest.mark.slow, pytest.mark.quickstart]

REPO = Path(__file__).resolve().parents[2]


def quickstart_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "no sh code block in the README's quick start"
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [command for command in commands if command]


def test_quickstart_has_exactly_two_commands() -> None:
    assert quickstart_commands() == ["./run demo", "./run test"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert quickstart_commands()[1] in ci


@pytest.fixture(scope="module")
def fresh_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's files as a clone has them: tracked and new, no .venv, no caches."""
    target = tmp_path_factory.mktemp("clone") / "agepy"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / os.fsdecode(name)
        if source.is_file():
            (target / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / os.fsdecode(name))
    assert not (target / ".venv").exists()
    return target


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST"))}
    env["NO_COLOR"] = "1"
    # The outer test run's venv must not leak in: ./run makes its own.
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    return env


def test_first_command_runs_the_demo(fresh_checkout: Path) -> None:
    require_tool("age")
    require_tool(SSHD)
    demo, _ = quickstart_commands()
    result = subprocess.run(
        demo,
        shell=True,
        cwd=fresh_checkout,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (fresh_checkout / ".venv" / "bin" / "agepy").exists()
    assert "== 6. clean up" in result.stdout
    assert "the old host key decrypts nothing, the new one both secrets" in result.stdout


def test_second_command_runs_lint_and_tests(fresh_checkout: Path) -> None:
    # The whole suite inside the suite would recurse: the README's command runs as
    # written, with a pytest selection appended (./run passes extra arguments to pytest).
    _, test = quickstart_commands()
    result = subprocess.run(
        f"{test} tests/cli/test_conventions.py -k root_help -p no:cacheprovider",
        shell=True,
        cwd=fresh_checkout,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "All checks passed!" in result.stdout  # ruff check
    assert "Success: no issues found" in result.stdout  # mypy --strict
    assert re.search(r"\b1 passed\b", result.stdout)
