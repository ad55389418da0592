"""Decrypt age files: read the header (bounded, linear time), unwrap the file key with
the identities, check the MAC, then stream the payload chunk by chunk (memory stays
flat for any size, armored or not)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from agepy._files import atomic_output
from agepy.age import plugin
from agepy.age._stream import (
    NONCE_SIZE,
    Write,
    as_readinto,
    decrypt_payload,
    payload_key,
    write_all,
)
from agepy.age.armor import ArmorReader, Reader, looks_armored
from agepy.age.header import Header, parse_header, split_header, verify_mac
from agepy.age.identities import Identity
from agepy.age.scrypt import ScryptIdentity
from agepy.errors import DecryptError, HeaderError, NoIdentityMatchError, Reason, StoreError

__all__ = [
    "MAX_HEADER_SIZE",
    "AgeStream",
    "PassphraseFn",
    "decrypt_bytes",
    "decrypt_to",
    "open_age",
    "read_header",
    "unwrap_file_key",
]

# Far above any real header (a post-quantum stanza is ~1.6 KB, 10,000 X25519 stanzas
# ~1 MB), small enough to bound memory and time on untrusted input.
MAX_HEADER_SIZE = 4 << 20
# The CLI's armor detection window, as age's: whitespace + the BEGIN line.
_ARMOR_PREFIX = 1058
_READ_SIZE = 64 * 1024
_HINT_DAMAGED = "the file is damaged; restore it from version control or re-encrypt it"

PassphraseFn = Callable[[], str]


class _ReadInto(Protocol):
    def readinto(self, buffer: bytearray | memoryview, /) -> int | None: ...


class _Body:
    """The rest of an age file after its header: bytes already read, then the source."""

    def __init__(self, head: bytes, source: Reader) -> None:
        self._head = memoryview(head)
        self._source = as_readinto(source)

    def readinto(self, buffer: bytearray | memoryview, /) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._source.readinto(buffer) or 0

    def read_exactly(self, size: int) -> bytes:
        buffer = bytearray(size)
        got = 0
        while got < size:
            n = self.readinto(memoryview(buffer)[got:])
            if not n:
                break
            got += n
        return bytes(buffer[:got])


class AgeStream:
    """An opened age file: its parsed header, and its body (nonce and payload) to read."""

    def __init__(self, header: Header, body: _Body) -> None:
        self.header = header
        self.body = body


def _read_header(source: Reader, data: bytes) -> tuple[Header, bytes]:
    """Read through the MAC line; the header and the bytes read after it."""
    buffer = bytearray(data)
    start = 0
    while True:
        length, start = split_header(buffer, start)
        if length is not None:
            return parse_header(bytes(buffer[:length])), bytes(buffer[length:])
        if len(buffer) > MAX_HEADER_SIZE:
            raise HeaderError(
                f"the header is too long (over {MAX_HEADER_SIZE >> 20} MiB)", hint=_HINT_DAMAGED
            )
        chunk = source.read(_READ_SIZE)
        if not chunk:
            parse_header(bytes(buffer))  # raises the precise error (truncated, bad line, …)
            raise HeaderError("the header is truncated", hint=_HINT_DAMAGED)
        buffer += chunk


def open_age(src: BinaryIO | Reader) -> AgeStream:
    """Check armor and header of an age stream; the body is positioned after the header."""
    prefix = src.read(_ARMOR_PREFIX)
    while 0 < len(prefix) < _ARMOR_PREFIX:  # a pipe or raw stream may return less
        more = src.read(_ARMOR_PREFIX - len(prefix))
        if not more:
            break
        prefix += more
    if not prefix:
        raise HeaderError("the file is empty, not an age file", hint=_HINT_DAMAGED)
    armored = looks_armored(prefix)
    source: Reader
    if armored:
        source = ArmorReader(_Prefixed(prefix, src))
        header, rest = _read_header(source, source.read(_READ_SIZE))
    else:
        source = src
        header, rest = _read_header(src, prefix)
    header = Header(header.stanzas, header.mac, header.raw, armored=armored)
    return AgeStream(header, _Body(rest, source))


class _Prefixed:
    """``head`` and then the rest of ``tail``, as one reader."""

    def __init__(self, head: bytes, tail: Reader) -> None:
        self._head = head
        self._tail = tail

    def read(self, size: int = -1, /) -> bytes:
        if self._head:
            chunk, self._head = self._head, b""
            return chunk
        return self._tail.read(size)


def read_header(path: Path) -> Header:
    """The parsed header of an age file on disk (binary or armored); reads only that."""
    try:
        with Path(path).open("rb") as handle:
            return open_age(handle).header
    except OSError as exc:
        raise StoreError(
            f"cannot read {path}: {exc.strerror or exc}", hint="check the path"
        ) from None


# --- unwrapping the file key -------------------------------------------------------------


def _wanted(identity: Identity, header: Header) -> bool:
    """Worth trying: locked keys are unlocked only if the file is for them (their tag is
    in the header, or their tag is unknown and a stanza of their type is)."""
    if not identity.encrypted or identity.unlocked:
        return True
    if identity.tag:
        return identity.tag in header.ssh_tags()
    return identity.kind in header.types


def unwrap_file_key(
    header: Header,
    identities: Sequence[Identity],
    *,
    passphrase: PassphraseFn | None = None,
    key_names: Mapping[str, str] | None = None,
    source: str = "the file",
    ui: plugin.PluginUI | None = None,
) -> bytes:
    """The file key of ``header``; its MAC is checked. Raises NoIdentityMatchError,
    HeaderError, HmacError, DecryptError."""
    stanzas = header.stanzas
    scrypt = header.count("scrypt") > 0
    if scrypt and len(stanzas) != 1:
        raise HeaderError(
            "a passphrase (scrypt) stanza must be the only one in a header", hint=_HINT_DAMAGED
        )
    file_key: bytes | None = None
    # As age: X25519, hybrid and passphrase before SSH keys, plugins last.
    ordered = sorted(
        (i for i in identities if i.kind != "plugin"), key=lambda i: 1 if i.is_ssh else 0
    )
    for identity in ordered:
        if _wanted(identity, header):
            file_key = identity.unwrapper().unwrap(stanzas)
            if file_key is not None:
                break
    if file_key is None and scrypt:
        if passphrase is None:
            raise NoIdentityMatchError(
                f"{source} is encrypted with a passphrase, not to a key",
                hint="decrypt it in a terminal, where agepy can ask for the passphrase",
            )
        file_key = ScryptIdentity(passphrase()).unwrap(stanzas)
        if file_key is None:
            raise NoIdentityMatchError(f"wrong passphrase for {source}", hint="try again")
    if file_key is None and any(s.kind in ("plugin/other", "grease") for s in stanzas):
        by_plugin: dict[str, list[str]] = {}
        for identity in identities:
            if identity.kind == "plugin":
                by_plugin.setdefault(identity.plugin_name, []).append(identity.secret.decode())
        for name, texts in by_plugin.items():
            file_key = plugin.unwrap_file_key(name, texts, stanzas, ui=ui)
            if file_key is not None:
                break
    if file_key is None:
        raise _no_match(header, identities, key_names, source)
    verify_mac(header, file_key)
    return file_key


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
    kinds = header.kinds()
    labels = {"X25519": "X25519", "mlkem768x25519": "post-quantum", "scrypt": "passphrase"}
    counts = {label: kinds.count(kind) for kind, label in labels.items()}
    counts["plugin/other"] = kinds.count("plugin/other")
    for label, count in counts.items():
        if count:
            parts.append(f"{count} {label} recipient{'s' if count > 1 else ''}")
    tried = ", ".join(i.describe() for i in identities) or "none"
    return NoIdentityMatchError(
        f"no identity opens {source}: it is for {', '.join(parts) or 'no known recipient'}; "
        f"tried {tried}",
        hint="decrypt with an identity the file is encrypted to, or rekey it to yours",
        reason=Reason.NO_IDENTITY_MATCH,
    )


# --- decryption --------------------------------------------------------------------------


def _decrypt_stream(
    stream: AgeStream, file_key: bytes, write: Write, *, overlap: bool = False
) -> None:
    nonce = stream.body.read_exactly(NONCE_SIZE)
    if len(nonce) != NONCE_SIZE:
        raise HeaderError("the payload nonce is missing or short", hint=_HINT_DAMAGED)
    decrypt_payload(payload_key(file_key, nonce), stream.body, write, overlap=overlap)


@contextlib.contextmanager
def _open_source(src: Path | BinaryIO) -> Iterator[tuple[BinaryIO, str]]:
    if isinstance(src, Path):
        try:
            # Unbuffered: the payload is read in whole 64 KiB chunks with readinto.
            handle = src.open("rb", buffering=0)
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
    ui: plugin.PluginUI | None = None,
) -> Header:
    """Decrypt ``src`` into ``dst``: a path (written atomically; a new one gets 0666
    less the umask, as with ``age -d -o``) or a writer.

    ``key_names`` maps SSH stanza tags to names, for the no-match message. Returns the
    file's header. Raises AgeFormatError subclasses, NoIdentityMatchError, DecryptError.
    Nothing is written to a ``dst`` path unless the whole file decrypts.
    """
    with _open_source(src) as (handle, default_source):
        source = source or default_source
        try:
            stream = open_age(handle)
            file_key = unwrap_file_key(
                stream.header,
                identities,
                passphrase=passphrase,
                key_names=key_names,
                source=source,
                ui=ui,
            )
        except OSError as exc:
            raise DecryptError(
                f"cannot read {source}: {exc.strerror or exc}",
                hint="check the file and the disk it is on",
            ) from None
        if isinstance(dst, Path):
            try:
                with atomic_output(dst, buffering=0) as out:
                    _decrypt_stream(stream, file_key, write_all(out), overlap=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot write {dst}: {exc.strerror or exc}", hint="check the path"
                ) from None
        else:
            _decrypt_stream(stream, file_key, write_all(dst), overlap=True)
        return stream.header


def decrypt_bytes(
    data: bytes,
    identities: Sequence[Identity],
    *,
    passphrase: PassphraseFn | None = None,
    key_names: Mapping[str, str] | None = None,
    source: str = "the age data",
    ui: plugin.PluginUI | None = None,
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
        ui=ui,
    )
    return out.getvalue()
