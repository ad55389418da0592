"""Many files through one real `nix-instantiate`, each with the outcome it has alone.

Starting nix-instantiate costs tens of milliseconds; the corpus tests need hundreds of
reference evaluations and parses. :func:`evaluate_files` evaluates a list of files with
one process (``[ (import "/abs/a.nix") (import "/abs/b.nix") … ]``), and
:func:`parse_texts` parses a list of texts with one (`--parse` takes several files). When
the batch fails, it is split in halves until each failing file runs on its own, so every
file gets exactly what `nix-instantiate … FILE` gives it: its value, or its own error.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Evaluated", "evaluate_files", "parse_texts"]

_TIMEOUT = 300


@dataclass(frozen=True)
class Evaluated:
    """What `nix-instantiate --eval --strict --json FILE` gave: ``value`` when it exited
    0, else ``error`` (its stderr)."""

    value: Any = None
    error: str | None = None


def _nix_string(text: str) -> str:
    # A JSON string is a Nix string once `${` is escaped.
    return json.dumps(text).replace("${", "\\${")


def _evaluate(nix: str, flags: Sequence[str], paths: Sequence[Path]) -> list[Evaluated]:
    if len(paths) == 1:
        args = [nix, "--eval", "--strict", "--json", *flags, str(paths[0])]
    else:
        imports = " ".join(f"(import {_nix_string(str(p.absolute()))})" for p in paths)
        args = [nix, "--eval", "--strict", "--json", *flags, "-E", f"[ {imports} ]"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
    if done.returncode == 0:
        values = json.loads(done.stdout)
        return [Evaluated(value=values)] if len(paths) == 1 else [Evaluated(v) for v in values]
    if len(paths) == 1:
        return [Evaluated(error=done.stderr.strip() or f"exit status {done.returncode}")]
    # A file that fails (or one nix-instantiate treats differently at the top, a
    # function it would call with its auto-arguments) is found by halving.
    half = len(paths) // 2
    return _evaluate(nix, flags, paths[:half]) + _evaluate(nix, flags, paths[half:])


def evaluate_files(
    nix: str, paths: Sequence[Path], *, readonly: bool = False
) -> dict[Path, Evaluated]:
    """Each path → what `nix-instantiate --eval --strict --json [--readonly-mode] PATH`
    gives, from one process unless some fail."""
    unique = list(dict.fromkeys(paths))
    if not unique:
        return {}
    flags = ["--readonly-mode"] if readonly else []
    return dict(zip(unique, _evaluate(nix, flags, unique), strict=True))


def _parse(nix: str, files: Sequence[Path]) -> list[str | None]:
    done = subprocess.run(
        [nix, "--parse", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )
    if done.returncode == 0:
        return [None] * len(files)
    if len(files) == 1:
        return [done.stderr.strip() or f"exit status {done.returncode}"]
    half = len(files) // 2
    return _parse(nix, files[:half]) + _parse(nix, files[half:])


def parse_texts(nix: str, texts: Sequence[str]) -> dict[str, str | None]:
    """Each text → None when `nix-instantiate --parse -E TEXT` accepts it, else its
    error; each text is a file of its own, all parsed by one process unless some fail."""
    unique = list(dict.fromkeys(texts))
    if not unique:
        return {}
    with tempfile.TemporaryDirectory(prefix="nix-parse-") as folder:
        files = []
        for n, text in enumerate(unique):
            path = Path(folder, f"{n}.nix")
            path.write_text(text)
            files.append(path)
        return dict(zip(unique, _parse(nix, files), strict=True))
