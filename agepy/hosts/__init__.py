"""Hosts: fetch SSH host keys (keyscan), remember them (agepy.toml), add and rescan hosts.

Nothing heavy is imported here; asyncssh loads only when scanning.
"""

from __future__ import annotations

from agepy.hosts.flows import HostOutcome, HostPreview, add_host, rescan
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

__all__ = [
    "KEY_TYPES",
    "HistoryEntry",
    "Host",
    "HostKey",
    "HostOutcome",
    "HostPreview",
    "HostStatus",
    "Inventory",
    "KnownHostsCheck",
    "ScanResult",
    "ScannedKey",
    "add_host",
    "check_known_hosts",
    "host_statuses",
    "keyscan",
    "known_keys",
    "parse_target",
    "rescan",
]
