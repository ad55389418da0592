"""Generators: pure functions that make a new secret of some kind from its options.

Nothing here touches a file: :mod:`agepy.store.generate` records a generator in
agepy.toml and runs it, the CLI only parses and prints. Each kind has defaults for all
its options (some are required), a check that refuses bad options before anything is
written, and a maker returning a :class:`Generated` (the plaintext, and for key pairs
the public half).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agepy.errors import UsageError
from agepy.generators.base import Generated
from agepy.generators.keypairs import make_ssh_ed25519, make_wireguard, validate_ssh_ed25519
from agepy.generators.matrix import (
    make_conduit_registration_token,
    make_heisenbridge_config,
    validate_heisenbridge_config,
)
from agepy.generators.passphrase import make_passphrase, validate_passphrase
from agepy.generators.sha_crypt import make_password_hash, validate_password_hash
from agepy.generators.tokens import make_env, make_token, validate_env, validate_token

__all__ = ["KINDS", "Generated", "Kind", "OptionValue", "generate", "get_kind", "resolve_options"]

OptionValue = str | int | bool


def _no_options(options: Mapping[str, Any]) -> None:
    return None


@dataclass(frozen=True)
class Kind:
    """One kind of secret. ``public``: what its public half is (None: it has none);
    ``name_option``: an option that defaults to the secret's name (an SSH key's comment)."""

    name: str
    summary: str
    make: Callable[[Mapping[str, Any]], Generated]
    validate: Callable[[Mapping[str, Any]], None] = _no_options
    defaults: Mapping[str, OptionValue] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    public: str | None = None
    name_option: str | None = None

    @property
    def option_names(self) -> tuple[str, ...]:
        return (*self.required, *self.defaults)


_TOKEN_DEFAULTS: dict[str, OptionValue] = {"format": "hex", "length": 32}

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("token", "random characters (hex, base64 or alnum)", make_token, validate_token,
             _TOKEN_DEFAULTS),
        Kind("passphrase", "words from the EFF long wordlist (12.9 bits each)", make_passphrase,
             validate_passphrase, {"words": 6, "separator": " "}),
        Kind("password-hash", "a SHA-512 crypt hash of a random password (shown once)",
             make_password_hash, validate_password_hash, {"length": 20, "rounds": 5000}),
        Kind("ssh-ed25519", "an OpenSSH Ed25519 private key", make_ssh_ed25519,
             validate_ssh_ed25519, {"comment": ""}, public="SSH public key",
             name_option="comment"),
        Kind("wireguard", "a WireGuard private key, as wg genkey writes it", make_wireguard,
             public="WireGuard public key"),
        Kind("env", "a NAME=token line for a systemd EnvironmentFile", make_env, validate_env,
             _TOKEN_DEFAULTS, required=("var",)),
        Kind("heisenbridge-config", "Heisenbridge's appservice registration",
             make_heisenbridge_config, validate_heisenbridge_config,
             {"url": "http://127.0.0.1:9898", "compat": True, "id": "heisenbridge",
              "sender": "heisenbridge", "prefix": "irc_"}),
        Kind("conduit-registration-token", "CONDUIT_REGISTRATION_TOKEN=… (shown once)",
             make_conduit_registration_token),
    )
}  # fmt: skip


def get_kind(name: str) -> Kind:
    """The kind called ``name``; a UsageError listing the kinds otherwise."""
    kind = KINDS.get(name)
    if kind is None:
        raise UsageError(f"unknown kind {name!r}", hint=f"kinds: {', '.join(KINDS)}")
    return kind


def resolve_options(
    kind_name: str, options: Mapping[str, Any], *, secret_name: str | None = None
) -> dict[str, OptionValue]:
    """Every option of the kind: ``options`` over the defaults, checked (UsageError)."""
    kind = get_kind(kind_name)
    unknown = sorted(set(options) - set(kind.option_names))
    if unknown:
        known = ", ".join(kind.option_names) or "none"
        raise UsageError(
            f"the kind {kind.name!r} has no option {unknown[0]!r}", hint=f"its options: {known}"
        )
    missing = [name for name in kind.required if options.get(name) in (None, "")]
    if missing:
        raise UsageError(
            f"the kind {kind.name!r} needs the option {missing[0]!r}",
            hint="e.g. var=API_TOKEN" if missing[0] == "var" else "give it a value",
        )
    resolved: dict[str, OptionValue] = {**kind.defaults, **options}
    if kind.name_option and not resolved.get(kind.name_option) and secret_name:
        resolved[kind.name_option] = _base_name(secret_name)
    kind.validate(resolved)
    return resolved


def _base_name(secret_name: str) -> str:
    base = secret_name.rsplit("/", 1)[-1]
    return base[: -len(".age")] if base.endswith(".age") and len(base) > 4 else base


def generate(kind_name: str, options: Mapping[str, Any] | None = None) -> Generated:
    """A new secret of ``kind_name``; options not given take the kind's defaults."""
    resolved = resolve_options(kind_name, options or {})
    return get_kind(kind_name).make(resolved)
