"""The host inventory: ``agepy.toml`` beside secrets.nix.

secrets.nix stays the source of truth for who can read what; the inventory says where
each host lives (address, port), which host keys it presented when last scanned, and
which keys it had before (replaced on reinstall). Read with tomllib, written with
tomli-w, atomically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from agepy import _agepy_toml
from agepy._locate import locate_rules
from agepy.age.recipients import parse_recipient
from agepy.errors import HostError, Reason, RecipientError
from agepy.hosts.targets import format_target
from agepy.rules.model import rules_key_names

__all__ = [
    "INVENTORY_NAME",
    "HistoryEntry",
    "Host",
    "HostKey",
    "HostStatus",
    "Inventory",
    "host_statuses",
    "now",
    "valid_name",
]

INVENTORY_NAME = _agepy_toml.FILE_NAME
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_'-]*\Z")
_NIX_KEYWORDS = {"let", "in", "if", "then", "else", "with", "rec", "inherit", "assert", "or"}


def now() -> str:
    """The current UTC time as ISO 8601, to the second: ``2024-05-01T12:00:00Z``."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def valid_name(name: str) -> str:
    """``name`` if it can be a Nix binding in secrets.nix (and so a host name); else error."""
    if not _NAME.match(name) or name in _NIX_KEYWORDS:
        raise HostError(
            f"bad host name {name!r}",
            hint="use a Nix identifier: letters, digits, _ ' -, not starting with a digit",
        )
    return name


@dataclass
class HostKey:
    """A host key as presented: ``key`` is ``type base64``."""

    type: str
    key: str
    fingerprint: str


@dataclass
class HistoryEntry:
    """A key the host had before it was replaced."""

    key: str
    fingerprint: str
    replaced_at: str


@dataclass
class Host:
    """One host: ``key`` is the one bound in secrets.nix; ``keys`` all it presented."""

    name: str
    address: str
    port: int = 22
    key: str = ""
    fingerprint: str = ""
    keys: list[HostKey] = field(default_factory=list)
    seen_at: str = ""
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def target(self) -> str:
        """``address`` or ``address:port`` (``[v6]:port``), as keyscan takes it."""
        return format_target(self.address, self.port)

    def to_toml(self) -> dict[str, Any]:
        table: dict[str, Any] = {
            "address": self.address,
            "port": self.port,
            "key": self.key,
            "fingerprint": self.fingerprint,
            "seen_at": self.seen_at,
            "keys": [vars(k).copy() for k in self.keys],
        }
        if self.history:
            table["history"] = [vars(h).copy() for h in self.history]
        return table


def _bad(path: Path, where: str, what: str) -> HostError:
    return HostError(
        f"{path}: {where}: {what}",
        hint=f"fix {path.name} by hand (it is TOML written by agepy), "
        "or move it away to start a new inventory",
    )


def _field(path: Path, where: str, table: dict[str, Any], name: str, kind: type) -> Any:
    value = table.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
        raise _bad(path, where, f"{name!r} must be a {kind.__name__}")
    return value


def _key_fields(path: Path, where: str, table: Any, names: Iterable[str]) -> dict[str, str]:
    if not isinstance(table, dict):
        raise _bad(path, where, "must be a table")
    return {name: _field(path, where, table, name, str) for name in names}


def _host(path: Path, name: str, table: Any) -> Host:
    where = f"hosts.{name}"
    if not isinstance(table, dict):
        raise _bad(path, where, "must be a table")
    port = table.get("port", 22)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise _bad(path, where, "'port' must be a number from 1 to 65535")
    keys = table.get("keys", [])
    history = table.get("history", [])
    if not isinstance(keys, list) or not isinstance(history, list):
        raise _bad(path, where, "'keys' and 'history' must be arrays of tables")
    host = Host(
        name=name,
        address=_field(path, where, table, "address", str),
        port=port,
        key=str(table.get("key", "")),
        fingerprint=str(table.get("fingerprint", "")),
        seen_at=str(table.get("seen_at", "")),
        keys=[
            HostKey(**_key_fields(path, f"{where}.keys", k, ("type", "key", "fingerprint")))
            for k in keys
        ],
        history=[
            HistoryEntry(
                **_key_fields(path, f"{where}.history", h, ("key", "fingerprint", "replaced_at"))
            )
            for h in history
        ],
    )
    if host.key:
        try:
            parse_recipient(host.key)
        except RecipientError as exc:
            raise _bad(path, where, f"'key' is not a usable key: {exc.message}") from None
    return host


class Inventory:
    """The hosts of one secrets.nix, from and to ``agepy.toml`` in the same folder."""

    def __init__(
        self,
        path: Path,
        hosts: dict[str, Host] | None = None,
        other: dict[str, Any] | None = None,
    ) -> None:
        self.path = path
        self.hosts: dict[str, Host] = hosts or {}
        # Top-level tables other layers keep here (the generators' [secrets]), written back
        # unchanged so that saving the hosts never drops them.
        self.other: dict[str, Any] = other or {}

    @classmethod
    def path_for(cls, rules_path: Path) -> Path:
        return _agepy_toml.path_for(rules_path)

    @classmethod
    def load(cls, rules_path: Path) -> Inventory:
        """The inventory beside ``rules_path``; empty when there is no agepy.toml yet."""
        path = cls.path_for(rules_path)
        data = _agepy_toml.read(path, lambda p, what: _bad(p, "file", what))
        hosts = data.get("hosts", {})
        if not isinstance(hosts, dict):
            raise _bad(path, "hosts", "must be a table of hosts")
        other = {key: value for key, value in data.items() if key != "hosts"}
        hosts_found = {name: _host(path, name, table) for name, table in hosts.items()}
        return cls(path, hosts_found, other)

    def document(self) -> dict[str, Any]:
        """The whole of agepy.toml: the hosts, then the other layers' tables unchanged."""
        tables = {name: self.hosts[name].to_toml() for name in sorted(self.hosts)}
        document = {"hosts": tables} if tables or not self.other else {}
        return {**document, **self.other}

    def dumps(self) -> str:
        return _agepy_toml.dumps(self.document())

    def save(self) -> None:
        """Write agepy.toml atomically (temp file in the same folder, fsync, rename)."""
        _agepy_toml.write(self.path, self.document(), keep_comments=False)

    def get(self, name: str) -> Host:
        host = self.hosts.get(name)
        if host is None:
            known = ", ".join(sorted(self.hosts)) or "none yet"
            raise HostError(
                f"no host {name!r} in {self.path.name}",
                hint=f"hosts: {known}; add the host to the inventory first",
                reason=Reason.UNKNOWN_HOST,
                details={"name": name, "known": known},
            )
        return host

    def host_key(self, name: str) -> str:
        """Host ``name``'s key, as secrets.nix lists it; an error if it has none yet."""
        host = self.get(name)
        if not host.key:
            raise HostError(
                f"host {name!r} has no key yet",
                hint="scan it first",
                reason=Reason.HOST_NOT_SCANNED,
                details={"name": name},
            )
        return host.key

    def known_keys(self) -> list[tuple[str, str]]:
        """Every key the inventory knows, old ones included, with a name for it."""
        keys: list[tuple[str, str]] = []
        for host in self.hosts.values():
            keys.extend((k, host.name) for k in [host.key, *(k.key for k in host.keys)])
            keys.extend((h.key, f"{host.name} (old key)") for h in host.history)
        return [(k, name) for k, name in keys if k]

    def record_scan(
        self,
        name: str,
        address: str,
        port: int,
        keys: Iterable[HostKey],
        key: str,
        *,
        when: str | None = None,
    ) -> Host:
        """Record what host ``name`` presented and which ``key`` secrets.nix binds.

        A different ``key`` than before moves the old one into the history.
        """
        when = when or now()
        recipient = parse_recipient(key)
        host = self.hosts.get(name)
        if host is None:
            host = self.hosts[name] = Host(name=name, address=address, port=port)
        elif host.key and parse_recipient(host.key).text != recipient.text:
            host.history.append(HistoryEntry(host.key, host.fingerprint, when))
        host.address, host.port = address, port
        host.key, host.fingerprint = recipient.text, recipient.fingerprint
        host.keys = list(keys)
        host.seen_at = when
        return host

    def names(self) -> dict[str, str]:
        """Key text (``type base64``) → host name, for naming recipients.

        Every key a host last presented names it; the key bound in secrets.nix wins.
        """
        names: dict[str, str] = {}
        for host in self.hosts.values():
            for key in host.keys:
                names.setdefault(" ".join(key.key.split()[:2]), host.name)
        for host in self.hosts.values():
            if host.key:
                names[" ".join(host.key.split()[:2])] = host.name
        return names


# --- hosts listing -----------------------------------------------------------------------------


@dataclass
class HostStatus:
    """One inventory host and whether secrets.nix agrees: ok, differs or missing."""

    name: str
    address: str
    port: int
    key: str
    fingerprint: str
    seen_at: str
    status: Literal["ok", "differs", "missing"]
    history: int

    def to_json(self) -> dict[str, Any]:
        # camelCase like every other --json shape (the TOML file keeps seen_at).
        fields = dict(vars(self))
        fields["seenAt"] = fields.pop("seen_at")
        return fields


def host_statuses(rules_path: Path) -> list[HostStatus]:
    """Every host of the inventory, checked against the bindings of secrets.nix."""

    rules_path = locate_rules(rules_path)
    inventory = Inventory.load(rules_path)
    bound = {n: " ".join(k.split()[:2]) for k, n in rules_key_names(rules_path).items()}
    statuses = []
    for name in sorted(inventory.hosts):
        host = inventory.hosts[name]
        status: Literal["ok", "differs", "missing"] = "missing"
        if name in bound:
            status = "ok" if bound[name] == host.key else "differs"
        statuses.append(
            HostStatus(
                name,
                host.address,
                host.port,
                host.key,
                host.fingerprint,
                host.seen_at,
                status,
                len(host.history),
            )
        )
    return statuses
