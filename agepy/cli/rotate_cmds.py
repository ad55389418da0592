"""`agepy rotate`, and the lines other commands end with about secrets to rotate."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from agepy.cli._common import (
    err,
    evaluator_option,
    identity_option,
    out,
    rules_option,
)
from agepy.cli._store import open_store
from agepy.errors import AgepyError, StoreError
from agepy.store import Store
from agepy.store.rotation import (
    ExposureReport,
    exposure_report,
    has_generator,
    record_generated_rotation,
    record_rotation,
    regenerate,
    rotation_check_enabled,
    value_from_editor,
)

__all__ = ["rotate", "show_rotation_needs"]


def print_exposures(report: ExposureReport) -> None:
    """One line per secret and key, on stdout; the notice (if any) on stderr."""
    if report.notice:
        err(report.notice)
    for exposure in report.exposures:
        out(str(exposure))
    if report.exposures:
        err("a rekey keeps the value: give each a new one: agepy rotate NAME, or --all-exposed")
    for problem in report.scan.problems[:3]:
        err(f"history: {problem}")


def show_rotation_needs(store: Store, *, notice: bool = True) -> None:
    """After a key left (rescan, a replaced host key, a recipient removed and rekeyed):
    the secrets whose values it knew, one line each, from the store the command already
    loaded (its rules are current). Silent when agepy.toml turned the rotation check off;
    ``notice``: also say when history cannot be read (outside git)."""
    try:
        if not rotation_check_enabled(store.rules_path):
            return
        report = exposure_report(store)
    except AgepyError as exc:  # the change itself succeeded; say why the list is missing
        err(f"cannot list the secrets to rotate: {exc.message}")
        return
    if report.notice and notice:
        err(report.notice)
    if not report.exposures:
        return
    err("these secrets now need a new value (old versions in git are readable by a key that left):")
    for name in report.secrets:
        who = ", ".join(e.name for e in report.for_secret(name))
        out(f"rotate {name}: {who}")
    err("run: agepy rotate --all-exposed")


def _old_value(store: Store, name: str) -> bytes | None:
    """The current value, to refuse it again; None when it cannot be decrypted here."""
    secret = store.secret(name)
    if not secret.file.exists():
        return None
    try:
        return store.decrypt_secret(secret)
    except AgepyError:
        return None


@click.command("rotate")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--all-exposed", is_flag=True, help="Every secret `agepy check` says to rotate.")
@click.option("--since", metavar="REV", help="Look at history after commit REV only.")
@click.option("--editor", metavar="CMD", help="Editor command (default: $VISUAL, else $EDITOR).")
@click.option(
    "--allow-disk",
    is_flag=True,
    help="Put the plaintext in the system temp folder if no tmpfs is available.",
)
@identity_option
@evaluator_option
@rules_option
def rotate(
    names: tuple[str, ...],
    all_exposed: bool,
    since: str | None,
    editor: str | None,
    allow_disk: bool,
    identities: tuple[Path, ...],
    evaluator: str,
    rules: Path | None,
) -> None:
    """Give secrets a NEW value, because a key that left can read their old ones in git.

    A rekey keeps the value, and every committed version stays in git history: whoever
    held a removed key can still decrypt those. A secret made by a generator gets a
    fresh value; for the others your editor opens on an empty file (or, when stdin is
    not a terminal, stdin is the new value). The rotation is recorded in agepy.toml, so
    `agepy check` stops asking for it. Commit the new file afterwards.

    \b
    Example:
      agepy rotate wifi.age
      agepy rotate --all-exposed
      pwgen 32 1 | agepy rotate restic-password.age
    """
    if all_exposed == bool(names):
        raise click.UsageError("give NAMEs or --all-exposed (one of them)")
    store = open_store(rules, evaluator, identities)
    named = [store.secret(n).name for n in names]  # a wrong name fails before the scan
    report = exposure_report(store, since)
    if report.notice:
        err(report.notice)
    targets = report.secrets if all_exposed else named
    if not targets:
        err("rotate: no secret needs a new value")
        return
    piped = editor is None and not sys.stdin.isatty()
    typed = [name for name in targets if not has_generator(store, name)]
    if piped and len(typed) > 1:
        raise StoreError(
            f"stdin holds one value, and {len(typed)} secrets need one typed in",
            hint="rotate them one at a time, or in a terminal to use your editor",
        )
    for name in targets:
        exposed = report.for_secret(name)
        who = ", ".join(dict.fromkeys(e.name for e in exposed))
        if name not in typed:
            result = regenerate(store, name)
            record_generated_rotation(store, name, exposed)
            if result.public_changed:
                err(f"{name}: its public half changed: {result.public}")
            err(f"rotated {name} (a new value from its generator)")
            continue
        reason = f"readable by {who} in git history" if who else "known to old readers"
        err(f"{name}: type a NEW value; the old one is {reason} and must not be reused")
        old = _old_value(store, name)
        value = (
            sys.stdin.buffer.read()
            if piped
            else value_from_editor(name, editor, allow_disk=allow_disk)
        )
        record_rotation(store, name, value, exposed, old=old)
        err(f"rotated {name}" + (f": {who} no longer knows its value" if who else ""))
    err("commit the new file(s); the old values are now worthless to whoever kept them")
