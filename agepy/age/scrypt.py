"""The scrypt (passphrase) recipient type. Its stanza must be the only one in a header,
and work factors above 22 are refused before any work, as age does."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from agepy.age._wrapping import check_body, decode_arg, malformed, open_file_key, seal_file_key
from agepy.age.header import Stanza, b64encode_raw
from agepy.errors import HeaderError

__all__ = [
    "DEFAULT_WORK_FACTOR",
    "MAX_WORK_FACTOR",
    "STANZA_TYPE",
    "ScryptIdentity",
    "ScryptRecipient",
]

STANZA_TYPE = "scrypt"
DEFAULT_WORK_FACTOR = 18  # age's: about a second here
MAX_WORK_FACTOR = 22
_SALT_LABEL = b"age-encryption.org/v1/scrypt"
_WORK_FACTOR = re.compile(r"[1-9][0-9]*\Z")


def _key(passphrase: str, salt: bytes, work_factor: int) -> bytes:
    kdf = Scrypt(salt=_SALT_LABEL + salt, length=32, n=1 << work_factor, r=8, p=1)
    return kdf.derive(passphrase.encode("utf-8"))


class ScryptRecipient:
    def __init__(self, passphrase: str, work_factor: int = DEFAULT_WORK_FACTOR) -> None:
        self._passphrase = passphrase
        self._work_factor = work_factor

    def wrap(self, file_key: bytes) -> Stanza:
        salt = secrets.token_bytes(16)
        key = _key(self._passphrase, salt, self._work_factor)
        args = (b64encode_raw(salt), str(self._work_factor))
        return Stanza(STANZA_TYPE, args, seal_file_key(key, file_key))


class ScryptIdentity:
    def __init__(self, passphrase: str) -> None:
        self._passphrase = passphrase

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type != STANZA_TYPE:
                continue
            if len(stanzas) != 1:
                raise malformed(STANZA_TYPE, "a passphrase stanza must be the only one")
            if len(stanza.args) != 2:
                raise malformed(STANZA_TYPE, "it needs exactly two arguments")
            salt = decode_arg(stanza, 0, 16)
            if not _WORK_FACTOR.match(stanza.args[1]):
                raise malformed(STANZA_TYPE, "the work factor is not a decimal number")
            work_factor = int(stanza.args[1][:3])
            if len(stanza.args[1]) > 2 or work_factor > MAX_WORK_FACTOR:
                raise HeaderError(
                    f"scrypt work factor {stanza.args[1][:10]} is too high "
                    f"(at most {MAX_WORK_FACTOR})",
                    hint="the file would take very long to decrypt; re-encrypt it",
                )
            check_body(stanza)
            return open_file_key(_key(self._passphrase, salt, work_factor), stanza.body)
        return None
