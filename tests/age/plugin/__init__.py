"""The test-only age plugin ``age-plugin-agepytest`` and helpers to use it in tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from agepy.errors import AgepyError

PLUGIN_DIR = Path(__file__).parent
PLUGIN = PLUGIN_DIR / "age-plugin-agepytest"
# What ScriptedUI answers; tests set AGEPY_TEST_PLUGIN_ANSWER to it.
ANSWER = "s3cret-PIN"
MODE_VARIABLES = ("AGEPY_TEST_PLUGIN_MODE", "AGEPY_TEST_PLUGIN_ANSWER", "AGEPY_TEST_PLUGIN_LOG")


@dataclass(frozen=True)
class PluginKey:
    """One agepytest key: its recipient, its identity and an identity file holding it."""

    recipient: str
    identity: str
    identity_file: Path


def plugin_search_path(path: str | None = None) -> str:
    """PATH with the plugin's folder first, then this Python's (its ``python3`` has
    ``cryptography``, which the plugin's ``#!/usr/bin/env python3`` needs)."""
    rest = path if path is not None else os.environ.get("PATH", "")
    return os.pathsep.join([str(PLUGIN_DIR), str(Path(sys.executable).parent), rest])


def make_plugin_key(folder: Path, name: str = "agepytest") -> PluginKey:
    """A new key from ``age-plugin-agepytest --generate``, saved as ``folder/name.txt``."""
    output = subprocess.run(
        [sys.executable, str(PLUGIN), "--generate"], check=True, capture_output=True, text=True
    ).stdout
    comment, identity = output.splitlines()
    identity_file = folder / f"{name}.txt"
    identity_file.write_text(output)
    return PluginKey(comment.removeprefix("# recipient: "), identity, identity_file)


@dataclass
class ScriptedUI:
    """A PluginUI that answers like a user would, and remembers what it was asked."""

    answer: str = ANSWER
    choose_yes: bool = True
    failure: AgepyError | None = None
    calls: list[tuple[object, ...]] = field(default_factory=list)

    def display_message(self, plugin: str, message: str) -> None:
        self.calls.append(("msg", plugin, message))

    def request_value(self, plugin: str, prompt: str, *, secret: bool) -> str:
        self.calls.append(("value", plugin, prompt, secret))
        if self.failure is not None:
            raise self.failure
        return self.answer

    def confirm(self, plugin: str, prompt: str, yes: str, no: str | None) -> bool:
        self.calls.append(("confirm", plugin, prompt, yes, no))
        return self.choose_yes
