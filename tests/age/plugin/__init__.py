"""The test-only age plugin ``age-plugin-agepytest`` and helpers to use it in tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PLUGIN_DIR = Path(__file__).parent
PLUGIN = PLUGIN_DIR / "age-plugin-agepytest"
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
