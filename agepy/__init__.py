"""agepy: agenix secrets for NixOS servers, as a Python library and a command line.

The package root stays light, so that ``agepy --help`` and ``agepy decrypt`` load only
what they use; the API lives in its modules (see ``docs/architecture.md``)::

    from agepy.store import Store

    store = Store("secrets/secrets.nix")
    plaintext = store.decrypt("heisenbridge-config.age")

- ``agepy.age``: the age format: ``encrypt_bytes``, ``decrypt_bytes``, ``encrypt_file``,
  ``decrypt_to``, ``read_header``; keys in ``agepy.age.recipients`` and
  ``agepy.age.identities``;
- ``agepy.rules``: secrets.nix as agenix reads it (``load_rules``, ``locate_rules``);
- ``agepy.hosts``: SSH host keys (``keyscan``) and the ``agepy.toml`` inventory;
- ``agepy.store``: the ``.age`` files of one secrets.nix (``Store``);
- ``agepy.ops``: commands that combine them (``add_host``, ``rescan``);
- ``agepy.errors``: every error agepy raises on purpose, all ``AgepyError``, each with
  ``.message`` and ``.hint`` (re-exported here).
"""

from __future__ import annotations

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

__all__ = [
    "AgeFormatError",
    "AgepyError",
    "DecryptError",
    "EditError",
    "HostError",
    "IdentityError",
    "KeyscanError",
    "NixError",
    "NoIdentityMatchError",
    "RecipientError",
    "RulesError",
    "StoreError",
    "__version__",
]
