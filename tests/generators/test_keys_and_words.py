"""Key pairs, passphrases, tokens and env lines, checked by their real consumers:
ssh-keygen loads the SSH key, wg derives the same WireGuard public key, the passphrase
has the entropy the docs state."""

from __future__ import annotations

import base64
import math
import re
import string
import subprocess
import tomllib
from pathlib import Path

import pytest

from agepy.errors import UsageError
from agepy.generators import KINDS, generate, resolve_options
from agepy.generators.keypairs import wireguard_public_key
from agepy.generators.passphrase import BITS_PER_WORD, passphrase_bits, wordlist
from agepy.generators.tokens import FORMATS, token_bits
from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
GENERATORS = ROOT / "agepy" / "generators"


def test_ssh_key_loads_in_ssh_keygen(tmp_path: Path) -> None:
    ssh_keygen = require_tool("ssh-keygen")
    made = generate("ssh-ed25519", {"comment": "deploy@web"})
    key = tmp_path / "id_ed25519"
    key.write_bytes(made.value)
    key.chmod(0o600)
    derived = subprocess.run(
        [ssh_keygen, "-y", "-f", str(key)], capture_output=True, text=True, timeout=60, check=False
    )
    assert derived.returncode == 0, derived.stderr
    assert made.public is not None
    assert made.public.startswith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5") and made.public.endswith(
        " deploy@web"
    )
    assert derived.stdout.split()[:2] == made.public.split()[:2]
    assert made.value.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----\n")


def test_ssh_comment_defaults_to_the_secrets_name() -> None:
    options = resolve_options("ssh-ed25519", {}, secret_name="keys/deploy-web.age")
    assert options["comment"] == "deploy-web"


def test_wireguard_public_key_is_wg_pubkey() -> None:
    wg = require_tool("wg")
    for _ in range(3):
        made = generate("wireguard")
        assert re.fullmatch(rb"[A-Za-z0-9+/]{43}=\n", made.value)
        raw = base64.b64decode(made.value)
        assert raw[0] & 7 == 0 and raw[31] & 0xC0 == 0x40  # clamped, as wg genkey does
        by_wg = subprocess.run(
            [wg, "pubkey"], input=made.value, capture_output=True, timeout=60, check=True
        ).stdout.decode()
        assert by_wg == f"{made.public}\n"


def test_wg_genkey_keys_are_read_the_same() -> None:
    wg = require_tool("wg")
    private = subprocess.run([wg, "genkey"], capture_output=True, timeout=60, check=True).stdout
    public = subprocess.run(
        [wg, "pubkey"], input=private, capture_output=True, timeout=60, check=True
    ).stdout
    assert wireguard_public_key(private.decode()) == public.decode().strip()
    with pytest.raises(UsageError):
        wireguard_public_key("not a key")


def test_passphrase_entropy_is_as_stated() -> None:
    words = wordlist()
    assert len(words) == len(set(words)) == 7776
    assert abs(BITS_PER_WORD - 12.925) < 0.001
    assert passphrase_bits(6) == pytest.approx(6 * math.log2(len(words)))
    made = generate("passphrase", {"words": 7, "separator": "-"}).value.decode()
    assert made.endswith("\n")
    # Words may contain '-' themselves (t-shirt): count with a separator they never hold.
    spaced = generate("passphrase", {"words": 7}).value.decode().split()
    assert len(spaced) == 7 and all(w in set(words) for w in spaced)
    assert passphrase_bits(len(spaced)) > 90


def test_the_wordlist_ships_with_its_license() -> None:
    license_text = (GENERATORS / "EFF_WORDLIST_LICENSE.txt").read_text()
    assert "CC BY 3.0 US" in license_text and "Electronic Frontier Foundation" in license_text
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "generators/*.txt" in pyproject["tool"]["setuptools"]["package-data"]["agepy"]


@pytest.mark.parametrize("token_format", list(FORMATS))
def test_token_formats(token_format: str) -> None:
    value = generate("token", {"format": token_format, "length": 40}).value.decode()
    assert value.endswith("\n") and len(value) == 41
    assert set(value.strip()) <= set(FORMATS[token_format])
    assert token_bits(token_format, 40) >= 128 + 32


def test_env_line() -> None:
    value = generate("env", {"var": "API_TOKEN", "format": "alnum"}).value.decode()
    name, _, token = value.rstrip("\n").partition("=")
    assert name == "API_TOKEN" and len(token) == 32
    assert set(token) <= set(string.ascii_letters + string.digits)


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("token", {"length": 10}),
        ("token", {"length": 100000}),
        ("token", {"format": "octal"}),
        ("token", {"length": "32"}),
        ("token", {"words": 6}),
        ("passphrase", {"words": 2}),
        ("passphrase", {"separator": "\n"}),
        ("env", {}),
        ("env", {"var": "1BAD"}),
        ("ssh-ed25519", {"comment": "two words"}),
        ("wireguard", {"length": 3}),
        ("heisenbridge-config", {"url": "ftp://x"}),
        ("nope", {}),
    ],
)
def test_bad_options_are_usage_errors(kind: str, options: dict[str, object]) -> None:
    with pytest.raises(UsageError) as caught:
        generate(kind, options)
    assert caught.value.hint


def test_every_kind_makes_a_value_and_hides_it_in_repr() -> None:
    for kind in KINDS:
        made = generate(kind, {"var": "X"} if kind == "env" else {})
        assert made.value
        assert made.value.decode() not in repr(made)
        assert (made.public is not None) == (KINDS[kind].public is not None)
