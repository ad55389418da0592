"""Secrets of a Conduit + Heisenbridge Matrix server: generators and store glue.

Pure generators (tokens, the Heisenbridge registration, Conduit's admin command and
config, NixOS snippets) live in the submodules; :mod:`agepy.ops.matrix_secrets` encrypts
and decrypts them through :class:`agepy.store.Store`.
"""

from __future__ import annotations

from agepy.matrix.conduit import (
    conduit_config_toml,
    parse_registration_token_env,
    register_appservice_message,
    registration_token_env,
)
from agepy.matrix.heisenbridge import (
    RegistrationOptions,
    build_registration,
    check_registration,
    dump_registration,
    generate_registration,
    parse_registration,
    rotate_tokens,
)
from agepy.matrix.snippets import SnippetOptions, nixos_snippet
from agepy.matrix.tokens import alnum_token, hex_token

__all__ = [
    "RegistrationOptions",
    "SnippetOptions",
    "alnum_token",
    "build_registration",
    "check_registration",
    "conduit_config_toml",
    "dump_registration",
    "generate_registration",
    "hex_token",
    "nixos_snippet",
    "parse_registration",
    "parse_registration_token_env",
    "register_appservice_message",
    "registration_token_env",
    "rotate_tokens",
]
