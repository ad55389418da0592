"""agepy's own engine: random round trips against age and pyrage, hostile headers in
linear time and bounded memory, and the CLI's age-style flags and refusals."""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import threading
from pathlib import Path

import pyrage
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agepy.age import _bech32, decrypt_bytes, encrypt_bytes, encrypt_file, open_age, wrap_file_key
from agepy.age._stream import NONCE_SIZE, encrypt_payload, payload_key
from agepy.age.header import Stanza, encode_header
from agepy.age.identities import load_identities
from agepy.age.plugin import PluginNotFoundError
from agepy.age.pq import HybridIdentity
from agepy.age.recipients import parse_recipient
from agepy.age.x25519 import X25519Identity
from agepy.errors import HeaderError, IdentityError, RecipientError
from tests.age.test_cli import assert_one_error, run
from tests.age.test_interop_sizes import run_agepy_with_tty, run_with_tty
from tests.support.forkserver import popen_agepy
from tests.support.keys import Key

ROUND_TRIP_KEYS = ["x25519", "ed25519", "rsa2048"]
EDGE_SIZES = [0, 1, 65535, 65536, 65537, 200_000]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    chosen=st.lists(st.sampled_from(ROUND_TRIP_KEYS), min_size=1, max_size=3, unique=True),
    size=st.sampled_from(EDGE_SIZES) | st.integers(0, 200_000),
    armor=st.booleans(),
)
def test_random_round_trips(
    chosen: list[str],
    size: int,
    armor: bool,
    keys: dict[str, Key],
    age_bin: str,
    tmp_path: Path,
) -> None:
    """agepy → age and pyrage (each key of the set decrypts), and age → agepy."""
    plain = os.urandom(size)
    ours = encrypt_bytes(plain, [keys[k].public_text for k in chosen], armor=armor)
    secret = tmp_path / "s.age"
    secret.write_bytes(ours)
    for key in chosen:
        result = subprocess.run(
            [age_bin, "-d", "-i", str(keys[key].private), str(secret)], capture_output=True
        )
        assert result.returncode == 0 and result.stdout == plain, result.stderr
    if "ed25519" in chosen:
        ssh = pyrage.ssh.Identity.from_buffer(keys["ed25519"].private.read_bytes())
        assert pyrage.decrypt(ours, [ssh]) == plain
    source = tmp_path / "plain"
    source.write_bytes(plain)
    theirs = tmp_path / "theirs.age"
    recipient_args = [a for k in chosen for a in ("-R", str(keys[k].public))]
    armor_args = ["-a"] if armor else []
    subprocess.run(
        [age_bin, *armor_args, *recipient_args, "-o", str(theirs), str(source)], check=True
    )
    for key in chosen:
        assert decrypt_bytes(theirs.read_bytes(), load_identities([keys[key].private])) == plain


# --- hostile headers -------------------------------------------------------------------


class _Endless(io.RawIOBase):
    """``head`` then ``filler`` repeated up to ``size`` bytes, made as they are read: a
    2 GiB header line without 2 GiB anywhere."""

    def __init__(self, head: bytes, filler: bytes, size: int) -> None:
        self._head = head
        self._block = filler * (65536 // len(filler))
        self._left = size
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._head or self._block
        self._head = b""
        n = min(len(buffer), len(data), self._left)
        buffer[:n] = data[:n]
        self._left -= n
        self.served += n
        return n


def test_two_gib_header_line_is_refused_early() -> None:
    endless = _Endless(b"age-encryption.org/v1\n-> X25519 ", b"A", 2 << 30)
    with pytest.raises(HeaderError, match="too long"):
        open_age(io.BufferedReader(endless))
    assert endless.served < 16 << 20  # read a few MiB, not 2 GiB


def test_two_gib_header_line_on_stdin(keys: dict[str, Key]) -> None:
    # A real `python -m agepy` process (tests.support.forkserver) reading a real pipe.
    process = popen_agepy(
        ["decrypt", "-i", str(keys["x25519"].private), "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stderr is not None

    def feed() -> None:
        assert process.stdin is not None
        block = b"A" * 65536
        try:
            process.stdin.write(b"age-encryption.org/v1\n-> X25519 ")
            for _ in range((2 << 30) // len(block)):
                process.stdin.write(block)
        except (BrokenPipeError, ValueError):
            pass  # agepy stopped reading: what this test wants

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    # Not communicate(): it would close stdin, and agepy would see a short header.
    stderr = process.stderr.read()
    process.wait(timeout=120)
    assert process.returncode == 1, stderr
    lines = stderr.decode().splitlines()
    assert any("too long" in ln for ln in lines), stderr
    assert [ln for ln in lines if ln.startswith("agepy: error:")] == [
        next(ln for ln in lines if "too long" in ln)
    ]


def _file_with_stanzas(recipient: str, extra: list[Stanza], plain: bytes) -> bytes:
    file_key = secrets.token_bytes(16)
    stanzas = extra + wrap_file_key(file_key, [recipient])
    nonce = secrets.token_bytes(NONCE_SIZE)
    out = io.BytesIO()
    out.write(encode_header(stanzas, file_key) + nonce)
    encrypt_payload(payload_key(file_key, nonce), io.BytesIO(plain), out.write)
    return out.getvalue()


def test_hundred_thousand_stanzas() -> None:
    """Grease stanzas cost a parse each (linear); the file still decrypts."""
    identity = X25519Identity.generate()
    recipient = str(identity.recipient())
    grease = [Stanza("x-grease", (), b"")] * 100_000
    data = _file_with_stanzas(recipient, grease, b"needle")
    keyfile_identity = load_identities_from_text(identity.secret_text())
    assert decrypt_bytes(data, keyfile_identity) == b"needle"
    many_x25519 = [wrap_file_key(secrets.token_bytes(16), [recipient])[0]] * 100_000
    with pytest.raises(HeaderError, match="too long"):
        decrypt_bytes(_file_with_stanzas(recipient, many_x25519, b""), keyfile_identity)


def load_identities_from_text(text: str) -> list:  # type: ignore[type-arg]
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    path = folder / f"agepy-test-{secrets.token_hex(6)}.key"
    path.write_text(text + "\n")
    try:
        return load_identities([path])
    finally:
        path.unlink()


# --- refusals and the CLI ------------------------------------------------------------------


def test_pq_and_classic_recipients_do_not_mix(keys: dict[str, Key]) -> None:
    pq = str(HybridIdentity.generate().recipient())
    with pytest.raises(RecipientError, match="post-quantum"):
        encrypt_bytes(b"x", [pq, keys["x25519"].public_text])
    with pytest.raises(RecipientError, match="post-quantum"):
        encrypt_bytes(b"x", [keys["ed25519"].public_text, pq])


@pytest.mark.parametrize(
    "recipient",
    [
        "pgp-rsa AAAAB3",
        "age1notbech32",
        "ecdsa-sha2-nistp256 AAAAE2VjZHNh",
        "PQ-MIX",
        "age1yubikey1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqs0h5kx",
    ],
)
def test_bad_recipients_write_nothing(
    recipient: str, agepy_cmd: list[str], keys: dict[str, Key], tmp_path: Path
) -> None:
    out = tmp_path / "out.age"
    args = ["-r", recipient]
    if recipient == "PQ-MIX":
        args = ["-r", str(HybridIdentity.generate().recipient()), "-r", keys["x25519"].public_text]
    elif recipient.startswith("age1yubikey"):
        args = ["-r", _bech32.encode("age1yubikey", bytes(33))]
    result = run(agepy_cmd, "encrypt", *args, "-o", str(out), stdin=b"secret")
    assert_one_error(result)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_encrypt_to_identity_and_e_flag(
    agepy_cmd: list[str], keys: dict[str, Key], tmp_path: Path, age_bin: str
) -> None:
    out = tmp_path / "s.age"
    result = run(
        agepy_cmd,
        "encrypt",
        "-e",
        "-i",
        str(keys["ed25519"].private),
        "-i",
        str(keys["x25519"].private),
        "-o",
        str(out),
        stdin=b"to myself",
    )
    assert result.returncode == 0, result.stderr
    for key in ("ed25519", "x25519"):
        check = subprocess.run(
            [age_bin, "-d", "-i", str(keys[key].private), str(out)], capture_output=True
        )
        assert check.stdout == b"to myself"


def test_encrypt_with_passphrase(tmp_path: Path, age_bin: str) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(b"by passphrase")
    out = tmp_path / "s.age"
    code, output = run_agepy_with_tty(
        ["encrypt", "-p", "-o", str(out), str(plain)], "correct horse"
    )
    assert code == 0, output
    # age opens it (agepy opening its own passphrase files: test_interop_sizes.py); each
    # side spends a second of scrypt at the default work factor, so only age does.
    decrypted = tmp_path / "back"
    code, output = run_with_tty([age_bin, "-d", "-o", str(decrypted), str(out)], "correct horse")
    assert code == 0 and decrypted.read_bytes() == b"by passphrase", output


def test_inspect_reads_stdin_and_names_post_quantum(agepy_cmd: list[str]) -> None:
    pq = str(HybridIdentity.generate().recipient())
    data = encrypt_bytes(b"x", [pq], armor=True)
    for args in (["inspect", "-"], ["inspect"]):
        result = run(agepy_cmd, *args, stdin=data)
        assert result.returncode == 0, result.stderr
        assert b"mlkem768x25519" in result.stdout and b"post-quantum" in result.stdout
    result = run(agepy_cmd, "inspect", "--json", "-", stdin=data)
    (info,) = json.loads(result.stdout)["files"]
    assert [s["kind"] for s in info["stanzas"]] == ["mlkem768x25519"]
    assert parse_recipient(pq).kind == "pq"


def test_plugin_recipients_and_identities_parse(tmp_path: Path) -> None:
    recipient = parse_recipient(_bech32.encode("age1yubikey", bytes(33)))
    assert (recipient.kind, recipient.plugin_name, recipient.wrapper) == ("plugin", "yubikey", None)
    identity_line = _bech32.encode("age-plugin-yubikey-", bytes(20), upper=True)
    keyfile = tmp_path / "plugin.key"
    keyfile.write_text(f"# a YubiKey\n{identity_line}\n")
    (identity,) = load_identities([keyfile])
    assert (identity.kind, identity.plugin_name) == ("plugin", "yubikey")
    assert "age-plugin-yubikey" in identity.describe()
    bad = tmp_path / "bad.key"
    bad.write_text(identity_line[:-1] + ("Q" if identity_line[-1] != "Q" else "P") + "\n")
    with pytest.raises(IdentityError, match="plugin identity"):
        load_identities([bad])
    with pytest.raises(RecipientError):
        parse_recipient("age1/bin/sh1qqqqqqq")


def test_a_plugin_recipient_fails_cleanly_without_writing(tmp_path: Path) -> None:
    out = tmp_path / "s.age"
    with pytest.raises(PluginNotFoundError, match=r"^age-plugin-yubikey not found on PATH$"):
        encrypt_file(io.BytesIO(b"x"), out, [_bech32.encode("age1yubikey", bytes(33))])
    assert list(tmp_path.iterdir()) == []
