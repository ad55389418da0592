"""Every snippet, for every kind and both module forms, parses with nix-instantiate.

One nix-instantiate parses them all, each as a file of its own (tests/nix/batch.py)."""

from __future__ import annotations

import itertools

import pytest

from agepy.errors import UsageError
from agepy.generators import KINDS
from agepy.generators.nixos import SecretSnippet, secret_snippet
from tests.support.nix_batch import parse_texts

FIELD_SETS = [
    {},
    {"owner": "alice", "group": "users", "mode": "0440", "path": "/run/keys/x"},
    {"user": "alice", "interface": "wg-home", "service": "my-app@1", "public": "pub+/key="},
]


FORMS = list(itertools.product([None, *KINDS], [False, True]))


def snippets(kind: str | None, home_manager: bool) -> list[str]:
    texts = []
    for fields in FIELD_SETS:
        if home_manager and ("owner" in fields or "group" in fields):
            continue
        for attr, file in [("wg", "secrets/wg.age"), ("a b.c", "secrets/odd name.age")]:
            snippet = SecretSnippet(attr, file, kind, home_manager=home_manager, **fields)
            texts.append(secret_snippet(snippet))
    return texts


@pytest.fixture(scope="module")
def parse_errors(nix_instantiate: str) -> dict[str, str | None]:
    """Every snippet → None if `nix-instantiate --parse` accepts it, else its error."""
    return parse_texts(nix_instantiate, [t for form in FORMS for t in snippets(*form)])


@pytest.mark.parametrize(("kind", "home_manager"), FORMS)
def test_every_snippet_parses(
    kind: str | None, home_manager: bool, parse_errors: dict[str, str | None]
) -> None:
    texts = snippets(kind, home_manager)
    assert texts
    for text in texts:
        assert parse_errors[text] is None, (text, parse_errors[text])
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
