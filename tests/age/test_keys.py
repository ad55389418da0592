"""agepy.age.recipients: recipients as age accepts them; fingerprints and tags as real tools
write them."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest

from agepy.age.recipients import bech32_decode, parse_recipient, parse_recipients_file
from agepy.errors import RecipientError
from tests.support.keys import Key, make_ssh_key

SSH_KEYS = ["ed25519", "rsa2048", "rsa4096"]

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_encode(hrp: str, data: bytes) -> str:
    """A plain BIP 173 encoder (no length limit), to make plugin recipients for tests."""

    def polymod(values: list[int]) -> int:
        gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
        chk = 1
        for v in values:
            top = chk >> 25
            chk = (chk & 0x1FFFFFF) << 5 ^ v
            for i in range(5):
                chk ^= gen[i] if (top >> i) & 1 else 0
        return chk

    acc = bits = 0
    five: list[int] = []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            five.append((acc >> bits) & 31)
    if bits:
        five.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = polymod([*expanded, *five, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in five + checksum)


def age_header_tag(age_bin: str, pub: Path) -> str:
    """The tag `age` itself writes for this key (read from the stanza line)."""
    encrypted = subprocess.run(
        [age_bin, "-R", str(pub)], input=b"x", capture_output=True, check=True
    ).stdout
    match = re.search(rb"^-> ssh-(?:ed25519|rsa) (\S+)", encrypted, re.M)
    assert match, encrypted[:200]
    return match.group(1).decode()


@pytest.mark.parametrize("name", SSH_KEYS)
def test_ssh_recipient_fingerprint_and_tag(
    name: str, keys: dict[str, Key], ssh_keygen_bin: str, age_bin: str
) -> None:
    pair = keys[name]
    recipient = parse_recipient(pair.public_text)
    keygen = subprocess.run(
        [ssh_keygen_bin, "-lf", str(pair.public)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert recipient.fingerprint == keygen[1]
    assert int(keygen[0]) == recipient.bits
    assert recipient.tag == age_header_tag(age_bin, pair.public)
    assert recipient.is_ssh and recipient.kind == ("ssh-ed25519" if "ed" in name else "ssh-rsa")
    assert recipient.stanza_type == recipient.kind
    assert recipient.wrapper is not None
    assert recipient.fingerprint in recipient.short()


def test_comment_kept_aside(keys: dict[str, Key]) -> None:
    line = keys["ed25519"].public_text
    with_comment = parse_recipient("  " + line + "  \n")
    assert with_comment.comment == "alice@laptop"
    keytype, b64 = line.split()[:2]
    without = parse_recipient(f"{keytype} {b64}")
    assert without.comment == ""
    assert without.text == with_comment.text == f"{keytype} {b64}"
    assert with_comment.original.strip() == line
    spaced = parse_recipient(f"{keytype} {b64} a comment with spaces")
    assert spaced.comment == "a comment with spaces"


def test_rsa_without_comment(keys: dict[str, Key]) -> None:
    recipient = parse_recipient(keys["rsa4096"].public_text)
    assert recipient.bits == 4096


def test_x25519_recipient(keys: dict[str, Key]) -> None:
    text = keys["x25519"].public_text
    recipient = parse_recipient(text)
    assert recipient.kind == "x25519" and recipient.stanza_type == "X25519"
    assert recipient.tag is None and recipient.fingerprint == text
    assert parse_recipient(text.upper()).text == text
    assert recipient.wrapper is not None


def test_plugin_recipient() -> None:
    text = bech32_encode("age1yubikey", bytes(range(33)))
    recipient = parse_recipient(text)
    assert recipient.kind == "plugin" and recipient.plugin == "yubikey"
    assert recipient.stanza_type == "plugin" and recipient.tag is None
    assert bech32_decode(text) == ("age1yubikey", bytes(range(33)))


@pytest.mark.parametrize(
    ("keytype", "expected"),
    [("ecdsa", "ECDSA"), ("dsa", "DSA")],
)
def test_unsupported_ssh_types(
    keytype: str, expected: str, tmp_path: Path, ssh_keygen_bin: str
) -> None:
    pair = make_ssh_key(ssh_keygen_bin, tmp_path, keytype, keytype)
    with pytest.raises(RecipientError, match=expected) as info:
        parse_recipient(pair.public_text)
    assert info.value.hint


def test_security_key_points_to_plugin() -> None:
    blob = base64.b64encode(b"\x00\x00\x00\x1ask-ssh-ed25519@openssh.com").decode()
    with pytest.raises(RecipientError) as info:
        parse_recipient(f"sk-ssh-ed25519@openssh.com {blob} yubi")
    assert "age-plugin-yubikey" in (info.value.hint or "")


def test_small_rsa_refused(tmp_path: Path, ssh_keygen_bin: str) -> None:
    pair = make_ssh_key(ssh_keygen_bin, tmp_path, "small", "rsa", bits=1024)
    with pytest.raises(RecipientError, match="1024 bits"):
        parse_recipient(pair.public_text)


@pytest.mark.parametrize(
    ("mangle", "pattern"),
    [
        (lambda t, b: f"{t} {b[:-3]}!!!", "base64"),
        (lambda t, b: f"{t} {base64.b64encode(base64.b64decode(b)[:-5]).decode()}", "truncated"),
        (lambda t, b: f"{t} {base64.b64encode(base64.b64decode(b) + b'xx').decode()}", "truncated"),
        (lambda t, b: f"{t}", "no key data"),
        (lambda t, b: f"ssh-rsa {b}", "data is a"),
        (lambda t, b: f"ssh-foo {b}", "unsupported SSH key type"),
        (lambda t, b: f"ssh-ed25519-cert-v01@openssh.com {b}", "unsupported SSH key type"),
        (lambda t, b: "", "empty"),
        (lambda t, b: "hello world", "unknown recipient type"),
        (lambda t, b: "age1qqqqqqqq", "not a valid age recipient"),
        (lambda t, b: "age1abc extra", "after age recipient"),
    ],
)
def test_malformed_recipients(mangle: object, pattern: str, keys: dict[str, Key]) -> None:
    keytype, b64 = keys["ed25519"].public_text.split()[:2]
    with pytest.raises(RecipientError, match=pattern) as info:
        parse_recipient(mangle(keytype, b64))  # type: ignore[operator]
    assert info.value.hint
    assert "\n" not in info.value.message


@pytest.mark.parametrize("name", ["ed25519", "rsa-pem", "x25519"])
def test_private_key_pasted(name: str, keys: dict[str, Key]) -> None:
    text = keys[name].private.read_text()
    if name == "x25519":
        text = next(ln for ln in text.splitlines() if ln.startswith("AGE-SECRET-KEY-"))
    with pytest.raises(RecipientError, match="private key"):
        parse_recipient(text)


def test_not_a_string() -> None:
    with pytest.raises(RecipientError, match="string"):
        parse_recipient(42)  # type: ignore[arg-type]


def test_recipients_file(keys: dict[str, Key]) -> None:
    content = (
        "# admins\n\n"
        + keys["ed25519"].public_text
        + "\n  "
        + keys["rsa2048"].public_text
        + "\n"
        + keys["x25519"].public_text
    )
    recipients = parse_recipients_file(content)
    assert [r.kind for r in recipients] == ["ssh-ed25519", "ssh-rsa", "x25519"]
    with pytest.raises(RecipientError, match="line 3"):
        parse_recipients_file("# x\n\nssh-ed25519 AAAA\n")
