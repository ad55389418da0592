"""SHA-512 crypt against the real consumers: Python's crypt(3), openssl passwd -6, mkpasswd."""

from __future__ import annotations

import subprocess
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agepy.errors import UsageError
from agepy.generators import generate
from agepy.generators.sha_crypt import SALT_ALPHABET, sha512_crypt
from tests.conftest import require_tool

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # deprecated since 3.11, still glibc's crypt(3): the check NixOS relies on


def crypt3(password: str, setting: str) -> str:
    result = crypt.crypt(password, setting)
    assert result is not None
    return result


def test_the_specification_vectors() -> None:
    # From "Unix crypt using SHA-256 and SHA-512" (Drepper), its test table.
    assert sha512_crypt("Hello world!", "saltstring") == (
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiB"
        "FdcbYEdFCoEOfaS35inz1"
    )
    assert sha512_crypt("Hello world!", "saltstringsaltstring", 10000) == (
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/U"
        "rjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."
    )


@settings(max_examples=40, deadline=None)
@given(
    password=st.text(min_size=0, max_size=80),
    salt=st.text(alphabet=SALT_ALPHABET, min_size=1, max_size=20),
)
def test_equals_glibc_crypt(password: str, salt: str) -> None:
    password = password.replace("\x00", "")  # crypt(3) takes C strings
    assert sha512_crypt(password, salt) == crypt3(password, f"$6${salt}")


def test_openssl_and_mkpasswd_give_the_same_hash() -> None:
    openssl = require_tool("openssl")
    mkpasswd = require_tool("mkpasswd")
    for password, salt in [("hunter2hunter2", "abcdefgh12345678"), ("pässwörd x", "./Zz09ab")]:
        ours = sha512_crypt(password, salt)
        by_openssl = subprocess.run(
            [openssl, "passwd", "-6", "-salt", salt, password],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        by_mkpasswd = subprocess.run(
            [mkpasswd, "-m", "sha-512", "-S", salt, password],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        assert ours == by_openssl == by_mkpasswd


def test_password_hash_kind_is_mkpasswds_line_and_verifies() -> None:
    openssl = require_tool("openssl")
    made = generate("password-hash")
    assert made.shown is not None and len(made.shown) == 20 and made.shown.isalnum()
    line = made.value.decode()
    assert line.endswith("\n") and line.count("\n") == 1
    hashed = line.strip()
    _, six, salt, digest = hashed.split("$")
    assert six == "6" and len(salt) == 16 and len(digest) == 86
    assert crypt3(made.shown, hashed) == hashed  # what login/PAM does
    by_openssl = subprocess.run(
        [openssl, "passwd", "-6", "-salt", salt, made.shown],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert by_openssl == hashed
    assert made.shown.encode() not in made.value  # the clear password is not the secret


def test_rounds_are_written_when_not_the_default() -> None:
    made = generate("password-hash", {"rounds": 6000, "length": 16})
    assert made.shown is not None
    hashed = made.value.decode().strip()
    assert hashed.startswith("$6$rounds=6000$")
    assert crypt3(made.shown, hashed) == hashed


@pytest.mark.parametrize(
    "options",
    [{"length": 4}, {"length": 1000}, {"rounds": 10}, {"rounds": "many"}, {"salt": "x"}],
)
def test_bad_options(options: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        generate("password-hash", options)


def test_bad_salt() -> None:
    with pytest.raises(UsageError):
        sha512_crypt("x", "bad$salt")
