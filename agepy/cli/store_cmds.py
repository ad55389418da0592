"""`agepy list`, `agepy edit`, `agepy rekey`, `agepy check`: the secrets of a secrets.nix."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from agepy._text import printable
from agepy.cli._common import (
    emit_json,
    err,
    evaluator_option,
    identity_option,
    json_option,
    out,
    rules_option,
    state,
    style,
)
from agepy.cli._store import open_store
from agepy.cli.hints import cli_hint, print_error
from agepy.cli.rotate_cmds import print_exposures, show_rotation_needs
from agepy.errors import AgepyError
from agepy.store import RekeyReport, Store
from agepy.store.check import Finding
from agepy.store.rotation import ExposureReport, exposure_report, rotation_check_enabled

__all__ = ["check", "edit", "list_", "rekey"]


F = TypeVar("F", bound=Callable[..., Any])


def _allow_outside_option(f: F) -> F:
    return click.option(
        "--allow-outside",
        is_flag=True,
        help="Write entries whose names lead out of the secrets folder (../x.age, /abs).",
    )(f)


def _files_from_cwd_option(f: F) -> F:
    # Set by agenix's command line when $RULES names the rules: agenix's script takes the
    # entry names relative to the current folder, not to the rules file's.
    return click.option("--files-from-cwd", "files_from_cwd", is_flag=True, hidden=True)(f)


_STATUS_COLOUR = {"ok": "green", "stale": "yellow", "missing": "red", "unreadable": "red"}


@click.command("list")
@json_option
@evaluator_option
@rules_option
def list_(as_json: bool, evaluator: str, rules: Path | None) -> None:
    """List the secrets of secrets.nix: file, recipients by name, armor, status.

    Status comes from each file's header (no key needed): ok, stale (not encrypted to
    exactly its keys: run `agepy rekey`), missing or unreadable.

    \b
    Example:
      agepy list
      agepy list --json --rules secrets/secrets.nix
    """
    store = open_store(rules, evaluator)
    rows = store.list()
    if as_json:
        try:
            report = _rotation_report(store, enabled=True, since=None)
        except AgepyError as exc:  # the list stands without history; check says more
            err(f"history not checked: {exc.message}")
            report = None
        secrets = [r.to_json() for r in rows]
        document: dict[str, Any] = {"rules": store.rules_display(), "secrets": secrets}
        if report is not None and report.scan.checked:
            for entry in secrets:
                entry["exposedTo"] = [e.to_json() for e in report.for_secret(entry["name"])]
            document["history"] = report.to_json()
        emit_json(document)
        return
    if not rows:
        out(f"no secrets in {store.rules_display()}")
        return
    width = max(len(printable(r.name)) for r in rows)
    for row in rows:
        status = style(f"{row.status:<10}", fg=_STATUS_COLOUR[row.status])
        armor = " armor" if row.armor else ""
        invalid = sum(w.kind == "invalid-key" for w in row.warnings)
        unusable = f" ({invalid} unusable key{'s' if invalid > 1 else ''})" if invalid else ""
        recipients = printable(", ".join(row.recipients))
        out(f"{printable(row.name):<{width}}  {status} {recipients}{armor}{unusable}")


@click.command("edit")
@click.argument("name")
@click.option(
    "--to",
    "to",
    multiple=True,
    metavar="KEY_OR_NAME",
    help="For a new secret: a recipient (key, or its name in secrets.nix); repeatable.",
)
@click.option(
    "--host", "hosts", multiple=True, metavar="NAME", help="For a new secret: a host; repeatable."
)
@click.option(
    "--editor",
    metavar="CMD",
    help="Editor command (default: $VISUAL, else $EDITOR); '-': replace the secret with "
    "stdin, no identity needed.",
)
@click.option(
    "--allow-disk",
    is_flag=True,
    help="Put the plaintext in the system temp folder if no tmpfs is available.",
)
@_allow_outside_option
@_files_from_cwd_option
@identity_option
@evaluator_option
@rules_option
def edit(
    name: str,
    to: tuple[str, ...],
    hosts: tuple[str, ...],
    editor: str | None,
    allow_disk: bool,
    allow_outside: bool,
    files_from_cwd: bool,
    identities: tuple[Path, ...],
    evaluator: str,
    rules: Path | None,
) -> None:
    """Edit a secret in your editor; it is re-encrypted only if you changed it.

    The plaintext goes to a private folder on tmpfs ($XDG_RUNTIME_DIR or /dev/shm) and is
    removed on exit, even on Ctrl-C. When stdin is not a terminal (and no --editor is
    given), or with --editor -, stdin's content becomes the secret, like agenix, without
    decrypting the old one (no identity needed); empty stdin is refused. A NAME without
    an entry in secrets.nix needs --to or --host: the entry is added first. A NAME
    starting with '-' goes after '--'.

    \b
    Example:
      agepy edit heisenbridge-config.age
      agepy edit new-token.age --to alice --host matrix < token.txt
      agepy edit --editor - restic-password.age < new-password.txt
    """
    store = open_store(
        rules, evaluator, identities, allow_outside=allow_outside, files_from_cwd=files_from_cwd
    )
    # `--editor -` (ragenix) and piped stdin (agenix) replace the content; an editor
    # asked for by name wins over a pipe.
    from_stdin = editor == "-" or (not editor and not sys.stdin.isatty())
    stdin = sys.stdin.buffer if from_stdin else None
    editor = None if editor == "-" else editor
    changed = store.edit(
        name,
        editor=editor,
        allow_disk=allow_disk,
        stdin=stdin,
        recipients=list(to),
        hosts=list(hosts),
    )
    err(f"{printable(name)}: {'saved' if changed else 'unchanged, not rewritten'}")


def _print_report(report: RekeyReport) -> None:
    for result in report.results:
        name = printable(result.name)
        if result.action == "would-rekey":
            out(f"would rekey {name}: {printable('; '.join(result.reasons))}")
        elif result.action == "missing":
            err(f"missing: {name}: skipped, the file does not exist")
        elif result.action == "failed":
            hint = cli_hint(result.reason, result.details, result.hint)
            print_error(f"{name}: {printable(result.error or '')}", hint)
    if not report.dry_run:
        counts = f"{len(report.rekeyed)} rekeyed, {len(report.skipped)} up to date"
        if report.failed:
            counts += f", {len(report.failed)} failed"
        err(f"rekey: {counts}")
    elif not any(r.action == "would-rekey" for r in report.results):
        out("nothing to rekey: every file matches its keys")


@click.command("rekey")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--force", is_flag=True, help="Re-encrypt every file, stale or not (like agenix -r).")
@click.option("--dry-run", is_flag=True, help="Only say what would be rekeyed, and why.")
@click.option(
    "--key",
    metavar="KEY",
    default=None,
    help="Only the secrets whose publicKeys list KEY (its text, or its name in secrets.nix); "
    "with --force, all of those.",
)
@json_option
@_allow_outside_option
@_files_from_cwd_option
@identity_option
@evaluator_option
@rules_option
def rekey(
    names: tuple[str, ...],
    force: bool,
    dry_run: bool,
    key: str | None,
    as_json: bool,
    allow_outside: bool,
    files_from_cwd: bool,
    identities: tuple[Path, ...],
    evaluator: str,
    rules: Path | None,
) -> None:
    """Re-encrypt the secrets whose files do not match their keys in secrets.nix.

    A file is stale when its header's SSH key tags, its number of X25519/plugin stanzas or
    its armor differ from its entry; only those are decrypted and re-encrypted (all with
    --force). Each file is replaced atomically; a file that cannot be decrypted is reported
    and the run goes on (exit 1 at the end).

    \b
    Example:
      agepy rekey --dry-run
      agepy rekey -i ~/.ssh/id_ed25519
      agepy rekey heisenbridge-config.age --force
      agepy rekey --key matrix --force
    """
    store = open_store(
        rules, evaluator, identities, allow_outside=allow_outside, files_from_cwd=files_from_cwd
    )
    if key is not None:
        if names:
            raise click.UsageError("give NAMEs or --key KEY, not both")
        names = tuple(secret.name for secret in store.rules.secrets_listing(key))
    show_bar = not as_json and not dry_run and not state().quiet and sys.stderr.isatty()
    if show_bar:
        total = len(names) if names else len(store.rules)
        with click.progressbar(length=total, label="rekey", file=sys.stderr) as bar:
            report = store.rekey(
                list(names) or None,
                force=force,
                dry_run=dry_run,
                progress=lambda _name: bar.update(1),
            )
    else:
        report = store.rekey(list(names) or None, force=force, dry_run=dry_run)
    if as_json:
        document = report.to_json()
        for entry, result in zip(document["files"], report.results, strict=True):
            entry["hint"] = cli_hint(result.reason, result.details, result.hint)
        emit_json(document)
    else:
        _print_report(report)
        if report.rekeyed and not report.dry_run:
            # A recipient removed and rekeyed: the values it knew must change too.
            show_rotation_needs(store, notice=False)
    if not report.ok:
        sys.exit(1)  # click's Exit would end with status 0 under main()


def _rotation_report(store: Store, *, enabled: bool, since: str | None) -> ExposureReport | None:
    """The secrets to rotate, unless turned off (flag, or agepy.toml's history table)."""
    if not enabled or not rotation_check_enabled(store.rules_path):
        return None
    return exposure_report(store, since)


@click.command("check")
@click.option(
    "--no-rotation-check",
    is_flag=True,
    help="Do not look in git history for secrets a removed key can still read.",
)
@click.option("--since", metavar="REV", help="Look at git history after commit REV only.")
@json_option
@evaluator_option
@rules_option
def check(
    no_rotation_check: bool, since: str | None, as_json: bool, evaluator: str, rules: Path | None
) -> None:
    """Check that every secret is encrypted to exactly its keys (for CI and pre-commit).

    Reads only the files' headers, so no private key is needed. Reports each entry whose
    file is missing, unreadable or stale, and each .age file without an entry (orphan),
    one line per problem; exit 1 if there is any.

    In a git repository it also reads every committed version's header: a key that
    could read an old version but is no recipient now still knows that value, so the
    secret needs a new one (`agepy rotate`). Teams that accept this risk turn it off with
    --no-rotation-check or `[history] rotation-check = false` in agepy.toml.

    \b
    Example:
      agepy check
      agepy check --json --rules secrets/secrets.nix
      agepy check --since v1.0
    """
    store = open_store(rules, evaluator)
    findings = store.check()
    report = _rotation_report(store, enabled=not no_rotation_check, since=since)
    exposed = report.exposures if report is not None else []
    # What agenix tolerates (a repeated or empty key, an unknown attribute): reported,
    # never a failure. Invalid keys are findings instead.
    warnings = [w for w in store.rules.warnings if w.kind != "invalid-key"]
    if as_json:
        if report is not None and report.notice:
            err(report.notice)
        rotate = [Finding("rotate", e.secret, e.detail) for e in exposed]
        document: dict[str, Any] = {
            "rules": store.rules_display(),
            "ok": not findings and not exposed,
            "findings": [f.to_json() for f in [*findings, *rotate]],
        }
        if warnings:
            document["warnings"] = [{"name": w.entry, **w.to_json()} for w in warnings]
        if report is not None and report.scan.checked:
            document["history"] = report.to_json()
        emit_json(document)
    else:
        for warning in warnings:
            where = f"{store.rules_path.name}:{warning.line}" if warning.line else warning.entry
            err(f"warning: {warning.entry}: {warning.message} ({where})")
        for finding in findings:
            out(str(finding))
        if report is not None:
            print_exposures(report)
        if not findings and not exposed:
            err(f"check: {len(store.rules)} secret(s), all encrypted to exactly their keys")
    if findings or exposed:
        sys.exit(1)  # click's Exit would end with status 0 under main()
