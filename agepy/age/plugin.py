"""age plugins (``age-plugin-NAME`` binaries): placeholder until the protocol client lands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from agepy.age.header import Stanza
from agepy.errors import DecryptError, RecipientError

__all__ = ["PluginUI", "unwrap_file_key", "wrap_file_key"]


class PluginUI(Protocol):
    def display_message(self, plugin: str, message: str) -> None: ...

    def request_value(self, plugin: str, prompt: str, *, secret: bool) -> str: ...

    def confirm(self, plugin: str, prompt: str, yes: str, no: str | None) -> bool: ...


def wrap_file_key(
    plugin: str,
    recipients: Sequence[str],
    identities: Sequence[str],
    file_key: bytes,
    *,
    ui: PluginUI | None = None,
) -> list[Stanza]:
    raise RecipientError(f"age-plugin-{plugin}: plugins not supported yet")


def unwrap_file_key(
    plugin: str,
    identities: Sequence[str],
    stanzas: Sequence[Stanza],
    *,
    ui: PluginUI | None = None,
) -> bytes | None:
    raise DecryptError(f"age-plugin-{plugin}: plugins not supported yet")
