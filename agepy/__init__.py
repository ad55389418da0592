"""agepy: agenix secrets for NixOS servers, as a Python library.

The public API, re-exported here (``keyscan`` loads asyncio and asyncssh on first use,
so that reading secrets does not)::

    import agepy

    store = agepy.Store("secrets/secrets.nix")
    plaintext = store.decrypt("heisenbridge-config.age")

Errors are all subclasses of :class:`agepy.AgepyError`, each with ``.message`` and ``.hint``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agepy import hosts as _hosts
from agepy.age import (
    Header,
    Stanza,
    decrypt_bytes,
    decrypt_to,
    encrypt_bytes,
    encrypt_file,
    parse_header,
    read_header,
)
from agepy.age.identities import Identity, load_identities
from agepy.age.recipients import Recipient, parse_recipient, ssh_fingerprint, ssh_tag
from agepy.errors import (
    AgeFormatError,
    AgepyError,
    DecryptError,
    EditError,
    HostError,
    IdentityError,
    KeyscanError,
    NixError,
    NoIdentityMatchError,
    RecipientError,
    RulesError,
    StoreError,
)
from agepy.hosts import Inventory
from agepy.nix import evaluate_file
from agepy.rules import Rules, Secret, load_rules, locate_rules
from agepy.store import Store

__version__ = "0.1.0"

__all__ = [
    "AgeFormatError",
    "AgepyError",
    "DecryptError",
    "EditError",
    "Header",
    "HostError",
    "Identity",
    "IdentityError",
    "Inventory",
    "KeyscanError",
    "NixError",
    "NoIdentityMatchError",
    "Recipient",
    "RecipientError",
    "Rules",
    "RulesError",
    "Secret",
    "Stanza",
    "Store",
    "StoreError",
    "__version__",
    "decrypt_bytes",
    "decrypt_to",
    "encrypt_bytes",
    "encrypt_file",
    "evaluate_file",
    "keyscan",
    "load_identities",
    "load_rules",
    "locate_rules",
    "parse_header",
    "parse_recipient",
    "read_header",
    "ssh_fingerprint",
    "ssh_tag",
]


if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from agepy.hosts.scan import keyscan


def __getattr__(name: str) -> Any:
    if name == "keyscan":  # agepy.hosts loads it (and asyncio) on first use
        return _hosts.keyscan
    raise AttributeError(f"module 'agepy' has no attribute {name!r}")
