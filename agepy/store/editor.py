"""Running the user's editor on a plaintext file: $VISUAL, else $EDITOR, split like a shell."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path

from agepy.errors import StoreError

__all__ = ["editor_command", "run_editor"]

_HINT_SET = (
    "set $EDITOR (e.g. export EDITOR=nano), or pipe the new content in: agepy edit NAME < FILE"
)


def editor_command(editor: str | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """The editor's argv: ``editor`` if given, else $VISUAL, else $EDITOR."""
    environ = os.environ if env is None else env
    text = editor or environ.get("VISUAL") or environ.get("EDITOR") or ""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise StoreError(
            f"cannot parse the editor command {text!r}: {exc}", hint=_HINT_SET
        ) from None
    if not argv:
        raise StoreError("no editor: neither $VISUAL nor $EDITOR is set", hint=_HINT_SET)
    return argv


def run_editor(path: Path, editor: str | None = None) -> None:
    """Open ``path`` in the editor and wait; a failing editor raises StoreError."""
    argv = [*editor_command(editor), str(path)]
    try:
        # No timeout: people take their time. An exception here (Ctrl-C, SIGTERM turned
        # into Terminated) makes subprocess.run kill the editor before re-raising.
        result = subprocess.run(argv, check=False)
    except FileNotFoundError:
        raise StoreError(f"editor {argv[0]!r} not found", hint=_HINT_SET) from None
    except PermissionError:
        raise StoreError(f"editor {argv[0]!r} is not executable", hint=_HINT_SET) from None
    if result.returncode != 0:
        raise StoreError(
            f"the editor {argv[0]!r} exited with status {result.returncode}; nothing was written",
            hint="the secret is unchanged; run the edit again",
        )
