"""Hosts: fetch SSH host keys (keyscan), remember them (agepy.toml), add and rescan hosts.

``keyscan`` and the inventory import nothing heavy; asyncssh loads only when scanning.
"""

from __future__ import annotations

from agepy.hosts.keyscan import KEY_TYPES, ScannedKey, ScanResult, keyscan, parse_target

__all__ = ["KEY_TYPES", "ScanResult", "ScannedKey", "keyscan", "parse_target"]
