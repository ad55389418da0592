"""The age layer: agepy's own implementation of the age v1 format on ``cryptography``.

Header and MAC, payload STREAM, armor (streamed both ways), and one module per
recipient type (x25519, ssh, scrypt, pq, plugin); recipients and identities parse the
keys people have.
Files are written through :mod:`agepy._files` (atomic, symlinks written through).
"""

from __future__ import annotations

from agepy.age.armor import ArmorReader, ArmorWriter, armor, dearmor, looks_armored
from agepy.age.crypt import (
    AgeStream,
    decrypt_bytes,
    decrypt_to,
    open_age,
    read_header,
    unwrap_file_key,
)
from agepy.age.encrypt import encrypt_bytes, encrypt_file, wrap_file_key
from agepy.age.header import Header, Stanza, parse_header, stanza_kind

__all__ = [
    "AgeStream",
    "ArmorReader",
    "ArmorWriter",
    "Header",
    "Stanza",
    "armor",
    "dearmor",
    "decrypt_bytes",
    "decrypt_to",
    "encrypt_bytes",
    "encrypt_file",
    "looks_armored",
    "open_age",
    "parse_header",
    "read_header",
    "stanza_kind",
    "unwrap_file_key",
    "wrap_file_key",
]
