"""Host commands: add-host, rescan, hosts (parsing and printing only)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from agepy.cli._common import (
    FILE_PATH,
    data,
    emit_json,
    err,
    evaluator_option,
    identity_option,
    json_option,
    out,
    prompt_passphrase,
    rules_option,
    style,
    timeout_option,
    yes_option,
)
from agepy.cli._rules import located_rules
from agepy.cli.rotate_cmds import show_rotation_needs
from agepy.hosts.inventory import host_statuses
from agepy.hosts.known_hosts import KnownHostsCheck
from agepy.hosts.scan import scanned_key
from agepy.hosts.targets import format_target
from agepy.ops import HostOutcome, HostPreview
from agepy.ops import add_host as run_add_host
from agepy.ops import rescan as run_rescan

__all__ = ["add_host", "hosts", "rescan"]


def _where(check: KnownHostsCheck) -> str:
    lines = ",".join(str(n) for n in check.line_numbers)
    return f"{check.path}:{lines}" if lines else str(check.path)


def _warn_changed(preview: HostPreview, check: KnownHostsCheck) -> None:
    bar = "@" * 59
    for line in (bar, "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @", bar):
        err(style(line, fg="red", bold=True, stream=sys.stderr))
    known = ", ".join(sorted({scanned_key(k.key).fingerprint for k in check.known}))
    err(f"The {preview.key.type} key of {preview.address} is {preview.key.fingerprint},")
    err(f"but {_where(check)} has {known}.")
    err("Someone could be intercepting the connection, or the host was reinstalled.")


def _show_known_hosts(preview: HostPreview) -> None:
    check = preview.known_hosts
    if check is None:
        out(f"  source: {preview.source}")
        return
    if check.status == "match":
        out(f"  matches known_hosts ({_where(check)})")
    elif check.status == "absent":
        out(f"  not in known_hosts ({check.path})")
    elif check.status == "revoked":
        err(style(f"WARNING: this key is marked @revoked in {_where(check)}", fg="red", bold=True))
    elif preview.action == "rescan":
        out(f"  known_hosts still has the old key ({_where(check)}); after checking, update it:")
        out(f"    ssh-keygen -R {_host_name(preview)}")
    else:
        _warn_changed(preview, check)


def _host_name(preview: HostPreview) -> str:
    return format_target(preview.address, preview.port)


def _show(preview: HostPreview) -> None:
    where = _host_name(preview)
    if preview.action == "rescan":
        if preview.unchanged:
            out(
                f"{preview.name} ({where}): host key unchanged, {preview.key.type} "
                f"{preview.key.fingerprint}"
            )
            return
        out(style(f"{preview.name} ({where}): host key CHANGED", bold=True))
        old_type = (preview.old_key or "?").split()[0]
        out(f"  old: {old_type} {preview.old_fingerprint}")
        out(f"  new: {preview.key.type} {preview.key.fingerprint}")
        _show_known_hosts(preview)
        held = ", ".join(preview.secrets) or "none"
        out(f"  secrets to re-encrypt to the new key ({len(preview.secrets)}): {held}")
        return
    out(f"{preview.name} ({where}), keys from {preview.source}:")
    for key in preview.keys:
        mark = "  <- will be bound" if key == preview.key else ""
        note = "" if key.usable_for_age else "  (age cannot use it)"
        out(f"  {key.type:<20} {key.fingerprint}{mark}{note}")
    if preview.fingerprint_checked:
        out("  matches the --fingerprint given")
    _show_known_hosts(preview)
    if preview.secrets:
        out(f"  secrets to add it to and re-encrypt: {', '.join(preview.secrets)}")


def _confirm(preview: HostPreview) -> bool:
    if preview.action == "rescan":
        question = f"Replace the key of {preview.name} and re-encrypt its secrets?"
    else:
        question = f"Is {preview.key.fingerprint} the key of {preview.name}? Add it?"
    return bool(click.confirm(question, default=False, err=True))


def _report(outcome: HostOutcome) -> None:
    preview = outcome.preview
    if not outcome.changed:
        return
    files = ", ".join(str(p.name) for p in outcome.rules_files)
    if preview.action == "add":
        out(f"added {preview.name}" + (f" to {files}" if files else "") + " and agepy.toml")
    else:
        out(f"replaced the key of {preview.name}" + (f" in {files}" if files else ""))
    if outcome.reencrypted:
        out(f"re-encrypted: {', '.join(outcome.reencrypted)}")


@click.command("add-host")
@click.argument("name")
@click.argument("address", metavar="ADDRESS[:PORT]")
@click.option(
    "--key-file",
    type=FILE_PATH,
    metavar="FILE",
    help="Take the key from a .pub file or ssh-keyscan output instead of scanning.",
)
@click.option(
    "--known-hosts",
    "from_known_hosts",
    is_flag=True,
    help="Take the key from ~/.ssh/known_hosts instead of scanning.",
)
@click.option(
    "--type",
    "key_type",
    type=click.Choice(["ed25519", "rsa"]),
    default=None,
    help="Key type to bind (default: ed25519 if offered, else rsa).",
)
@click.option(
    "--fingerprint",
    metavar="SHA256:…",
    help="The fingerprint you checked on the host; no question asked when it matches.",
)
@click.option(
    "--to",
    "to",
    multiple=True,
    metavar="SECRET",
    help="Also add the host to this secret and re-encrypt it; repeatable.",
)
@timeout_option
@yes_option
@rules_option
@evaluator_option
@identity_option
def add_host(
    name: str,
    address: str,
    key_file: Path | None,
    from_known_hosts: bool,
    key_type: str | None,
    fingerprint: str | None,
    to: tuple[str, ...],
    timeout: float,
    yes: bool,
    rules: Path | None,
    evaluator: str,
    identities: tuple[Path, ...],
) -> None:
    """Add a host: fetch its SSH host key, bind NAME to it in secrets.nix, record it.

    The key is scanned (or read with --key-file / --known-hosts), its fingerprints are
    shown and checked against ~/.ssh/known_hosts, then `NAME = "<key>";` goes into
    secrets.nix and the host into agepy.toml. With --to, NAME is added to those secrets
    and they are re-encrypted. Asks before writing unless --yes or a matching
    --fingerprint. A key that differs from known_hosts (or is @revoked there) is refused;
    --yes does not override that, only a matching --fingerprint does.

    \b
    Example:
      agepy add-host matrix matrix.example.com --to heisenbridge-config.age
      agepy add-host vps 203.0.113.7:2222 --fingerprint SHA256:3q0H… --yes
    """
    if key_file is not None and from_known_hosts:
        raise click.UsageError("give --key-file or --known-hosts, not both")
    rules_path = located_rules(rules)
    outcome = run_add_host(
        rules_path,
        name,
        address,
        key_file=key_file,
        from_known_hosts=from_known_hosts,
        key_type=key_type,
        fingerprint=fingerprint,
        to=to,
        yes=yes,
        show=_show,
        confirm=_confirm,
        identities=list(identities) or None,
        prompt=prompt_passphrase,
        evaluator=evaluator,
        timeout=timeout,
    )
    _report(outcome)
    if outcome.store is not None and outcome.preview.old_key:  # changed: a key left
        show_rotation_needs(outcome.store)


@click.command()
@click.argument("name")
@timeout_option
@click.option(
    "--key-file",
    type=FILE_PATH,
    metavar="FILE",
    help="Take the new key from a .pub file or ssh-keyscan output instead of scanning.",
)
@yes_option
@rules_option
@evaluator_option
@identity_option
def rescan(
    name: str,
    timeout: float,
    key_file: Path | None,
    yes: bool,
    rules: Path | None,
    evaluator: str,
    identities: tuple[Path, ...],
) -> None:
    """Scan a host again; if it was reinstalled, take its new key everywhere.

    When the host key changed, shows old and new fingerprints and, once confirmed,
    replaces the key in secrets.nix, records the old one in agepy.toml's history and
    re-encrypts exactly the secrets that held it (decrypting with your own key, -i).
    Nothing is changed if any step fails.

    \b
    Example:
      agepy rescan matrix
      agepy rescan matrix --yes -i ~/.ssh/id_ed25519
      agepy rescan matrix --key-file ssh_host_ed25519_key.pub   # host not reachable
    """
    rules_path = located_rules(rules)
    outcome = run_rescan(
        rules_path,
        name,
        yes=yes,
        show=_show,
        confirm=_confirm,
        identities=list(identities) or None,
        prompt=prompt_passphrase,
        evaluator=evaluator,
        timeout=timeout,
        key_file=key_file,
    )
    _report(outcome)
    if outcome.store is not None and outcome.preview.old_key:  # changed: a key left
        show_rotation_needs(outcome.store)


# --- hosts -----------------------------------------------------------------------------


@click.command()
@rules_option
@json_option
def hosts(rules: Path | None, as_json: bool) -> None:
    """List the hosts of agepy.toml and whether secrets.nix agrees with each.

    For each host: its address, the key last seen, when, and the state of its binding
    in secrets.nix: ok (holds that key), differs (holds another key) or missing.
    Exit 1 if any host is not ok.

    \b
    Example:
      agepy hosts
      agepy hosts --json --rules secrets/secrets.nix
    """
    statuses = host_statuses(located_rules(rules))
    if as_json:
        emit_json({"hosts": [status.to_json() for status in statuses]})
    elif not statuses:
        out("no hosts yet; add one with: agepy add-host NAME ADDRESS")
    else:
        width = max(len(s.name) for s in statuses)
        for s in statuses:
            where = format_target(s.address, s.port)
            key_type = s.key.split()[0] if s.key else "-"
            colour = "green" if s.status == "ok" else "red"
            data(
                f"{s.name:<{width}}  {where}  {key_type} {s.fingerprint}  seen {s.seen_at}  "
                + style(s.status, fg=colour)
            )
    if any(s.status != "ok" for s in statuses):
        sys.exit(1)
