"""Every snippet, for every kind and both module forms, parses with nix-instantiate."""

from __future__ import annotations

import itertools
import subprocess

import pytest

from agepy.errors import UsageError
from agepy.generators import KINDS
from agepy.generators.nixos import SecretSnippet, secret_snippet
from tests.conftest import require_tool

FIELD_SETS = [
    {},
    {"owner": "alice", "group": "users", "mode": "0440", "path": "/run/keys/x"},
    {"user": "alice", "interface": "wg-home", "service": "my-app@1", "public": "pub+/key="},
]


def parse(text: str) -> None:
    nix = require_tool("nix-instantiate")
    done = subprocess.run(
        [nix, "--parse", "-E", text], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, (text, done.stderr)


@pytest.mark.parametrize(
    ("kind", "home_manager"),
    list(itertools.product([None, *KINDS], [False, True])),
)
def test_every_snippet_parses(kind: str | None, home_manager: bool) -> None:
    for fields in FIELD_SETS:
        if home_manager and ("owner" in fields or "group" in fields):
            continue
        for attr, file in [("wg", "secrets/wg.age"), ("a b.c", "secrets/odd name.age")]:
            text = secret_snippet(
                SecretSnippet(attr=attr, file=file, kind=kind, home_manager=home_manager, **fields)  # type: ignore[arg-type]
            )
            parse(text)
            assert "age.secrets." in text


def test_consumer_lines() -> None:
    hashed = secret_snippet(SecretSnippet("alice-pw", "secrets/alice-pw.age", "password-hash",
                                          user="alice"))  # fmt: skip
    assert "users.users.alice.hashedPasswordFile = config.age.secrets.alice-pw.path;" in hashed
    assert "file = ./secrets/alice-pw.age;" in hashed
    wg = secret_snippet(SecretSnippet("wg", "secrets/wg.age", "wireguard", public="PUB="))
    assert "networking.wireguard.interfaces.wg0.privateKeyFile =" in wg and "PUB=" in wg
    env = secret_snippet(SecretSnippet("api", "s/api.age", "env", service="api", owner="api"))
    assert "systemd.services.api.serviceConfig.EnvironmentFile = config.age.secrets.api.path;" in (
        env
    )
    assert 'owner = "api";' in env
    home = secret_snippet(SecretSnippet("api", "s/api.age", "env", service="api",
                                        home_manager=True, mode="0400"))  # fmt: skip
    assert "systemd.user.services.api.Service.EnvironmentFile" in home
    assert "homeManagerModules" in home and 'mode = "0400";' in home


@pytest.mark.parametrize(
    "fields",
    [
        {"owner": "Bad Name"},
        {"mode": "777x"},
        {"interface": "a-very-long-interface-name"},
        {"path": "relative/path"},
        {"home_manager": True, "owner": "alice"},
    ],
)
def test_bad_fields(fields: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        secret_snippet(SecretSnippet("x", "secrets/x.age", **fields))  # type: ignore[arg-type]


def test_a_file_outside_the_module_is_refused() -> None:
    with pytest.raises(UsageError):
        secret_snippet(SecretSnippet("x", "../x.age"))
