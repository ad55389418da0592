"""What add-host and rescan show before writing, and the checks that may refuse.

The CLI gets a :class:`HostPreview` through ``show`` before anything is written, answers
``confirm`` when a confirmation is needed, and prints the :class:`HostOutcome`.

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

from agepy.errors import HostError, Reason
from agepy.hosts.inventory import HostKey
from agepy.hosts.known_hosts import KnownHostsCheck
from agepy.hosts.scan import ScannedKey, ScanResult, format_target, keyscan
from agepy.store.store import Store

__all__ = [
    "ConfirmFn",
    "HostOutcome",
    "HostPreview",
    "ShowFn",
    "ask",
    "choose_key",
    "host_keys",
    "refuse_known_hosts",
    "scan_one",
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
    # The store as the command left it, for follow-up reports (no second load).
    store: Store | None = field(default=None, repr=False, compare=False)


def choose_key(keys: list[ScannedKey], key_type: str | None, fingerprint: str | None) -> ScannedKey:
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
        hint="age needs an ssh-ed25519 or ssh-rsa host key; try the rsa key or another source",
        reason=Reason.NO_AGE_HOST_KEY,
    )


def scan_one(address: str, port: int, timeout: float) -> ScanResult:
    [result] = keyscan([format_target(address, port)], timeout=timeout)
    if result.error is not None and not result.keys:
        raise result.error
    return result


def ask(preview: HostPreview, yes: bool, confirm: ConfirmFn | None) -> None:
    if not preview.needs_confirmation or yes:
        return
    if confirm is None:
        raise HostError(
            "confirmation needed and no way to ask",
            hint="check the fingerprint, then confirm it (yes=True) or give it (SHA256:…)",
            reason=Reason.CONFIRMATION_NEEDED,
        )
    if not confirm(preview):
        raise HostError("not confirmed; nothing was changed", hint="run again and answer y")


def refuse_known_hosts(preview: HostPreview) -> None:
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
            "check the new fingerprint on the host and give it (SHA256:…)",
            reason=Reason.HOST_KEY_MISMATCH,
        )


def host_keys(keys: Sequence[ScannedKey]) -> list[HostKey]:
    return [HostKey(k.type, k.line, k.fingerprint) for k in keys]
