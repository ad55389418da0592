"""The age plugin protocol: the test plugin against the real `age`, and agepy's client.

The plugin (tests/age/plugin/age-plugin-agepytest) is written from the C2SP spec; running
it under the real `age` first checks it against an implementation agepy did not write.
"""

from __future__ import annotations

import secrets
import subprocess
from base64 import b64encode
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from agepy.age.header import Stanza, parse_header
from agepy.age.plugin import (
    PluginNotFoundError,
    PluginRefusedError,
    unwrap_file_key,
    wrap_file_key,
)
from tests.age.plugin import MODE_VARIABLES, PluginKey, make_plugin_key, plugin_search_path
from tests.conftest import require_tool

PLUGIN = "agepytest"


@pytest.fixture(autouse=True)
def plugin_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", plugin_search_path())
    for variable in MODE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


# One key per module (made by the plugin's --generate, a Python start): tests only read it.
@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> PluginKey:
    return make_plugin_key(tmp_path_factory.mktemp("plugin-key"))


@pytest.fixture(scope="module")
def other_key(tmp_path_factory: pytest.TempPathFactory) -> PluginKey:
    return make_plugin_key(tmp_path_factory.mktemp("plugin-key"), "other")


def age(*args: str, stdin: bytes = b"") -> bytes:
    result = subprocess.run([require_tool("age"), *args], input=stdin, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


# --- age's own format, rebuilt here to check agepy's answers independently -------------


def header_mac(file_key: bytes, header_through_dashes: bytes) -> bytes:
    mac_key = HKDF(hashes.SHA256(), 32, salt=b"", info=b"header").derive(file_key)
    hmac = HMAC(mac_key, hashes.SHA256())
    hmac.update(header_through_dashes)
    return hmac.finalize()


def payload_key(file_key: bytes, nonce: bytes) -> ChaCha20Poly1305:
    return ChaCha20Poly1305(HKDF(hashes.SHA256(), 32, salt=nonce, info=b"payload").derive(file_key))


LAST_CHUNK = bytes(11) + b"\x01"  # counter 0, final flag: plaintexts under 64 KiB


def open_small_file(data: bytes, file_key: bytes) -> bytes:
    """Check the header MAC with ``file_key`` and decrypt a one-chunk payload."""
    header = parse_header(data)
    assert header_mac(file_key, header.raw[: header.raw.rindex(b"---") + 3]) == header.mac
    nonce, chunk = data[len(header.raw) : len(header.raw) + 16], data[len(header.raw) + 16 :]
    return payload_key(file_key, nonce).decrypt(LAST_CHUNK, chunk, None)


def seal_small_file(stanzas: list[Stanza], file_key: bytes, plaintext: bytes) -> bytes:
    """An age file with these stanzas, the MAC and a one-chunk payload."""
    header = b"age-encryption.org/v1\n"
    for stanza in stanzas:
        body = b64encode(stanza.body).rstrip(b"=")
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        if not lines or len(lines[-1]) == 64:
            lines.append(b"")
        header += " ".join(["->", stanza.type, *stanza.args]).encode() + b"\n"
        header += b"\n".join(lines) + b"\n"
    header += b"---"
    header += b" " + b64encode(header_mac(file_key, header)).rstrip(b"=") + b"\n"
    nonce = secrets.token_bytes(16)
    return header + nonce + payload_key(file_key, nonce).encrypt(LAST_CHUNK, plaintext, None)


# --- (a) the plugin under the real age ------------------------------------------------


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
def test_age_encrypts_and_decrypts_through_the_plugin(key: PluginKey, armor: bool) -> None:
    plain = secrets.token_bytes(70_000)
    secret = age("-e", *(["-a"] if armor else []), "-r", key.recipient, stdin=plain)
    if not armor:
        assert parse_header(secret).types == [PLUGIN]
    assert age("-d", "-i", str(key.identity_file), stdin=secret) == plain


def test_age_encrypts_to_a_plugin_identity(key: PluginKey) -> None:
    secret = age("-e", "-i", str(key.identity_file), stdin=b"to myself")
    assert parse_header(secret).types == [PLUGIN]
    assert age("-d", "-i", str(key.identity_file), stdin=secret) == b"to myself"


def test_age_answers_the_plugins_messages_and_grease(
    key: PluginKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plugin exits 5 on any answer the spec does not allow: age's answers are the model.
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_MODE", "msg,grease")
    secret = age("-r", key.recipient, stdin=b"x")
    assert age("-d", "-i", str(key.identity_file), stdin=secret) == b"x"


# --- (b) agepy's client ---------------------------------------------------------------


def test_wrap_and_unwrap_round_trip(key: PluginKey, other_key: PluginKey) -> None:
    file_key = secrets.token_bytes(16)
    stanzas = wrap_file_key(PLUGIN, [key.recipient, other_key.recipient], [key.identity], file_key)
    assert [s.type for s in stanzas] == [PLUGIN] * 3
    for stanza in stanzas:
        assert unwrap_file_key(PLUGIN, [other_key.identity, key.identity], [stanza]) in (
            file_key,
            None,
        )
    assert unwrap_file_key(PLUGIN, [other_key.identity], stanzas) == file_key
    assert unwrap_file_key(PLUGIN, [key.identity], stanzas[2:]) == file_key


def test_unwraps_a_file_age_encrypted_to_the_plugin_and_x25519(key: PluginKey) -> None:
    x25519 = subprocess.run(
        [require_tool("age-keygen")], capture_output=True, text=True, check=True
    ).stdout
    x25519_recipient = x25519.split("public key: ")[1].split()[0]
    secret = age("-r", x25519_recipient, "-r", key.recipient, stdin=b"from age")
    stanzas = parse_header(secret).stanzas
    assert [s.type for s in stanzas] == ["X25519", PLUGIN]
    file_key = unwrap_file_key(PLUGIN, [key.identity], stanzas)  # X25519 is ignored
    assert file_key is not None
    assert open_small_file(secret, file_key) == b"from age"


def test_age_decrypts_what_agepy_wrapped(key: PluginKey, other_key: PluginKey) -> None:
    file_key = secrets.token_bytes(16)
    stanzas = wrap_file_key(PLUGIN, [other_key.recipient], [key.identity], file_key)
    secret = seal_small_file(stanzas, file_key, b"from agepy")
    assert age("-d", "-i", str(key.identity_file), stdin=secret) == b"from agepy"
    assert age("-d", "-i", str(other_key.identity_file), stdin=secret) == b"from agepy"


def test_no_matching_stanza_is_none(key: PluginKey, other_key: PluginKey) -> None:
    stanzas = wrap_file_key(PLUGIN, [key.recipient], [], secrets.token_bytes(16))
    assert unwrap_file_key(PLUGIN, [other_key.identity], stanzas) is None
    foreign = [Stanza("X25519", ("c2hhcmU",), bytes(32)), Stanza("grease-x", (), b"")]
    assert unwrap_file_key(PLUGIN, [key.identity], foreign) is None


def test_a_malformed_stanza_of_the_plugins_type_is_an_error(key: PluginKey) -> None:
    with pytest.raises(PluginRefusedError, match="malformed agepytest stanza"):
        unwrap_file_key(PLUGIN, [key.identity], [Stanza(PLUGIN, ("c2hvcnQ",), b"x")])


def test_a_bad_identity_is_named_by_position_never_shown(key: PluginKey) -> None:
    wrong = key.identity[:-6] + ("QQQQQQ" if not key.identity.endswith("QQQQQQ") else "PPPPPP")
    with pytest.raises(PluginRefusedError) as caught:
        unwrap_file_key(PLUGIN, [key.identity, wrong], [Stanza(PLUGIN, (), b"")])
    assert "identity #2" in caught.value.message
    assert wrong not in caught.value.message and key.identity not in caught.value.message
    with pytest.raises(PluginRefusedError, match=r"recipient age1agepytest"):
        wrap_file_key(PLUGIN, ["age1agepytest1qqqqqqqqqqqq"], [], bytes(16))


def test_grease_goes_both_ways(
    key: PluginKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "log"
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_LOG", str(log))
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_MODE", "grease")  # the plugin checks "unsupported"
    file_key = secrets.token_bytes(16)
    stanzas = wrap_file_key(PLUGIN, [key.recipient], [], file_key)
    assert unwrap_file_key(PLUGIN, [key.identity], stanzas) == file_key
    commands = [line.split()[0] for line in log.read_text().splitlines()]
    assert sum(command.startswith("grease-") for command in commands) == 2
    assert commands.count("unsupported") == 2


# --- (e) a plugin that is not installed ------------------------------------------------


def test_a_missing_plugin_is_named_with_a_hint(key: PluginKey) -> None:
    for call in (
        lambda: wrap_file_key("yubikey", ["age1yubikey1qqqq"], [], bytes(16)),
        lambda: unwrap_file_key("YubiKey", ["AGE-PLUGIN-YUBIKEY-1QQQQ"], []),
    ):
        with pytest.raises(PluginNotFoundError) as caught:
            call()
        assert str(caught.value) == "age-plugin-yubikey not found on PATH"
        assert caught.value.hint and "age-plugin-yubikey" in caught.value.hint
