"""add-host and rescan: scan a host, bind its key in secrets.nix, record it in agepy.toml
and re-encrypt the secrets it joins, all or nothing.

Each runs in one :class:`~agepy.ops.workspace.Workspace`: secrets.nix is evaluated once
when loaded, once to check the edit, and (rescan) once after the write, and agepy.toml
is read once. Every check that can fail (scan, known_hosts, fingerprint, names,
decrypting every affected secret into memory, evaluating the edited file) runs before
the first write; the transaction puts the old bytes back if a later step fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from agepy.errors import HostError, Reason
from agepy.hosts.inventory import valid_name
from agepy.hosts.known_hosts import check_known_hosts, keys_from_file, known_keys
from agepy.hosts.scan import ScanResult, format_target, parse_target, scanned_key
from agepy.ops.host_edits import plan_host_binding
from agepy.ops.host_preview import (
    ConfirmFn,
    HostOutcome,
    HostPreview,
    ShowFn,
    ask,
    choose_key,
    host_keys,
    refuse_known_hosts,
    scan_one,
)
from agepy.ops.workspace import open_workspace
from agepy.rules.replacing import plan_replace_key

__all__ = ["add_host", "rescan"]


def add_host(
    rules_path: Path | str | None,
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
    valid_name(name)
    if key_type not in (None, "ed25519", "rsa"):
        raise HostError(
            f"bad key type {key_type!r}",
            hint="use 'ed25519' or 'rsa'",
            reason=Reason.BAD_HOST_KEY_TYPE,
        )
    host, port = parse_target(address)
    with open_workspace(
        rules_path, evaluator=evaluator, identities=identities, prompt=prompt
    ) as workspace:
        rules, inventory = workspace.rules, workspace.inventory
        if name in inventory.hosts:
            raise HostError(
                f"host {name!r} is already in {inventory.path.name}",
                hint="to take a reinstalled host's new key, rescan it",
                reason=Reason.HOST_EXISTS,
                details={"name": name},
            )
        targets = [rules.get(secret).name for secret in to]  # RulesError for unknown entries

        if key_file is not None:
            keys, source = keys_from_file(key_file), f"file {key_file}"
        elif from_known_hosts:
            keys = [scanned_key(k.key) for k in known_keys(host, port, known_hosts_path)]
            source = "known_hosts"
            if not keys:
                raise HostError(
                    f"{format_target(host, port)} is not in known_hosts",
                    hint="scan the host instead",
                    reason=Reason.NOT_IN_KNOWN_HOSTS,
                )
        else:
            keys, source = scan_one(host, port, timeout).keys, "scan"

        bound = {n: k for k, n in rules.key_names.items()}
        chosen_type = key_type
        if name in bound and not key_type and not fingerprint:
            # Adopting an existing binding: prefer the key type it already holds.
            chosen_type = bound[name].split()[0].removeprefix("ssh-")
            if chosen_type not in ("ed25519", "rsa"):
                chosen_type = None
        key = choose_key(keys, chosen_type, fingerprint)
        if name in bound and bound[name] != key.line:
            raise HostError(
                f"secrets.nix already binds {name} to another key than the host presents "
                f"({key.fingerprint})",
                hint="if the host was reinstalled: add it with its old public key, then rescan it",
                reason=Reason.HOST_REBOUND,
                details={"name": name, "address": address},
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
        refuse_known_hosts(preview)
        ask(preview, yes, confirm)

        holding = {s.name for s in rules.secrets_for_key(key.line)}
        new_targets = [t for t in targets if t not in holding]
        plaintexts = workspace.decrypt_all(targets)
        edited = name not in bound or bool(new_targets)
        if edited:
            new_text, verified = plan_host_binding(
                rules, name, key.line, new_targets, bind=name not in bound, evaluator=evaluator
            )
        files = [rules.get(t).file for t in targets]
        with workspace.transaction([rules.path, inventory.path, *files]) as transaction:
            if edited:
                transaction.write_rules({rules.path: new_text}, verified)
            transaction.write_secrets(plaintexts)
            inventory.record_scan(name, host, port, host_keys(keys), key.line)
            transaction.save_inventory()
        changed_rules = [rules.path] if edited else []
        return HostOutcome(
            preview, True, changed_rules, list(targets), inventory.path, workspace.store
        )


def rescan(
    rules_path: Path | str | None,
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
    with open_workspace(
        rules_path, evaluator=evaluator, identities=identities, prompt=prompt
    ) as workspace:
        rules, inventory = workspace.rules, workspace.inventory
        host = inventory.get(name)
        bound = {n: k for k, n in rules.key_names.items()}
        old_key = bound.get(name) or host.key
        if not old_key:
            raise HostError(
                f"no key recorded for {name}",
                hint="add the host again, from its address",
                reason=Reason.HOST_WITHOUT_KEY,
                details={"name": name},
            )
        old = scanned_key(old_key)

        if key_file is not None:
            result = ScanResult(host.address, host.port, keys_from_file(key_file))
            source = f"file {key_file}"
        else:
            result, source = scan_one(host.address, host.port, timeout), "scan"
        same = [k for k in result.keys if k.line == old.line]
        if same:
            key = same[0]
        else:
            try:  # the same type as before if the host still has one, else the default
                key = choose_key(result.keys, old.short_type, None)
            except HostError:
                key = choose_key(result.keys, None, None)
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
        scanned = host_keys(result.keys)
        if same:
            with workspace.transaction([inventory.path]) as transaction:
                inventory.record_scan(name, host.address, host.port, scanned, old.line)
                transaction.save_inventory()
            return HostOutcome(preview, False, [], [], inventory.path)
        if preview.known_hosts.status == "revoked":
            refuse_known_hosts(preview)
        ask(preview, yes, confirm)

        plaintexts = workspace.decrypt_all(holders)
        changes: dict[Path, bytes] = {}
        if old.line in rules.key_names or holders:
            changes, _ = plan_replace_key(rules, old.line, key.line, evaluator=evaluator)
        files = [rules.get(h).file for h in holders]
        with workspace.transaction([*changes, inventory.path, *files]) as transaction:
            rules_files = transaction.write_rules(changes) if changes else []
            transaction.write_secrets(plaintexts)
            inventory.record_scan(name, host.address, host.port, scanned, key.line)
            transaction.save_inventory()
        return HostOutcome(preview, True, rules_files, holders, inventory.path, workspace.store)
