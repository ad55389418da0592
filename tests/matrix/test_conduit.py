"""Conduit: the register-appservice admin message, conduit.toml, the token env file."""

from __future__ import annotations

import contextlib
import tomllib

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from agepy.errors import AgepyError, StoreError, UsageError
from agepy.matrix.conduit import (
    conduit_config_toml,
    parse_registration_token_env,
    register_appservice_message,
    registration_token_env,
)
from agepy.matrix.heisenbridge import generate_registration
from agepy.matrix.tokens import hex_token


def conduit_parse(message: str) -> tuple[list[str], str]:
    """The admin message as Conduit reads it: (command argv, registration YAML).

    Conduit's rules (famedly/conduit src/service/admin/mod.rs, process_admin_message and
    process_admin_command for AdminCommand::RegisterAppservice; mirrored on GitHub as
    timokoesters/conduit): blank lines are dropped (``lines().filter(|l|
    !l.trim().is_empty())``); the first line is the command, split on whitespace, argv[0]
    being ``@conduit:<server_name>:``; the body needs ``body.len() > 2`` with
    ``body[0].trim() == "```"`` and ``body.last().trim() == "```"`` (so a ```` ```yaml ````
    opener is rejected: "Expected code block in command body"); the lines between are
    joined with "\\n" and parsed with serde_yaml as the registration.
    """
    lines = [line for line in message.splitlines() if line.strip()]
    argv = lines[0].split()
    body = lines[1:]
    if not (len(body) > 2 and body[0].strip() == "```" and body[-1].strip() == "```"):
        raise ValueError("Expected code block in command body. Add --help for details.")
    return argv, "\n".join(body[1:-1])


def test_register_message_is_what_conduit_parses() -> None:
    registration = generate_registration()
    message = register_appservice_message("example.com", registration)
    assert message.splitlines()[:2] == ["@conduit:example.com: register-appservice", "```"]
    assert message.endswith("\n```\n")
    argv, body = conduit_parse(message)
    assert argv == ["@conduit:example.com:", "register-appservice"]
    assert yaml.safe_load(body) == yaml.safe_load(registration)
    assert body + "\n" == registration


def test_the_conduit_model_rejects_a_yaml_info_string() -> None:
    message = register_appservice_message("example.com", generate_registration())
    with pytest.raises(ValueError, match="Expected code block"):
        conduit_parse(message.replace("```\n", "```yaml\n", 1))


def test_message_refuses_a_fence_inside_and_bad_server_names() -> None:
    with pytest.raises(UsageError):
        register_appservice_message("example.com", "id: x\n```\n")
    for bad in ("https://example.com", "", "exa mple.com", "example.com:0", "-bad.com"):
        with pytest.raises(UsageError):
            register_appservice_message(bad, generate_registration())
    register_appservice_message("matrix.example.com:8448", generate_registration())


def test_conduit_toml_has_no_token_and_says_where_it_goes() -> None:
    text = conduit_config_toml("example.com", port=6167, address="127.0.0.1")
    config = tomllib.loads(text)
    assert config["global"]["server_name"] == "example.com"
    assert config["global"]["port"] == 6167
    assert config["global"]["address"] == "127.0.0.1"
    assert config["global"]["allow_registration"] is True
    assert "registration_token" not in config["global"]
    assert "CONDUIT_REGISTRATION_TOKEN=" in text


@pytest.mark.parametrize(
    "kwargs", [{"port": 0}, {"port": 70000}, {"address": "localhost"}, {"address": "1.2.3"}]
)
def test_conduit_toml_bad_input(kwargs: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        conduit_config_toml("example.com", **kwargs)  # type: ignore[arg-type]


def test_token_env_round_trip() -> None:
    token = hex_token()
    data = registration_token_env(token)
    assert data == f"CONDUIT_REGISTRATION_TOKEN={token}\n".encode()
    assert parse_registration_token_env(data) == token
    with pytest.raises(StoreError):
        parse_registration_token_env(b"OTHER=1\n")


@pytest.mark.parametrize(
    "token", ["short", "has space in it 123", "quote'quote'quote'", "$HOME" * 5]
)
def test_token_env_refuses_unsafe_tokens(token: str) -> None:
    with pytest.raises(UsageError):
        registration_token_env(token)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_parse_token_env_fuzz(data: bytes) -> None:
    with contextlib.suppress(AgepyError):
        parse_registration_token_env(data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_server_name_fuzz(name: str) -> None:
    with contextlib.suppress(AgepyError):
        conduit_config_toml(name)
