"""Running the user's editor on a plaintext file: $VISUAL, else $EDITOR, split like a shell."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path

from agepy._signals import deferred_signals
from agepy.errors import Reason, StoreError

__all__ = ["editor_command", "private_editor_command", "run_editor"]

_HINT_SET = "set $EDITOR (e.g. export EDITOR=nano), or pipe the new content in"
_GRACE = 0.25  # seconds, as Popen.wait gives a child after Ctrl-C


def editor_command(editor: str | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """The editor's argv: ``editor`` if given, else $VISUAL, else $EDITOR."""
    environ = os.environ if env is None else env
    text = editor or environ.get("VISUAL") or environ.get("EDITOR") or ""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise StoreError(
            f"cannot parse the editor command {text!r}: {exc}",
            hint=_HINT_SET,
            reason=Reason.NO_EDITOR,
        ) from None
    if not argv:
        raise StoreError(
            "no editor: neither $VISUAL nor $EDITOR is set", hint=_HINT_SET, reason=Reason.NO_EDITOR
        )
    return argv


# Vim and Neovim write the buffer to swap, undo and backup files (Neovim's swap folder is
# under ~/.local/share) and remember text in viminfo/shada: all off, before and after the
# user's vimrc (an init file may turn them back on; 'undofile' and 'swapfile' are local).
_VIM_OFF = "silent! set noswapfile noundofile nobackup nowritebackup"
_VIM_FLAGS = {
    "vim": [
        "-n",
        "-i",
        "NONE",
        "--cmd",
        f"{_VIM_OFF} viminfo=",
        "-c",
        "silent! setlocal noswapfile noundofile",
    ],
    "nvim": [
        "-n",
        "-i",
        "NONE",
        "--cmd",
        f"{_VIM_OFF} shada=",
        "-c",
        "silent! setlocal noswapfile noundofile",
    ],
}
# Emacs: no backup~ files, no #auto-save# files, no lock links.
_EMACS_FLAGS = [
    "--eval",
    "(setq make-backup-files nil auto-save-default nil create-lockfiles nil"
    " auto-save-list-file-prefix nil)",
]


def _editor_kind(program: str) -> str:
    name = Path(program).name
    if name in ("vi", "vim", "vim.basic", "vim.tiny", "vim.nox", "vim.gtk3", "gvim", "rvim"):
        return "vim"
    if name in ("nvim", "neovim"):
        return "nvim"
    if name in ("emacs", "emacs-nox", "emacs-gtk", "emacs-lucid") or name.startswith("emacs2"):
        return "emacs"
    if name in ("nano", "rnano"):
        return "nano"
    return ""


def private_editor_command(argv: list[str], path: Path) -> list[str]:
    """``argv`` with the flags that keep known editors from copying ``path``'s plaintext
    to disk (swap, undo, backup, history), then ``path``."""
    program, rest = argv[0], argv[1:]
    kind = _editor_kind(program)
    if kind in _VIM_FLAGS:
        extra = _VIM_FLAGS[kind]
    elif kind == "emacs":
        extra = _EMACS_FLAGS
    elif kind == "nano":
        # nano backs up only if the user's nanorc asks; then into the private folder.
        extra = [f"--backupdir={path.parent}"]
    else:
        extra = []
    return [program, *extra, *rest, str(path)]


def run_editor(path: Path, editor: str | None = None) -> None:
    """Open ``path`` in the editor and wait; a failing editor raises StoreError.

    Interrupted (Ctrl-C, SIGTERM or SIGHUP), the editor is stopped before the exception
    goes on: given a moment to save its state, then killed. A signal that comes while
    the editor starts waits until it has started, so no editor is left running unseen
    with the plaintext open (subprocess.run would lose one started that way).
    """
    argv = private_editor_command(editor_command(editor), path)
    process: subprocess.Popen[bytes] | None = None
    try:
        with deferred_signals():
            process = subprocess.Popen(argv)
    except FileNotFoundError:
        raise StoreError(
            f"editor {argv[0]!r} not found", hint=_HINT_SET, reason=Reason.NO_EDITOR
        ) from None
    except PermissionError:
        raise StoreError(
            f"editor {argv[0]!r} is not executable", hint=_HINT_SET, reason=Reason.NO_EDITOR
        ) from None
    except BaseException:  # a signal that came while it started
        if process is not None:
            _stop(process, _GRACE)
        raise
    try:
        returncode = process.wait()  # no timeout: people take their time
    except BaseException:
        _stop(process, 0)  # wait() gave it the moment already (Ctrl-C, SIGTERM, SIGHUP)
        raise
    if returncode != 0:
        raise StoreError(
            f"the editor {argv[0]!r} exited with status {returncode}; nothing was written",
            hint="the secret is unchanged; run the edit again",
        )


def _stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """End an editor agepy stops waiting for: ``grace`` seconds to exit by itself (it
    got the same Ctrl-C from the terminal), then SIGKILL."""
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
