"""The age layer: a strict header and armor parser, and encryption over pyrage.

Every decryption runs agepy's own format checks first (so malformed files fail with
HeaderError, ArmorError, …), then streams through pyrage; writes are atomic.
"""

from __future__ import annotations

from agepy.age.armor import ArmorReader, dearmor, looks_armored
from agepy.age.atomic import atomic_output, atomic_path, atomic_write
from agepy.age.crypt import AgeStream, decrypt_bytes, decrypt_to, open_age, read_header
from agepy.age.encrypt import encrypt_bytes, encrypt_file
from agepy.age.header import Header, Stanza, parse_header

__all__ = [
    "AgeStream",
    "ArmorReader",
    "Header",
    "Stanza",
    "atomic_output",
    "atomic_path",
    "atomic_write",
    "dearmor",
    "decrypt_bytes",
    "decrypt_to",
    "encrypt_bytes",
    "encrypt_file",
    "looks_armored",
    "open_age",
    "parse_header",
    "read_header",
]
