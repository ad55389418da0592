"""The secret store: edit, decrypt, write, rekey (only what is stale) and check the .age
files of a secrets.nix, by their names in it."""

from __future__ import annotations

from agepy.store.check import Finding
from agepy.store.generate import GenerateResult
from agepy.store.listing import ListRow
from agepy.store.rekey import RekeyReport, RekeyResult
from agepy.store.status import Status, stale_reasons
from agepy.store.store import Store

__all__ = [
    "Finding",
    "GenerateResult",
    "ListRow",
    "RekeyReport",
    "RekeyResult",
    "Status",
    "Store",
    "stale_reasons",
]
