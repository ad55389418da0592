"""Which keys can read an old, committed version of a secret but are no recipient now.

Pure data in, report out: the versions of each secret found in history (who could read
each), today's recipients, and the rotations agepy recorded. No git, no files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["Exposure", "Reader", "Rotation", "Version", "exposures", "iso_date"]


@dataclass(frozen=True)
class Reader:
    """A key a version was encrypted to. ``id`` identifies it across history: the SSH
    fingerprint (``SHA256:…``), the age recipient itself, or ``ssh-tag:XXXXXX`` for an
    SSH key known only by the tag its stanza carries."""

    id: str
    kind: str  # ssh-ed25519, ssh-rsa, x25519, plugin, or "ssh" when only the tag is known
    text: str = ""  # the key, when known
    tag: str = ""  # the SSH stanza tag, for SSH keys

    def describe(self) -> str:
        """``ssh-ed25519 SHA256:…`` / ``age1…`` / ``SSH key tag XXXX``, for messages."""
        if self.kind == "ssh":
            return f"SSH key tag {self.tag}"
        if self.kind.startswith("ssh-"):
            return f"{self.kind} {self.id}"
        return self.id if len(self.id) <= 24 else self.id[:20] + "…"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "key": self.text or None}

    def to_cache(self) -> list[str]:
        return [self.id, self.kind, self.text, self.tag]

    @classmethod
    def from_cache(cls, data: Sequence[str]) -> Reader:
        return cls(*(str(field) for field in data[:4]))


@dataclass(frozen=True)
class Version:
    """One committed version (blob) of a secret's file: who could read it, and the last
    commit that still had it."""

    secret: str
    blob: str
    commit: str
    time: int
    readers: tuple[Reader, ...]


@dataclass(frozen=True)
class Rotation:
    """A new value written by `agepy rotate`: when, and which keys it answered for."""

    secret: str
    date: str  # ISO 8601, UTC
    keys: tuple[str, ...]  # Reader ids

    @property
    def time(self) -> int:
        return int(datetime.fromisoformat(self.date.replace("Z", "+00:00")).timestamp())


@dataclass(frozen=True)
class Exposure:
    """``reader`` could read a committed version of ``secret`` and is no recipient now."""

    secret: str
    reader: Reader
    name: str
    commit: str  # the last commit with a version it could read
    time: int

    @property
    def date(self) -> str:
        return datetime.fromtimestamp(self.time, UTC).strftime("%Y-%m-%d")

    @property
    def detail(self) -> str:
        """Who, and since when: ``bob (ssh-ed25519 …, last a recipient in …) can read…``."""
        return (
            f"{self.name} ({self.reader.describe()}, last a recipient "
            f"in {self.commit[:7]}, {self.date}) can read old versions"
        )

    def __str__(self) -> str:
        return f"rotate {self.secret}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **self.reader.to_json(),
            "lastCommit": self.commit,
            "lastDate": iso_date(self.time),
        }


def iso_date(time: int) -> str:
    return datetime.fromtimestamp(time, UTC).isoformat().replace("+00:00", "Z")


def _is_current(reader: Reader, ids: set[str], tags: set[str]) -> bool:
    return reader.id in ids or bool(reader.tag and reader.tag in tags)


def exposures(
    versions: Iterable[Version],
    current: Mapping[str, Sequence[Reader]],
    rotations: Iterable[Rotation] = (),
    names: Mapping[str, str] | None = None,
) -> list[Exposure]:
    """Per secret of ``current`` (its recipients today), each reader of some version that
    is not among them, with the newest commit it could read; minus what a later rotation
    of that secret answered for. In secret then name order."""
    names = names or {}
    rotated: dict[tuple[str, str], int] = {}
    for rotation in rotations:
        for key in rotation.keys:
            slot = (rotation.secret, key)
            rotated[slot] = max(rotated.get(slot, 0), rotation.time)
    latest: dict[tuple[str, str], tuple[int, str, Reader]] = {}
    recipients = {
        name: ({r.id for r in readers}, {r.tag for r in readers if r.tag})
        for name, readers in current.items()
    }
    for version in versions:
        if version.secret not in recipients:
            continue
        ids, tags = recipients[version.secret]
        for reader in version.readers:
            if _is_current(reader, ids, tags):
                continue
            slot = (version.secret, reader.id)
            seen = latest.get(slot)
            if seen is None or version.time > seen[0]:
                latest[slot] = (version.time, version.commit, reader)
    found = []
    for (secret, key), (time, commit, reader) in latest.items():
        if rotated.get((secret, key), -1) >= time:
            continue
        name = names.get(key) or reader.describe()
        found.append(Exposure(secret, reader, name, commit, time))
    return sorted(found, key=lambda e: (e.secret, e.name, e.reader.id))
