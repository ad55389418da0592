"""Tokens: alphabet, length, uniqueness and a sane spread over many draws."""

from __future__ import annotations

import string
from collections import Counter

import pytest

from agepy.errors import UsageError
from agepy.matrix.heisenbridge import is_appservice_token
from agepy.matrix.tokens import ALNUM, alnum_token, hex_token

DRAWS = 2000


def test_alnum_tokens_alphabet_length_uniqueness_and_spread() -> None:
    tokens = [alnum_token() for _ in range(DRAWS)]
    assert len(set(tokens)) == DRAWS
    assert all(len(t) == 64 and set(t) <= set(ALNUM) for t in tokens)
    assert all(is_appservice_token(t) for t in tokens)
    chars = Counter("".join(tokens))
    total = DRAWS * 64
    # Expected share of each class is its size / 62; 6 standard deviations of slack.
    for alphabet in (string.ascii_uppercase, string.ascii_lowercase, string.digits):
        count = sum(chars[c] for c in alphabet)
        p = len(alphabet) / 62
        sd = (total * p * (1 - p)) ** 0.5
        assert abs(count - total * p) < 6 * sd, alphabet
    # Every one of the 62 symbols is used, none wildly more than the others.
    expected = total / 62
    assert set(chars) == set(ALNUM)
    assert all(0.75 * expected < n < 1.25 * expected for n in chars.values())


@pytest.mark.parametrize("nbytes", [16, 32, 64])
def test_hex_tokens_are_openssl_rand_hex_shaped(nbytes: int) -> None:
    tokens = [hex_token(nbytes) for _ in range(500)]
    assert len(set(tokens)) == len(tokens)
    assert all(len(t) == 2 * nbytes and set(t) <= set("0123456789abcdef") for t in tokens)
    nibbles = Counter("".join(tokens))
    assert set(nibbles) == set("0123456789abcdef")


def test_hex_token_default_is_16_bytes() -> None:
    assert len(hex_token()) == 32


@pytest.mark.parametrize("nbytes", [0, 8, 15, -1, 4096])
def test_weak_or_absurd_hex_tokens_are_refused(nbytes: int) -> None:
    with pytest.raises(UsageError) as info:
        hex_token(nbytes)
    assert info.value.hint
