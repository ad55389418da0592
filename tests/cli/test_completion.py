"""`agepy completion bash|zsh|fish` prints a script, and the completion it drives works."""

from __future__ import annotations

import pytest

from tests.support.cli import run_agepy


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_script_is_printed(shell: str) -> None:
    result = run_agepy(["completion", shell], text=True)
    assert result.returncode == 0, result.stderr
    assert "_AGEPY_COMPLETE" in result.stdout


def complete(words: str, cword: int) -> list[str]:
    env = {"_AGEPY_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    result = run_agepy([], set_env=env, text=True)
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if "," in line]


def test_subcommands_complete() -> None:
    assert {"rekey", "rescan"} <= set(complete("agepy re", 1))


def test_options_complete() -> None:
    assert "--force" in complete("agepy rekey --f", 2)
