"""Secrets whose old values are readable by a key that left, and rotating them.

A rekey re-encrypts the same value: whoever could read an old committed version still
knows it. Only a new value helps, so `agepy rotate` writes one (made by the secret's
generator, or typed by a person) and records in agepy.toml which keys it answered for.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agepy.errors import StoreError
from agepy.store.editor import editor_command, run_editor
from agepy.store.exposure import Exposure, Rotation, exposures
from agepy.store.generate import GenerateResult
from agepy.store.generate import regenerate as regenerate_secret
from agepy.store.generator_records import load_records
from agepy.store.history import HistoryScan, reader_of, scan_history
from agepy.store.rotations import add_rotations, load_rotations, now, rotation_check_enabled
from agepy.store.tmpfs import private_dir, raise_on_signals

if TYPE_CHECKING:
    from agepy.store.store import Store

__all__ = [
    "ExposureReport",
    "exposure_report",
    "has_generator",
    "record_generated_rotation",
    "record_rotation",
    "regenerate",
    "rotation_check_enabled",
    "value_from_editor",
]


@dataclass
class ExposureReport:
    """The exposures of a store, and how far the history could be read."""

    scan: HistoryScan
    exposures: list[Exposure] = field(default_factory=list)

    @property
    def notice(self) -> str:
        return self.scan.notice

    def for_secret(self, name: str) -> list[Exposure]:
        return [e for e in self.exposures if e.secret == name]

    @property
    def secrets(self) -> list[str]:
        return list(dict.fromkeys(e.secret for e in self.exposures))

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.scan.checked,
            "notice": self.scan.notice or None,
            "commits": self.scan.commits,
            "exposed": [{"secret": e.secret, **e.to_json()} for e in self.exposures],
        }


def _names(store: Store, scan: HistoryScan) -> dict[str, str]:
    """Reader id → name: today's (binding, inventory host), else a past binding."""
    names = dict(scan.names)
    rules = store.rules
    readers = {r.id: r for v in scan.versions for r in v.readers if r.text}
    for reader in readers.values():
        today = rules.name_of(reader.text)
        if today not in (reader.id, reader.text):
            names[reader.id] = today
    return names


def exposure_report(store: Store, since: str | None = None) -> ExposureReport:
    """Every secret a key could read in some committed version but is no recipient of
    now, unless `agepy rotate` gave it a new value since."""
    scan = scan_history(store, since)
    current = {s.name: [reader_of(r) for r in s.recipients] for s in store.rules}
    found = exposures(scan.versions, current, load_rotations(store.rules_path), _names(store, scan))
    return ExposureReport(scan, found)


def has_generator(store: Store, name: str) -> bool:
    """Whether agepy.toml records a generator for ``name`` (else a person types the value)."""
    return name in load_records(store.rules_path)


def regenerate(store: Store, name: str) -> GenerateResult:
    """A new value, made, encrypted and recorded by the generator recorded for ``name``."""
    return regenerate_secret(store, name)


def record_generated_rotation(store: Store, name: str, exposed: Sequence[Exposure]) -> Rotation:
    """Record that a generator gave ``name`` a new value (already written)."""
    rotation = Rotation(name, now(), tuple(dict.fromkeys(e.reader.id for e in exposed)))
    add_rotations(store.rules_path, [rotation])
    return rotation


def record_rotation(
    store: Store, name: str, value: bytes, exposed: Sequence[Exposure], *, old: bytes | None
) -> Rotation:
    """Write ``value`` as the new value of ``name`` and record the rotation."""
    secret = store.secret(name)
    if not value:
        raise StoreError(f"empty value: {secret.name} was not rotated", hint="give the new value")
    if old is not None and old == value:
        raise StoreError(
            f"{secret.name}: the new value is the old one, which old versions in git reveal",
            hint="choose a new value; the secret was not changed",
        )
    store.write_secret(secret, value)
    return record_generated_rotation(store, secret.name, exposed)


def value_from_editor(name: str, editor: str | None = None, *, allow_disk: bool = False) -> bytes:
    """A new value typed in the editor, starting from an empty private file (the old
    value is not shown: it must not be reused). Empty when the editor left it so."""
    editor_command(editor)  # no editor: fail before anything else
    with raise_on_signals(), private_dir(allow_disk=allow_disk) as folder:
        plain = folder / Path(name).name
        os.close(os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        run_editor(plain, editor)
        return plain.read_bytes() if plain.exists() else b""
