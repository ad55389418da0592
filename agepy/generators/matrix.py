"""The Matrix kinds, on the same mechanism as the others: ``heisenbridge-config`` (the
registration ``heisenbridge --generate-compat`` writes) and ``conduit-registration-token``
(``CONDUIT_REGISTRATION_TOKEN=…`` for an EnvironmentFile). The work is in agepy.matrix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agepy.generators.base import Generated, bool_option, str_option
from agepy.matrix.conduit import registration_token_env
from agepy.matrix.heisenbridge import RegistrationOptions, generate_registration
from agepy.matrix.tokens import hex_token

__all__ = [
    "make_conduit_registration_token",
    "make_heisenbridge_config",
    "registration_options",
    "validate_heisenbridge_config",
]


def registration_options(options: Mapping[str, Any]) -> RegistrationOptions:
    return RegistrationOptions(
        url=str_option(options, "url"),
        compat=bool_option(options, "compat"),
        id=str_option(options, "id"),
        sender_localpart=str_option(options, "sender"),
        prefix=str_option(options, "prefix"),
    )


def validate_heisenbridge_config(options: Mapping[str, Any]) -> None:
    registration_options(options).validate()


def make_heisenbridge_config(options: Mapping[str, Any]) -> Generated:
    return Generated(value=generate_registration(registration_options(options)).encode())


def make_conduit_registration_token(options: Mapping[str, Any]) -> Generated:
    # Shown once: the first user needs it to register.
    token = hex_token(16)
    return Generated(value=registration_token_env(token), shown=token)
