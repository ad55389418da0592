"""Check an edit before it is written: evaluate the candidate files, compare with the
intended rules, then write them atomically.

Static edits cannot see what a file computes from a key's text (a ``filterAttrs`` on the
``ssh-`` prefix, ``or`` defaults, ``?`` tests …), so every edit is evaluated once and must
give exactly the intended rules; anything else is an EditError and nothing is written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from agepy._files import open_temp, replace, resolve_target
from agepy.errors import EditError, NixError, RulesError
from agepy.nix import source_edit as edit
from agepy.nix.parse import parse_source
from agepy.rules.model import Secret, evaluate_rules_file, validate_rules

__all__ = ["Check", "unchanged_except", "verify_changes", "write_changes", "write_temp"]

Check = Callable[[dict[str, Secret]], None]


def unchanged_except(before: dict[str, Secret], after: dict[str, Secret], skip: set[str]) -> None:
    """EditError unless every entry outside ``skip`` is the same, and none was added."""
    for name, secret in before.items():
        if name in skip:
            continue
        other = after.get(name)
        if other is None or other.listed_keys != secret.listed_keys or other.armor != secret.armor:
            raise EditError(
                f"the edit would change entry {name!r} too (the file computes it from the "
                "edited part)",
                hint="edit the file by hand; this layout is not safe to edit automatically",
            )
    extra = set(after) - set(before) - skip
    if extra:
        raise EditError(
            f"the edit would add entry {sorted(extra)[0]!r}", hint="edit the file by hand"
        )


def _bare(exc: NixError) -> str:
    """The message without its ``file:line:column: `` prefix (the candidate is a temp file)."""
    where = exc.where
    return exc.message.removeprefix(f"{where}: ") if where else exc.message


def _lenient_model(data: Any, rules_path: Path) -> dict[str, Secret] | None:
    """Evaluated rules that fail validation, as entries (no recipient parsing), if shaped so."""
    if not isinstance(data, dict):
        return None
    model: dict[str, Secret] = {}
    for name, entry in data.items():
        keys = entry.get("publicKeys") if isinstance(entry, dict) else None
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            return None
        armor = entry.get("armor", False)
        model[name] = Secret(name, rules_path.parent / name, list(keys), [], armor is True)
    return model


def _evaluate_candidate(
    rules_path: Path, candidate: Path, evaluator: str, check: Check, what: str
) -> None:
    try:
        data = evaluate_rules_file(candidate, evaluator=evaluator)
    except NixError as exc:
        raise EditError(
            f"the edited file would not evaluate: {_bare(exc)}",
            file=rules_path,
            hint=f"edit the file by hand: {what} (agepy refused to write a broken file)",
        ) from None
    try:
        after = validate_rules(data, rules_path)
    except RulesError as exc:
        # Invalid rules (a repeated key, say) usually come from the edit changing more than
        # asked; the check says what changed, which is the more useful message.
        lenient = _lenient_model(data, rules_path)
        if lenient is not None:
            check(lenient)
        raise EditError(
            f"after the edit the rules would be invalid: {_bare(exc)}",
            file=rules_path,
            hint=f"edit the file by hand: {what} (agepy refused to write invalid rules)",
        ) from None
    check(after)


@contextlib.contextmanager
def _candidate(rules_path: Path, changes: dict[Path, bytes]) -> Iterator[Path]:
    """The edited secrets.nix as a file that imports the edited neighbours."""
    if set(changes) <= {rules_path}:
        temp = write_temp(rules_path, changes[rules_path])
        try:
            yield temp
        finally:
            temp.unlink(missing_ok=True)
        return
    # Several files: a mirror of everything secrets.nix references, edits applied.
    files = edit.referenced_files(rules_path)
    root = Path(os.path.commonpath([str(p.parent) for p in files]))
    with tempfile.TemporaryDirectory(prefix="agepy-verify-") as mirror:
        for path in files:
            target = Path(mirror, path.relative_to(root))
            target.parent.mkdir(parents=True, exist_ok=True)
            if path in changes:
                target.write_bytes(changes[path])
            else:
                shutil.copyfile(path, target)
        yield Path(mirror, rules_path.relative_to(root))


def verify_changes(
    rules_path: Path, changes: dict[Path, bytes], evaluator: str, check: Check, what: str
) -> None:
    """EditError unless ``changes`` parse and evaluate to rules that pass ``check``.

    ``what`` says the edit in words, for the hint to do it by hand.
    """
    rules_path = rules_path.resolve()
    changes = {path.resolve(): data for path, data in changes.items()}
    for path, data in changes.items():
        if path.suffix == ".nix":
            parse_source(data, path)
    with _candidate(rules_path, changes) as candidate:
        _evaluate_candidate(rules_path, candidate, evaluator, check, what)


def write_temp(path: Path, data: bytes) -> Path:
    """``data`` in a new temporary file beside ``path``'s target (same mode), fsynced.

    EditError when the folder cannot take it (read-only, full, …)."""
    try:
        fd, temp = open_temp(resolve_target(path), 0o666)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _cannot_write(path, exc) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _cannot_write(path: Path, exc: OSError) -> EditError:
    return EditError(
        f"cannot write in its folder: {exc.strerror or exc}",
        file=path,
        hint="check that you may write to the folder (and that the disk is not full)",
    )


def write_changes(changes: dict[Path, bytes]) -> list[Path]:
    """Write each file atomically (temp file beside its target, fsync, rename; a symlink
    is written through); the paths."""
    temps: dict[Path, Path] = {}
    try:
        # Every temp file first (one failing leaves none behind), then the renames.
        for path, data in changes.items():
            temps[path] = write_temp(path, data)
        for path, temp in temps.items():
            try:
                replace(temp, resolve_target(path).path)
            except OSError as exc:
                raise _cannot_write(path, exc) from None
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    return [path.resolve() for path in changes]
