"""Decrypt age files with pyrage, after agepy's own strict format checks.

Every decryption first reads the header with agepy's parser (and the armor with agepy's
decoder), so malformed files fail with HeaderError / ArmorError, and only then streams
through pyrage (memory stays flat for any size). pyrage's errors are mapped onto agepy's.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from agepy.age.armor import ArmorReader, Reader, looks_armored
from agepy.age.atomic import atomic_path
from agepy.age.header import MAX_HEADER_SIZE, Header, parse_header, split_header
from agepy.errors import (
    AgeFormatError,
    AgepyError,
    DecryptError,
    HeaderError,
    HmacError,
    NoIdentityMatchError,
    PayloadError,
    StoreError,
)
from agepy.identities import Identity

__all__ = [
    "MAX_SCRYPT_WORK_FACTOR",
    "AgeStream",
    "decrypt_bytes",
    "decrypt_to",
    "open_age",
    "read_header",
]

# As age: higher work factors would take minutes and are refused.
MAX_SCRYPT_WORK_FACTOR = 22
_PREFIX_SIZE = 4096
_IO_BUFFER = 1 << 20
_HINT_DAMAGED = "the file is damaged; restore it from version control or re-encrypt it"

PassphraseFn = Callable[[], str]


class _Chain:
    """A reader that yields ``head`` and then the rest of ``tail``; remembers errors
    raised inside it (pyrage would otherwise flatten them into its own)."""

    def __init__(self, head: bytes, tail: Reader | None) -> None:
        self._head = head
        self._pos = 0
        self._tail = tail
        self.error: BaseException | None = None

    def read(self, size: int = -1, /) -> bytes:
        if self._pos < len(self._head):
            end = len(self._head) if size < 0 else self._pos + size
            chunk = self._head[self._pos : end]
            self._pos += len(chunk)
            return chunk
        if self._tail is None:
            return b""
        try:
            return self._tail.read(size)
        except BaseException as exc:
            self.error = exc
            raise


class AgeStream:
    """An opened age file: its parsed header and a binary reader of the whole file."""

    def __init__(self, header: Header, reader: _Chain) -> None:
        self.header = header
        self.reader = reader


def _read_all(reader: Reader, prefix: bytes) -> tuple[Header, bytes]:
    """Read up to the end of the header; return it and the bytes read after it."""
    data = prefix
    while True:
        length = split_header(data)
        if length is not None:
            return parse_header(data[:length]), data[length:]
        if len(data) > MAX_HEADER_SIZE:
            raise HeaderError("the header is too long (over 1 MiB)", hint=_HINT_DAMAGED)
        chunk = reader.read(64 * 1024)
        if not chunk:
            parse_header(data)  # raises the precise error (truncated, bad line, …)
            raise HeaderError("the header is truncated", hint=_HINT_DAMAGED)
        data += chunk


def open_age(src: BinaryIO) -> AgeStream:
    """Check armor and header of an age stream; the returned reader starts at byte 0."""
    prefix = src.read(_PREFIX_SIZE)
    if not prefix:
        raise HeaderError("the file is empty, not an age file", hint=_HINT_DAMAGED)
    armored = looks_armored(prefix)
    if armored:
        body: Reader = ArmorReader(_Chain(prefix, src))
        header, rest = _read_all(body, body.read(_PREFIX_SIZE))
    else:
        body = src
        header, rest = _read_all(src, prefix)
    header = Header(header.stanzas, header.mac, header.raw, armored=armored)
    return AgeStream(header, _Chain(header.raw + rest, body))


def read_header(path: Path) -> Header:
    """The parsed header of an age file on disk (binary or armored)."""
    try:
        with Path(path).open("rb") as handle:
            return open_age(handle).header
    except OSError as exc:
        raise StoreError(
            f"cannot read {path}: {exc.strerror or exc}", hint="check the path"
        ) from None


# --- decryption --------------------------------------------------------------------------


def _select(identities: Sequence[Identity], header: Header) -> list[Any]:
    """pyrage identities worth trying; locked keys are unlocked only if the file is for
    them (their tag is in the header, or their tag is unknown and a stanza of their type)."""
    tags = set(header.ssh_tags())
    types = set(header.types)
    selected = []
    for identity in identities:
        if identity.encrypted and not identity.unlocked:
            wanted = (identity.tag in tags) if identity.tag else identity.kind in types
            if not wanted:
                continue
        selected.append(identity.to_pyrage())
    return selected


def _no_match(
    header: Header,
    identities: Sequence[Identity],
    key_names: Mapping[str, str] | None,
    source: str,
) -> NoIdentityMatchError:
    parts = []
    for stanza in header.stanzas:
        if stanza.tag is not None:
            name = (key_names or {}).get(stanza.tag)
            parts.append(f"{stanza.type} {name}" if name else f"{stanza.type} tag {stanza.tag}")
    known = ("X25519", "scrypt", "ssh-ed25519", "ssh-rsa")
    counts = {
        "X25519": header.count("X25519"),
        "passphrase": header.count("scrypt"),
        # Grease stanzas (random types ending in -grease) stand for no recipient.
        "plugin/other": sum(
            1 for t in header.types if t not in known and not t.endswith("-grease")
        ),
    }
    for label, count in counts.items():
        if count:
            parts.append(f"{count} {label} recipient{'s' if count > 1 else ''}")
    tried = ", ".join(i.describe() for i in identities) or "none"
    return NoIdentityMatchError(
        f"no identity opens {source}: it is for {', '.join(parts) or 'no known recipient'}; "
        f"tried {tried}",
        hint="decrypt with a key the file is encrypted to (-i PATH), or rekey it with yours",
    )


def _map_error(message: str) -> type[AgeFormatError] | None:
    lowered = message.lower()
    if "mac is invalid" in lowered:
        return HmacError
    if "header is invalid" in lowered or "unknown age format" in lowered:
        return HeaderError
    if "failed to fill whole buffer" in lowered:  # the payload nonce is missing or short
        return HeaderError
    if "armor" in lowered or "decodeerror" in lowered:
        from agepy.errors import ArmorError

        return ArmorError
    if any(
        s in lowered
        for s in ("decryption error", "truncated", "last chunk", "stream chunk", "payload")
    ):
        return PayloadError
    return None


def _check_scrypt(header: Header) -> None:
    for stanza in header.stanzas:
        if stanza.type == "scrypt" and len(stanza.args) == 2 and stanza.args[1].isdigit():
            work = int(stanza.args[1])
            if work > MAX_SCRYPT_WORK_FACTOR:
                raise HeaderError(
                    f"scrypt work factor {work} is too high (at most {MAX_SCRYPT_WORK_FACTOR})",
                    hint="the file would take very long to decrypt; re-encrypt it",
                )


def _decrypt_stream(
    stream: AgeStream,
    identities: Sequence[Identity],
    writer: BinaryIO | Path,
    *,
    passphrase: PassphraseFn | None,
    key_names: Mapping[str, str] | None,
    source: str,
    file: Path | None = None,
) -> None:
    """Decrypt into ``writer``: a binary writer, or a fresh (temp) file path.

    ``file``: the source is this binary file on disk, which pyrage may read itself.
    """
    import pyrage

    header = stream.header
    scrypt = header.count("scrypt") > 0
    try:
        if scrypt:
            _check_scrypt(header)
            if passphrase is None:
                raise NoIdentityMatchError(
                    f"{source} is encrypted with a passphrase, not to a key",
                    hint="decrypt it with `agepy decrypt` in a terminal, or `age -d`",
                )
            # pyrage decrypts passphrase files only in memory; such files are small.
            data = _read_everything(stream.reader)
            plaintext = pyrage.passphrase.decrypt(data, passphrase())
            if isinstance(writer, Path):
                writer.write_bytes(plaintext)
            else:
                writer.write(plaintext)
            return
        native = _select(identities, header)
        if not native:
            raise _no_match(header, identities, key_names, source)
        if isinstance(writer, Path) and file is not None and not header.armored:
            # File to file, rage does the I/O: ~1.3x faster than through Python readers.
            pyrage.decrypt_file(str(file), str(writer), native)
        elif isinstance(writer, Path):
            with writer.open("wb", buffering=_IO_BUFFER) as out:
                pyrage.decrypt_io(stream.reader, out, native)
        else:
            pyrage.decrypt_io(stream.reader, writer, native)
    except (pyrage.DecryptError, OSError) as exc:
        # pyrage reports payload faults found while streaming as OSError.
        if stream.reader.error is not None:
            if isinstance(stream.reader.error, AgepyError):
                raise stream.reader.error from None
            raise DecryptError(f"cannot read {source}: {stream.reader.error}") from None
        if isinstance(exc, OSError) and exc.errno is not None:
            raise StoreError(f"cannot decrypt {source}: {exc}", hint="check disk space") from None
        message = str(exc).split("\n")[0]
        if scrypt and "decryption failed" in message.lower():
            raise NoIdentityMatchError(f"wrong passphrase for {source}", hint="try again") from None
        if "no matching keys" in message.lower():
            raise _no_match(header, identities, key_names, source) from None
        kind = _map_error(message)
        if kind is None:
            raise DecryptError(f"cannot decrypt {source}: {message}", hint=_HINT_DAMAGED) from None
        raise kind(f"cannot decrypt {source}: {message}", hint=_HINT_DAMAGED) from None


def _read_everything(reader: _Chain) -> bytes:
    parts = []
    while chunk := reader.read(1 << 20):
        parts.append(chunk)
    return b"".join(parts)


@contextlib.contextmanager
def _open_source(src: Path | BinaryIO) -> Iterator[tuple[BinaryIO, str]]:
    if isinstance(src, Path):
        try:
            handle = src.open("rb", buffering=_IO_BUFFER)
        except OSError as exc:
            raise StoreError(
                f"cannot read {src}: {exc.strerror or exc}", hint="check the path"
            ) from None
        with handle:
            yield handle, str(src)
    else:
        name = getattr(src, "name", None)
        yield src, name if isinstance(name, str) else "the input"


def decrypt_to(
    src: Path | BinaryIO,
    identities: Sequence[Identity],
    dst: Path | BinaryIO,
    *,
    passphrase: PassphraseFn | None = None,
    key_names: Mapping[str, str] | None = None,
    source: str | None = None,
) -> Header:
    """Decrypt ``src`` into ``dst``: a path (written atomically, mode 0600) or a writer.

    ``key_names`` maps SSH stanza tags to names, for the no-match message. Returns the
    file's header. Raises AgeFormatError subclasses, NoIdentityMatchError, DecryptError.
    """
    with _open_source(src) as (handle, default_source):
        source = source or default_source
        stream = open_age(handle)
        if isinstance(dst, Path):
            try:
                with atomic_path(dst, mode=0o600) as temp:
                    _decrypt_stream(
                        stream,
                        identities,
                        temp,
                        passphrase=passphrase,
                        key_names=key_names,
                        source=source,
                        file=src if isinstance(src, Path) else None,
                    )
            except OSError as exc:
                raise StoreError(
                    f"cannot write {dst}: {exc.strerror or exc}", hint="check the path"
                ) from None
        else:
            _decrypt_stream(
                stream, identities, dst, passphrase=passphrase, key_names=key_names, source=source
            )
        return stream.header


def decrypt_bytes(
    data: bytes,
    identities: Sequence[Identity],
    *,
    passphrase: PassphraseFn | None = None,
    key_names: Mapping[str, str] | None = None,
    source: str = "the age data",
) -> bytes:
    """The plaintext of the age file ``data`` (binary or armored)."""
    out = io.BytesIO()
    decrypt_to(
        io.BytesIO(data),
        identities,
        out,
        passphrase=passphrase,
        key_names=key_names,
        source=source,
    )
    return out.getvalue()
