"""Hosts: fetch SSH host keys (keyscan), check known_hosts, remember them (agepy.toml).

Adding and rescanning a host (which also edit secrets.nix and the store) are operations:
:mod:`agepy.ops`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agepy.hosts.inventory import (
    HistoryEntry,
    Host,
    HostKey,
    HostStatus,
    Inventory,
    host_statuses,
)
from agepy.hosts.known_hosts import KnownHostsCheck, check_known_hosts, known_keys
from agepy.hosts.targets import KEY_TYPES, ScannedKey, ScanResult, parse_target

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

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from agepy.hosts.scan import keyscan


def __getattr__(name: str) -> Any:
    if name == "keyscan":
        # asyncio: reading agepy.toml (check, rekey) must not start the scanner's event loop
        from agepy.hosts.scan import keyscan

        return keyscan
    raise AttributeError(f"module 'agepy.hosts' has no attribute {name!r}")
