"""Encrypt to recipients: one fresh file key, a stanza per native recipient, one plugin
call per plugin name, the header and MAC, then the payload streamed chunk by chunk
(memory stays flat for any size; armor is written as it goes)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from agepy._files import atomic_output
from agepy.age import plugin
from agepy.age._stream import (
    NONCE_SIZE,
    as_readinto,
    encrypt_payload,
    payload_key,
    seal_bytes,
    write_all,
)
from agepy.age.armor import ArmorWriter
from agepy.age.armor import armor as armor_bytes
from agepy.age.header import Stanza, encode_header
from agepy.age.identities import Identity
from agepy.age.recipients import Recipient, parse_recipient
from agepy.age.scrypt import DEFAULT_WORK_FACTOR, ScryptRecipient
from agepy.errors import Reason, RecipientError, StoreError

__all__ = ["encrypt_bytes", "encrypt_file", "wrap_file_key"]

FILE_KEY_SIZE = 16


def _parse(recipients: Sequence[Recipient | str]) -> list[Recipient]:
    return [r if isinstance(r, Recipient) else parse_recipient(r) for r in recipients]


def _check(recipients: Sequence[Recipient], identities: Sequence[Identity], scrypt: bool) -> None:
    if scrypt:
        if recipients or identities:
            raise RecipientError(
                "a passphrase cannot be combined with recipients",
                hint="encrypt either with a passphrase or to keys",
            )
        return
    if not recipients and not identities:
        raise RecipientError(
            "no recipients to encrypt to",
            hint="give at least one recipient (a public key)",
            reason=Reason.NO_RECIPIENTS,
        )
    post_quantum = {r.post_quantum for r in recipients} | {i.kind == "pq" for i in identities}
    if len(post_quantum) > 1:
        raise RecipientError(
            "post-quantum (age1pq1…) recipients cannot be mixed with other recipients",
            hint="the other recipients would make the file breakable without the "
            "post-quantum key; encrypt to post-quantum recipients only, or to none",
        )


def wrap_file_key(
    file_key: bytes,
    recipients: Sequence[Recipient | str],
    *,
    identities: Sequence[Identity] = (),
    passphrase: str | None = None,
    work_factor: int = DEFAULT_WORK_FACTOR,
    ui: plugin.PluginUI | None = None,
) -> list[Stanza]:
    """The header stanzas that give ``file_key`` to every recipient (and to the public
    keys of ``identities``: plugin identities go to their plugin)."""
    parsed = _parse(recipients)
    _check(parsed, identities, passphrase is not None)
    return _wrap(file_key, parsed, identities, passphrase, work_factor, ui)


def _wrap(
    file_key: bytes,
    parsed: Sequence[Recipient],
    identities: Sequence[Identity],
    passphrase: str | None,
    work_factor: int,
    ui: plugin.PluginUI | None,
) -> list[Stanza]:
    """wrap_file_key for recipients already parsed and checked."""
    if passphrase is not None:
        return [ScryptRecipient(passphrase, work_factor).wrap(file_key)]
    stanzas: list[Stanza] = []
    plugins: dict[str, tuple[list[str], list[str]]] = {}
    for recipient in parsed:
        wrapper = recipient.wrapper
        if wrapper is None:
            plugins.setdefault(recipient.plugin_name, ([], []))[0].append(recipient.text)
        else:
            stanzas.append(wrapper.wrap(file_key))
    for identity in identities:
        if identity.kind == "plugin":
            plugins.setdefault(identity.plugin_name, ([], []))[1].append(identity.secret.decode())
        elif identity.recipient is not None:
            stanzas.append(_parse([identity.recipient])[0].wrapper.wrap(file_key))  # type: ignore[union-attr]
        else:
            raise RecipientError(
                f"the public key of {identity.path} is unknown",
                hint="put its .pub file beside it, or give the public key as a recipient",
            )
    for name, (texts, identity_texts) in plugins.items():
        stanzas.extend(plugin.wrap_file_key(name, texts, identity_texts, file_key, ui=ui))
    return stanzas


def _encrypt_stream(src: BinaryIO, out: BinaryIO, stanzas_of: _Stanzas, armor: bool) -> None:
    file_key = secrets.token_bytes(FILE_KEY_SIZE)
    stanzas = stanzas_of(file_key)
    nonce = secrets.token_bytes(NONCE_SIZE)
    writer = ArmorWriter(out) if armor else None
    write = writer.write if writer is not None else write_all(out)
    write(encode_header(stanzas, file_key) + nonce)
    aead = payload_key(file_key, nonce)
    encrypt_payload(aead, as_readinto(src), write, overlap=writer is None)
    if writer is not None:
        writer.close()


class _Stanzas:
    def __init__(
        self,
        recipients: Sequence[Recipient | str],
        identities: Sequence[Identity],
        passphrase: str | None,
        ui: plugin.PluginUI | None,
        work_factor: int = DEFAULT_WORK_FACTOR,
    ) -> None:
        # Parsed and checked now, before any file is opened or written.
        self._recipients = _parse(recipients)
        _check(self._recipients, identities, passphrase is not None)
        self._identities = identities
        self._passphrase = passphrase
        self._ui = ui
        self._work_factor = work_factor

    def __call__(self, file_key: bytes) -> list[Stanza]:
        return _wrap(
            file_key,
            self._recipients,
            self._identities,
            self._passphrase,
            self._work_factor,
            self._ui,
        )


def encrypt_bytes(
    data: bytes,
    recipients: Sequence[Recipient | str],
    *,
    armor: bool = False,
    identities: Sequence[Identity] = (),
    passphrase: str | None = None,
    work_factor: int = DEFAULT_WORK_FACTOR,
    ui: plugin.PluginUI | None = None,
) -> bytes:
    """``data`` encrypted to ``recipients`` (binary, or armored text if ``armor``), or
    with a ``passphrase`` (scrypt of 2**``work_factor``)."""
    stanzas_of = _Stanzas(recipients, identities, passphrase, ui, work_factor)
    # In memory, whole: no stream buffers, no file objects (most secrets are small).
    file_key = secrets.token_bytes(FILE_KEY_SIZE)
    stanzas = stanzas_of(file_key)
    nonce = secrets.token_bytes(NONCE_SIZE)
    payload = seal_bytes(payload_key(file_key, nonce), data)
    binary = encode_header(stanzas, file_key) + nonce + payload
    return armor_bytes(binary) if armor else binary


def encrypt_file(
    src: Path | BinaryIO,
    dst: Path | BinaryIO,
    recipients: Sequence[Recipient | str],
    *,
    armor: bool = False,
    mode: int = 0o644,
    identities: Sequence[Identity] = (),
    passphrase: str | None = None,
    work_factor: int = DEFAULT_WORK_FACTOR,
    ui: plugin.PluginUI | None = None,
) -> None:
    """Encrypt ``src`` (a path or binary reader) into ``dst`` (atomically when a path):
    nothing is written to a ``dst`` path unless everything succeeds."""
    stanzas = _Stanzas(recipients, identities, passphrase, ui, work_factor)
    with contextlib.ExitStack() as stack:
        if isinstance(src, Path):
            try:
                src = stack.enter_context(src.open("rb", buffering=0))
            except OSError as exc:
                raise StoreError(
                    f"cannot read {src}: {exc.strerror or exc}", hint="check the path"
                ) from None
        try:
            if isinstance(dst, Path):
                # The rename happens when this block ends: inside the try.
                with atomic_output(dst, mode=mode, buffering=0) as out:
                    _encrypt_stream(src, out, stanzas, armor)
            else:
                _encrypt_stream(src, dst, stanzas, armor)
        except OSError as exc:
            raise StoreError(
                f"cannot encrypt to {dst}: {exc.strerror or exc}", hint="check the paths"
            ) from None
