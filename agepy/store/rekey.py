"""Rekey: re-encrypt the files whose headers do not match their rules entries.

Lazy by default (only stale files are decrypted); each file is replaced atomically, so a
run killed at any moment leaves every file either old or new, both decrypting to the same
plaintext. Plaintext stays in memory, never on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agepy.errors import AgepyError, Reason, StoreError
from agepy.store.parallel import (
    Outcome,
    changed_while_rekeyed,
    default_jobs,
    rekey_files,
    rekey_parallel,
)
from agepy.store.status import Status, display_path
from agepy.store.writer import BatchWriter, file_stamp, remove_leftover_temps

if TYPE_CHECKING:
    from agepy.rules import Secret
    from agepy.store.store import Store

__all__ = ["RekeyReport", "RekeyResult", "rekey"]

Action = Literal["rekeyed", "skipped", "failed", "missing", "would-rekey"]
ProgressFn = Callable[[str], None]


@dataclass
class RekeyResult:
    """What happened to one file. ``reasons`` say why it was (or would be) rekeyed."""

    name: str
    file: Path
    action: Action
    reasons: list[str] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None
    # Why it failed, for a caller that words its own hint (see agepy.errors.Reason).
    reason: Reason | None = None
    details: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": display_path(self.file),
            "action": self.action,
            "reasons": self.reasons,
            "error": self.error,
            "hint": self.hint,
        }


@dataclass
class RekeyReport:
    """The outcome of a rekey run, one result per entry considered, in name order."""

    results: list[RekeyResult] = field(default_factory=list)
    dry_run: bool = False

    def _names(self, action: Action) -> list[str]:
        return [r.name for r in self.results if r.action == action]

    @property
    def rekeyed(self) -> list[str]:
        return self._names("rekeyed")

    @property
    def skipped(self) -> list[str]:
        return self._names("skipped")

    @property
    def failed(self) -> list[RekeyResult]:
        return [r for r in self.results if r.action == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "ok": self.ok,
            "files": [r.to_json() for r in self.results],
        }


def _plan(
    store: Store, secrets: Sequence[Secret], force: bool, quick: bool = False
) -> list[tuple[Secret, RekeyResult]]:
    """Which entries to re-encrypt and why; missing files are reported, not failed.

    ``quick`` (a forced real run): every existing file is rekeyed, so headers are not
    read here (decrypting reads them anyway).
    """
    planned = []
    for secret in secrets:
        status: Status
        reasons: list[str]
        if quick and secret.file.exists():
            status, reasons = "ok", []
        else:
            status, reasons = store.status_of(secret)
        if secret.invalid_keys:
            # Only this entry fails (before decrypting anything); the others go on.
            result = RekeyResult(secret.name, secret.file, "would-rekey", reasons)
            try:
                secret.ensure_encryptable()
            except AgepyError as exc:
                _fail(result, exc)
        elif status == "missing":
            result = RekeyResult(secret.name, secret.file, "missing", reasons)
        elif status == "ok" and not force:
            result = RekeyResult(secret.name, secret.file, "skipped")
        else:
            if status == "ok":
                reasons = ["--force"]
            result = RekeyResult(secret.name, secret.file, "would-rekey", reasons)
        planned.append((secret, result))
    return planned


def _fail(result: RekeyResult, exc: AgepyError) -> None:
    result.action = "failed"
    result.error = exc.message
    result.hint = exc.hint
    result.reason = exc.reason
    result.details = exc.details


def rekey(
    store: Store,
    names: Sequence[str] | None = None,
    *,
    force: bool = False,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    all_or_nothing: bool = False,
    jobs: int | None = None,
) -> RekeyReport:
    """Re-encrypt stale entries (all with ``force``) among ``names`` (None: every entry).

    ``jobs``: worker processes (None: one per core for many files, else this process).

    With ``all_or_nothing`` every selected file is decrypted into memory first and
    nothing is written unless all of them decrypted (StoreError otherwise).
    """
    rules = store.rules
    secrets = [rules.get(n) for n in names] if names else list(rules)
    secrets = sorted({s.name: s for s in secrets}.values(), key=lambda s: s.name)
    planned = _plan(store, secrets, force, quick=force and not dry_run)
    report = RekeyReport([r for _, r in planned], dry_run=dry_run)
    todo = [(s, r) for s, r in planned if r.action == "would-rekey"]
    if dry_run:
        return report
    done = {r.name for _, r in planned if r.action != "would-rekey"}
    if progress is not None:
        for name in sorted(done):
            progress(name)
    remove_leftover_temps([secret.file for secret, _ in todo])
    if all_or_nothing:
        _rekey_all_or_nothing(store, todo, progress)
        return report
    _rekey_each(store, todo, progress, jobs)
    return report


def _rekey_each(
    store: Store,
    todo: list[tuple[Secret, RekeyResult]],
    progress: ProgressFn | None,
    jobs: int | None,
) -> None:

    results = {secret.name: result for secret, result in todo}

    def done(outcome: Outcome) -> None:
        name, error = outcome
        result = results[name]
        if error is None:
            result.action = "rekeyed"
        else:
            _fail(result, error)
        if progress is not None:
            progress(name)

    names = [secret.name for secret, _ in todo]
    jobs = default_jobs(len(names)) if jobs is None else jobs
    if jobs > 1 and len(names) > 1:
        rekey_parallel(store, names, jobs, done)
    else:
        rekey_files(store, names, done)


def _rekey_all_or_nothing(
    store: Store, todo: list[tuple[Secret, RekeyResult]], progress: ProgressFn | None
) -> None:
    stamps = {secret.file: file_stamp(secret.file) for secret, _ in todo}
    plaintexts: list[bytes] = []
    failures: list[str] = []
    for secret, result in todo:
        try:
            plaintexts.append(store.decrypt_secret(secret))
        except AgepyError as exc:
            _fail(result, exc)
            failures.append(f"{secret.name} ({exc.message})")
    if failures:
        raise StoreError(
            f"cannot decrypt {len(failures)} of {len(todo)} secret(s), nothing was rekeyed: "
            + "; ".join(failures),
            hint="decrypt with an identity these files are encrypted to",
            reason=Reason.CANNOT_DECRYPT_ALL,
        )
    changed: set[Path] = set()
    with BatchWriter(stamps=stamps, on_changed=changed.add) as writer:
        for (secret, _), plaintext in zip(todo, plaintexts, strict=True):
            store.write_secret(secret, plaintext, writer)
    for secret, result in todo:
        if secret.file in changed:
            _fail(result, changed_while_rekeyed())
        else:
            result.action = "rekeyed"
        if progress is not None:
            progress(secret.name)
