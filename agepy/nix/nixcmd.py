"""Evaluate with real Nix: one ``nix-instantiate --eval --strict --json`` per file."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from agepy.errors import NixEvalError, NixSyntaxError, Reason

__all__ = ["evaluate_source_with_nix", "evaluate_with_nix", "nix_instantiate"]

DEFAULT_TIMEOUT = 60.0
_LOCATION = re.compile(r"\bat (.+?):(\d+):(\d+):?\s*$")
_STORE_UNREACHABLE = re.compile(
    rb"^error: .*(/nix/var/nix|daemon-socket).*(Permission denied|Operation not permitted"
    rb"|No such file)",
    re.MULTILINE,
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def nix_instantiate() -> str | None:
    """The path of nix-instantiate, or None when Nix is not installed."""
    return shutil.which("nix-instantiate")


def _command() -> list[str]:
    executable = nix_instantiate()
    if executable is None:
        raise NixEvalError(
            "nix-instantiate is not installed",
            hint="install Nix (Debian: apt install nix-bin) or use the built-in evaluator",
            reason=Reason.NIX_NOT_INSTALLED,
        )
    # --readonly-mode: paths in the result get their store path computed, not copied.
    return [executable, "--eval", "--strict", "--json", "--readonly-mode"]


def _run(arguments: list[str], *, cwd: Path, timeout: float, what: Path) -> Any:
    completed = _spawn(arguments, cwd=cwd, timeout=timeout, what=what)
    if completed.returncode != 0 and _STORE_UNREACHABLE.search(completed.stderr):
        # A user without access to the Nix store or daemon: evaluation alone needs no
        # store, and the dummy store still computes /nix/store paths.
        retry = [*arguments[:5], "--store", "dummy://", *arguments[5:]]
        completed = _spawn(retry, cwd=cwd, timeout=timeout, what=what)
    if completed.returncode != 0:
        raise _nix_error(completed.stderr.decode("utf-8", "replace"), what)
    try:
        return json.loads(completed.stdout)
    except ValueError:
        raise NixEvalError(
            "nix-instantiate printed something that is not JSON",
            file=what,
            hint="run nix-instantiate --eval --strict --json FILE to see what it printed",
        ) from None


def _spawn(
    arguments: list[str], *, cwd: Path, timeout: float, what: Path
) -> subprocess.CompletedProcess[bytes]:
    try:
        completed = subprocess.run(
            arguments,
            cwd=cwd,
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise NixEvalError(
            f"nix-instantiate did not finish within {timeout:g} s",
            file=what,
            hint="the file may loop forever; the built-in evaluator may show where",
            reason=Reason.NIX_TIMEOUT,
        ) from None
    except OSError as exc:
        raise NixEvalError(
            f"cannot run nix-instantiate: {exc.strerror}",
            file=what,
            hint="check that nix-instantiate runs in this shell",
        ) from None
    return completed


def _nix_error(stderr: str, what: Path) -> NixEvalError | NixSyntaxError:
    """The first line of Nix's error and the first `at FILE:LINE:COL` after it."""
    lines = [_ANSI.sub("", line).rstrip() for line in stderr.splitlines()]
    start = next((i for i, line in enumerate(lines) if line.startswith("error:")), None)
    if start is None:
        message = next((line.strip() for line in lines if line.strip()), "nix-instantiate failed")
        hint = "nix-instantiate --eval --strict --show-trace FILE shows Nix's full trace"
        return NixEvalError(message, file=what, hint=hint)
    message = lines[start][len("error:") :].strip()
    rest = lines[start + 1 :]
    if not message:  # `error:` alone, the message follows (after any trace lines)
        message = next((line.strip() for line in rest if line.strip()), "evaluation failed")
    file: str | None = None
    line_number: int | None = None
    column: int | None = None
    for line in rest:
        found = _LOCATION.search(line.strip())
        if found:
            file, line_number, column = found[1], int(found[2]), int(found[3])
            break
    if file is None or file.startswith("«"):
        file = str(what)
    kind: type[NixEvalError] | type[NixSyntaxError]
    kind = NixSyntaxError if message.startswith("syntax error") else NixEvalError
    return kind(
        message,
        file=file,
        line=line_number,
        column=column,
        hint="nix-instantiate --eval --strict --show-trace FILE shows Nix's full trace",
    )


def evaluate_with_nix(path: Path | str, *, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """``nix-instantiate --eval --strict --json FILE``, parsed; errors as NixEvalError."""
    path = Path(os.path.abspath(path))  # noqa: PTH100
    if not path.is_file():
        raise NixSyntaxError(
            "no such file", file=path, hint="check the path", reason=Reason.RULES_FILE_MISSING
        )
    return _run([*_command(), str(path)], cwd=path.parent, timeout=timeout, what=path)


def evaluate_source_with_nix(
    source: bytes, path: Path | str, *, timeout: float = DEFAULT_TIMEOUT
) -> Any:
    """Evaluate source text with Nix, relative paths resolved beside ``path``."""
    path = Path(os.path.abspath(path))  # noqa: PTH100
    text = source.decode("utf-8", "surrogateescape")
    return _run([*_command(), "-E", text], cwd=path.parent, timeout=timeout, what=path)
