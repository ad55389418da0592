"""One tool: every command has an example in its help, and bad usage reads the same way."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
import pytest

from agepy.cli import COMMANDS, ENCRYPT_GENERATORS, SECRET_COMMANDS, cli
from tests.support.cli import run_agepy


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = []
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            for sub in command.list_commands(ctx):
                paths.append([name, sub])
        else:
            paths.append([name])
    paths.extend(["encrypt", generator] for generator in ENCRYPT_GENERATORS)
    paths.extend([name, "some-secret.age"] for name in SECRET_COMMANDS)
    return paths


COMMAND_PATHS = _command_paths()


def run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    home = str(cwd or Path.cwd())
    return run_agepy(
        args, text=True, cwd=cwd, set_env={"NO_COLOR": "1", "HOME": home, "RULES": None}
    )


def test_every_command_is_listed() -> None:
    assert len(COMMAND_PATHS) >= len(COMMANDS)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=" ".join)
def test_help_shows_an_example(path: list[str]) -> None:
    result = run([*path, "--help"])
    assert result.returncode == 0, result.stderr
    assert "Example" in result.stdout, f"`agepy {' '.join(path)} --help` has no example"


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=" ".join)
def test_bad_argument_is_a_usage_error(path: list[str], tmp_path: Path) -> None:
    result = run([*path, "--no-such-option"], cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("agepy: error: "), result.stderr
    assert sum(line.startswith("agepy: error:") for line in lines) == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_root_help_and_version() -> None:
    result = run(["--help"])
    assert result.returncode == 0
    for name in COMMANDS:
        assert name in result.stdout
    assert run(["--version"]).stdout.startswith("agepy ")


def test_unknown_command() -> None:
    result = run(["frobnicate"])
    assert result.returncode == 2
    assert result.stderr.startswith("agepy: error: No such command 'frobnicate'")
