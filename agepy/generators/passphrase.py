"""The ``passphrase`` kind: words drawn uniformly from the EFF long wordlist.

The list (agepy/generators/eff_large_wordlist.txt, CC BY 3.0 US, see
EFF_WORDLIST_LICENSE.txt beside it) has 7776 distinct words, so each word adds
log2(7776) ≈ 12.92 bits: six words ≈ 77.5 bits, the EFF's recommendation.
"""

from __future__ import annotations

import functools
import math
import secrets
from collections.abc import Mapping
from importlib import resources
from typing import Any

from agepy.errors import UsageError
from agepy.generators.base import Generated, int_option, str_option

__all__ = [
    "BITS_PER_WORD",
    "WORDLIST_SIZE",
    "make_passphrase",
    "passphrase",
    "passphrase_bits",
    "validate_passphrase",
    "wordlist",
]

WORDLIST_FILE = "eff_large_wordlist.txt"
WORDLIST_SIZE = 7776
BITS_PER_WORD = math.log2(WORDLIST_SIZE)  # ≈ 12.925
MIN_WORDS, MAX_WORDS = 4, 64


@functools.cache
def wordlist() -> tuple[str, ...]:
    """The bundled words, in the list's order."""
    text = resources.files("agepy.generators").joinpath(WORDLIST_FILE).read_text("utf-8")
    words = tuple(line.strip() for line in text.splitlines() if line.strip())
    # The stated entropy holds only for this many distinct words.
    assert len(set(words)) == WORDLIST_SIZE, "the bundled wordlist is damaged"
    return words


def passphrase_bits(words: int) -> float:
    """The entropy of a passphrase of ``words`` words, in bits."""
    return words * BITS_PER_WORD


def validate_passphrase(options: Mapping[str, Any]) -> None:
    words = int_option(options, "words")
    separator = str_option(options, "separator")
    if not MIN_WORDS <= words <= MAX_WORDS:
        raise UsageError(
            f"a passphrase of {words} words is out of range",
            hint=f"use {MIN_WORDS} to {MAX_WORDS} words (6 ≈ 77 bits is the EFF's advice)",
        )
    if "\n" in separator or "\r" in separator or len(separator) > 8:
        raise UsageError(
            f"separator {separator!r} is not usable",
            hint="use up to 8 characters on one line, e.g. ' ' or '-'",
        )


def passphrase(words: int = 6, separator: str = " ") -> str:
    """``words`` random words of the EFF long list joined by ``separator``."""
    validate_passphrase({"words": words, "separator": separator})
    chosen = wordlist()
    return separator.join(secrets.choice(chosen) for _ in range(words))


def make_passphrase(options: Mapping[str, Any]) -> Generated:
    text = passphrase(int_option(options, "words"), str_option(options, "separator"))
    return Generated(value=f"{text}\n".encode())
