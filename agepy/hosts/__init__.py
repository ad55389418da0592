"""Hosts: fetch SSH host keys (keyscan), check known_hosts, remember them (agepy.toml).

Adding and rescanning a host (which also edit secrets.nix and the store) are operations:
:mod:`agepy.ops`.

Nothing heavy is imported here; asyncssh loads only when scanning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agepy._lazy import lazy_exports

_EXPORTS = {
    "HistoryEntry": "agepy.hosts.inventory",
    "Host": "agepy.hosts.inventory",
    "HostKey": "agepy.hosts.inventory",
    "HostStatus": "agepy.hosts.inventory",
    "Inventory": "agepy.hosts.inventory",
    "host_statuses": "agepy.hosts.inventory",
    "KnownHostsCheck": "agepy.hosts.known_hosts",
    "check_known_hosts": "agepy.hosts.known_hosts",
    "known_keys": "agepy.hosts.known_hosts",
    "KEY_TYPES": "agepy.hosts.scan",
    "ScannedKey": "agepy.hosts.scan",
    "ScanResult": "agepy.hosts.scan",
    "keyscan": "agepy.hosts.scan",
    "parse_target": "agepy.hosts.scan",
}

__all__ = [
    "KEY_TYPES",
    "HistoryEntry",
    "Host",
    "HostKey",
    "HostStatus",
    "Inventory",
    "KnownHostsCheck",
    "ScanResult",
    "ScannedKey",
    "check_known_hosts",
    "host_statuses",
    "keyscan",
    "known_keys",
    "parse_target",
]

__getattr__ = lazy_exports("agepy.hosts", globals(), _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from agepy.hosts.inventory import (
        HistoryEntry,
        Host,
        HostKey,
        HostStatus,
        Inventory,
        host_statuses,
    )
    from agepy.hosts.known_hosts import KnownHostsCheck, check_known_hosts, known_keys
    from agepy.hosts.scan import KEY_TYPES, ScannedKey, ScanResult, keyscan, parse_target
