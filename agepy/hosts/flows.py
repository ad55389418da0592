"""add-host, rescan and the hosts listing: the work behind the commands.

The CLI only parses and prints: it gets a :class:`HostPreview` through ``show`` before
anything is written, answers ``confirm`` when a confirmation is needed, and prints the
:class:`HostOutcome`.

Nothing is changed when a step fails. Every check that can fail runs before the first
write (scan, known_hosts, fingerprint, names, decrypting every affected secret into
memory); after that, the old bytes of every file about to change are kept, and put
back if a later step fails.

known_hosts policy: a key that differs from the one known_hosts holds for the host
(what ssh reports as "REMOTE HOST IDENTIFICATION HAS CHANGED") or that is marked
@revoked is refused by add-host; ``--yes`` does not override this, only a matching
``--fingerprint`` checked out of band does (for a mismatch; never for @revoked).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from agepy.errors import HostError
from agepy.hosts._transaction import (
    StoreAccess,
    decrypt_all,
    holding_store_lock,
    restore_on_failure,
    write_all,
)
from agepy.hosts.inventory import HostKey, Inventory, valid_name
from agepy.hosts.known_hosts import (
    KnownHostsCheck,
    check_known_hosts,
    keys_from_file,
    known_keys,
)
from agepy.hosts.scan import ScannedKey, ScanResult, keyscan, parse_target, scanned_key

__all__ = [
    "HostOutcome",
    "HostPreview",
    "add_host",
    "rescan",
]

ShowFn = Callable[["HostPreview"], None]
ConfirmFn = Callable[["HostPreview"], bool]


@dataclass
class HostPreview:
    """What is about to happen, shown before anything is written."""

    action: Literal["add", "rescan"]
    name: str
    address: str
    port: int
    key: ScannedKey  # the key secrets.nix will bind
    keys: list[ScannedKey]  # every key the host presented (or the file held)
    source: str  # "scan", "file PATH" or "known_hosts"
    known_hosts: KnownHostsCheck | None = None
    fingerprint_checked: bool = False  # --fingerprint given and equal
    old_key: str | None = None  # rescan: the key being replaced
    old_fingerprint: str | None = None
    secrets: list[str] = field(default_factory=list)  # add: --to; rescan: holders
    needs_confirmation: bool = True
    unchanged: bool = False  # rescan: the host still presents its key


@dataclass
class HostOutcome:
    """What was done."""

    preview: HostPreview
    changed: bool
    rules_files: list[Path] = field(default_factory=list)
    reencrypted: list[str] = field(default_factory=list)
    inventory: Path | None = None


# --- choosing the key ------------------------------------------------------------------


def _choose(keys: list[ScannedKey], key_type: str | None, fingerprint: str | None) -> ScannedKey:
    usable = [k for k in keys if k.usable_for_age and (not key_type or k.short_type == key_type)]
    if fingerprint:
        for key in usable:
            if key.fingerprint == fingerprint.strip():
                return key
        presented = ", ".join(f"{k.type} {k.fingerprint}" for k in keys) or "none"
        raise HostError(
            f"no key of the host has fingerprint {fingerprint.strip()} (it has: {presented})",
            hint="nothing was changed; check the fingerprint out of band "
            "(on the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)",
        )
    for wanted in [key_type] if key_type else ["ed25519", "rsa"]:
        for key in usable:
            if key.short_type == wanted:
                return key
    have = ", ".join(sorted({f"{k.type} ({k.note})" if k.note else k.type for k in keys}))
    have = have or "no keys"
    raise HostError(
        f"no {key_type or 'ed25519 or rsa'} key age can use (found: {have})",
        hint="age needs an ssh-ed25519 or ssh-rsa host key; try --type rsa or another source",
    )


def _scan(address: str, port: int, timeout: float) -> ScanResult:
    [result] = keyscan([_target(address, port)], timeout=timeout)
    if result.error is not None and not result.keys:
        raise result.error
    return result


def _target(address: str, port: int) -> str:
    return f"[{address}]:{port}"


def _ask(preview: HostPreview, yes: bool, confirm: ConfirmFn | None) -> None:
    if not preview.needs_confirmation or yes:
        return
    if confirm is None:
        raise HostError(
            "confirmation needed and no way to ask",
            hint="check the fingerprint, then pass --yes or --fingerprint SHA256:…",
        )
    if not confirm(preview):
        raise HostError("not confirmed; nothing was changed", hint="run again and answer y")


def _refuse_known_hosts(preview: HostPreview) -> None:
    check = preview.known_hosts
    if check is None:
        return
    lines = ", ".join(str(n) for n in check.line_numbers)
    if check.status == "revoked":
        raise HostError(
            f"{preview.key.type} key {preview.key.fingerprint} is marked @revoked in "
            f"{check.path}:{lines}; nothing was changed",
            hint="do not trust this host key; find out why it was revoked",
        )
    if check.status == "mismatch" and not preview.fingerprint_checked:
        raise HostError(
            f"host key of {preview.address} differs from {check.path}:{lines}; nothing was changed",
            hint="someone may be intercepting the connection, or the host was reinstalled: "
            "check the new fingerprint on the host and pass --fingerprint SHA256:…",
        )


# --- add-host --------------------------------------------------------------------------


@holding_store_lock
def add_host(
    rules_path: Path,
    name: str,
    address: str,
    *,
    key_file: Path | None = None,
    from_known_hosts: bool = False,
    key_type: str | None = None,
    fingerprint: str | None = None,
    to: Sequence[str] = (),
    yes: bool = False,
    show: ShowFn | None = None,
    confirm: ConfirmFn | None = None,
    identities: Sequence[Path] | None = None,
    prompt: Callable[[Path], str] | None = None,
    evaluator: str = "auto",
    timeout: float = 5.0,
    known_hosts_path: Path | None = None,
) -> HostOutcome:
    """Bind ``name = "<host key>";`` in secrets.nix, record the host, optionally add it
    to the secrets ``to`` and re-encrypt them."""
    from agepy.rules import add_key_binding, add_recipient, load_rules

    valid_name(name)
    if key_type not in (None, "ed25519", "rsa"):
        raise HostError(f"bad key type {key_type!r}", hint="use --type ed25519 or --type rsa")
    host, port = parse_target(address)
    rules = load_rules(rules_path, evaluator=evaluator)
    rules_path = rules.path
    inventory = Inventory.load(rules_path)
    if name in inventory.hosts:
        raise HostError(
            f"host {name!r} is already in {inventory.path.name}",
            hint=f"to take a reinstalled host's new key: agepy rescan {name}",
        )
    targets = [rules.get(secret).name for secret in to]  # RulesError for unknown entries

    if key_file is not None:
        keys, source = keys_from_file(key_file), f"file {key_file}"
    elif from_known_hosts:
        found = known_keys(host, port, known_hosts_path)
        keys = [scanned_key(k.key) for k in found]
        source = "known_hosts"
        if not keys:
            raise HostError(
                f"{_target(host, port) if port != 22 else host} is not in known_hosts",
                hint="scan the host instead (leave out --known-hosts)",
            )
    else:
        keys, source = _scan(host, port, timeout).keys, "scan"

    bound = {n: k for k, n in rules.key_names.items()}
    chosen_type = key_type
    if name in bound and not key_type and not fingerprint:
        # Adopting an existing binding: prefer the key type it already holds.
        chosen_type = bound[name].split()[0].removeprefix("ssh-")
        if chosen_type not in ("ed25519", "rsa"):
            chosen_type = None
    key = _choose(keys, chosen_type, fingerprint)
    if name in bound and bound[name] != key.line:
        raise HostError(
            f"secrets.nix already binds {name} to another key than the host presents "
            f"({key.fingerprint})",
            hint=f"if the host was reinstalled: agepy add-host {name} {address} "
            f"--key-file OLD.pub, then agepy rescan {name}",
        )
    other = rules.key_names.get(key.line)
    if other is not None and other != name:
        raise HostError(
            f"this key is already bound as {other!r} in secrets.nix",
            hint=f"use the name {other}, or remove that binding first",
        )

    preview = HostPreview(
        action="add",
        name=name,
        address=host,
        port=port,
        key=key,
        keys=keys,
        source=source,
        fingerprint_checked=bool(fingerprint),
        secrets=targets,
    )
    if source != "known_hosts":
        preview.known_hosts = check_known_hosts(host, port, key.line, known_hosts_path)
    preview.needs_confirmation = not fingerprint and source == "scan"
    if show is not None:
        show(preview)
    _refuse_known_hosts(preview)
    _ask(preview, yes, confirm)

    new_targets = [t for t in targets if t not in {s.name for s in rules.secrets_for_key(key.line)}]
    plaintexts = decrypt_all(rules_path, StoreAccess(evaluator, identities, prompt), targets)
    files = [rules.get(t).file for t in targets]
    with restore_on_failure([rules_path, inventory.path, *files]):
        if name not in bound:
            add_key_binding(rules_path, name, key.line, evaluator=evaluator)
        for target in new_targets:
            add_recipient(rules_path, target, name, evaluator=evaluator)
        write_all(rules_path, StoreAccess(evaluator, identities, prompt), plaintexts)
        inventory.record_scan(name, host, port, _host_keys(keys), key.line)
        inventory.save()
    changed_rules = [rules_path] if name not in bound or new_targets else []
    return HostOutcome(preview, True, changed_rules, list(targets), inventory.path)


def _host_keys(keys: Sequence[ScannedKey]) -> list[HostKey]:
    return [HostKey(k.type, k.line, k.fingerprint) for k in keys]


# --- rescan ----------------------------------------------------------------------------


@holding_store_lock
def rescan(
    rules_path: Path,
    name: str,
    *,
    yes: bool = False,
    show: ShowFn | None = None,
    confirm: ConfirmFn | None = None,
    identities: Sequence[Path] | None = None,
    prompt: Callable[[Path], str] | None = None,
    evaluator: str = "auto",
    timeout: float = 5.0,
    known_hosts_path: Path | None = None,
    key_file: Path | None = None,
) -> HostOutcome:
    """Scan host ``name`` again; if its key changed (reinstall), replace it in
    secrets.nix and re-encrypt exactly the secrets that held the old key.

    With ``key_file`` the new keys are read from that file (a .pub file or ssh-keyscan
    output, e.g. copied from the host's console) instead of scanning.
    """
    from agepy.rules import load_rules, replace_key

    rules = load_rules(rules_path, evaluator=evaluator)
    rules_path = rules.path
    inventory = Inventory.load(rules_path)
    host = inventory.get(name)
    bound = {n: k for k, n in rules.key_names.items()}
    old_key = bound.get(name) or host.key
    if not old_key:
        raise HostError(f"no key recorded for {name}", hint=f"agepy add-host {name} ADDRESS")
    old = scanned_key(old_key)

    if key_file is not None:
        result = ScanResult(host.address, host.port, keys_from_file(key_file))
        source = f"file {key_file}"
    else:
        result, source = _scan(host.address, host.port, timeout), "scan"
    same = [k for k in result.keys if k.line == old.line]
    if same:
        key = same[0]
    else:
        try:  # the same type as before if the host still has one, else the default
            key = _choose(result.keys, old.short_type, None)
        except HostError:
            key = _choose(result.keys, None, None)
    holders = [s.name for s in rules.secrets_for_key(old.line)]
    preview = HostPreview(
        action="rescan",
        name=name,
        address=host.address,
        port=host.port,
        key=key,
        keys=result.keys,
        source=source,
        old_key=old.line,
        old_fingerprint=old.fingerprint,
        secrets=holders,
        unchanged=bool(same),
        needs_confirmation=not same,
    )
    preview.known_hosts = check_known_hosts(host.address, host.port, key.line, known_hosts_path)
    if show is not None:
        show(preview)
    if same:
        with restore_on_failure([inventory.path]):
            inventory.record_scan(name, host.address, host.port, _host_keys(result.keys), old.line)
            inventory.save()
        return HostOutcome(preview, False, [], [], inventory.path)
    if preview.known_hosts.status == "revoked":
        _refuse_known_hosts(preview)
    _ask(preview, yes, confirm)

    plaintexts = decrypt_all(rules_path, StoreAccess(evaluator, identities, prompt), holders)
    rules_files: list[Path] = []
    if old.line in rules.key_names or holders:
        rules_files = replace_key(rules_path, old.line, key.line, evaluator=evaluator, dry_run=True)
    files = [rules.get(h).file for h in holders]
    with restore_on_failure([*rules_files, inventory.path, *files]):
        if rules_files:
            replace_key(rules_path, old.line, key.line, evaluator=evaluator)
        write_all(rules_path, StoreAccess(evaluator, identities, prompt), plaintexts)
        inventory.record_scan(name, host.address, host.port, _host_keys(result.keys), key.line)
        inventory.save()
    return HostOutcome(preview, True, rules_files, holders, inventory.path)
