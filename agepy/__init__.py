"""agepy: agenix secrets for NixOS servers, as a Python library.

The public API, re-exported here (imported on first use, so that the command line starts
fast)::

    import agepy

    store = agepy.Store("secrets/secrets.nix")
    plaintext = store.decrypt("heisenbridge-config.age")

Errors are all subclasses of :class:`agepy.AgepyError`, each with ``.message`` and ``.hint``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agepy._lazy import lazy_exports
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

__version__ = "0.1.0"

# public name -> module it lives in
_LAZY: dict[str, str] = {
    # keys
    "Recipient": "agepy.age.recipients",
    "parse_recipient": "agepy.age.recipients",
    "ssh_fingerprint": "agepy.age.recipients",
    "ssh_tag": "agepy.age.recipients",
    # identities
    "Identity": "agepy.age.identities",
    "load_identities": "agepy.age.identities",
    # age format
    "Header": "agepy.age",
    "Stanza": "agepy.age",
    "parse_header": "agepy.age",
    "read_header": "agepy.age",
    "encrypt_bytes": "agepy.age",
    "decrypt_bytes": "agepy.age",
    "encrypt_file": "agepy.age",
    "decrypt_to": "agepy.age",
    # secrets.nix
    "evaluate_file": "agepy.nix",
    "Rules": "agepy.rules",
    "Secret": "agepy.rules",
    "load_rules": "agepy.rules",
    "locate_rules": "agepy.rules",
    # hosts
    "keyscan": "agepy.hosts",
    "Inventory": "agepy.hosts",
    # store
    "Store": "agepy.store",
}

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


__getattr__ = lazy_exports("agepy", globals(), _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers only
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
    from agepy.hosts import Inventory, keyscan
    from agepy.nix import evaluate_file
    from agepy.rules import Rules, Secret, load_rules, locate_rules
    from agepy.store import Store
