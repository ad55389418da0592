"""Conduit: the admin-room command that registers an appservice, conduit.toml, token env.

Conduit (famedly/conduit, src/service/admin/mod.rs) reads an admin-room message as:
non-blank lines; the first is the command (``@conduit:<server>: register-appservice``);
the rest must be a code block whose first and last lines are exactly three backticks
(trimmed); the lines between are joined with newlines and parsed as the YAML
registration. A ``yaml`` info string on the opener is rejected by Conduit.
"""

from __future__ import annotations

import ipaddress
import re

import tomli_w

from agepy.errors import Reason, StoreError, UsageError

__all__ = [
    "ENV_VAR",
    "conduit_config_toml",
    "parse_registration_token_env",
    "register_appservice_message",
    "registration_token_env",
    "replace_registration_token_env",
    "validate_server_name",
]

ENV_VAR = "CONDUIT_REGISTRATION_TOKEN"
FENCE = "```"
_HOSTNAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
# Safe unquoted in a systemd EnvironmentFile and in a shell.
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{16,256}")


def validate_server_name(server_name: str) -> str:
    """``server_name`` if it is a Matrix server name (host[:port], no scheme), else raise."""
    host, _, port = server_name.rpartition(":") if ":" in server_name else (server_name, "", "")
    ok = bool(_HOSTNAME.fullmatch(host)) and (
        not port or (port.isdigit() and 0 < int(port) < 65536)
    )
    if not ok:
        raise UsageError(
            f"server name {server_name!r} is not a Matrix server name",
            hint="the domain of your user ids, without https:// — e.g. example.com",
            reason=Reason.BAD_SERVER_NAME,
        )
    return server_name


def register_appservice_message(server_name: str, registration_yaml: str) -> str:
    """The admin-room message that makes Conduit register ``registration_yaml``."""
    validate_server_name(server_name)
    body = registration_yaml if registration_yaml.endswith("\n") else registration_yaml + "\n"
    if any(line.strip() == FENCE for line in body.splitlines()):
        raise UsageError(
            "the registration contains a line of three backticks",
            hint="Conduit would end the code block there; remove that line",
        )
    if not body.strip():
        raise UsageError("the registration is empty", hint="check the secret's content")
    return f"@conduit:{server_name}: register-appservice\n{FENCE}\n{body}{FENCE}\n"


def registration_token_env(token: str) -> bytes:
    """A systemd EnvironmentFile line setting Conduit's registration token."""
    if not _TOKEN.fullmatch(token):
        raise UsageError(
            "the registration token must be 16 to 256 characters of A-Z a-z 0-9 . _ ~ + / = -",
            hint="leave the token out to have one generated",
            reason=Reason.BAD_TOKEN,
        )
    return f"{ENV_VAR}={token}\n".encode()


def parse_registration_token_env(data: bytes, *, source: str = "secret") -> str:
    """The token from a file written by :func:`registration_token_env`."""
    for line in data.decode("utf-8", errors="replace").splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name.strip() == ENV_VAR:
            return value.strip().strip("'\"")
    raise StoreError(
        f"{source} has no {ENV_VAR}= line",
        hint="re-create it with a new registration token",
        reason=Reason.NO_TOKEN_LINE,
    )


def replace_registration_token_env(data: bytes, token: str, *, source: str = "secret") -> bytes:
    """``data`` with its token line set to ``token``; every other line kept as is."""
    new_line = registration_token_env(token)
    parse_registration_token_env(data, source=source)  # there is a line to replace
    lines = data.decode("utf-8", errors="replace").splitlines(keepends=True)
    out: list[str] = []
    for line in lines:
        name, sep, _ = line.strip().partition("=")
        out.append(new_line.decode() if sep and name.strip() == ENV_VAR else line)
    return "".join(out).encode()


def conduit_config_toml(
    server_name: str,
    *,
    port: int = 6167,
    address: str = "127.0.0.1",
    database_path: str = "/var/lib/matrix-conduit/",
    allow_registration: bool = True,
) -> str:
    """A conduit.toml ``[global]`` section; the registration token stays out of it."""
    validate_server_name(server_name)
    if not 0 < port < 65536:
        raise UsageError(
            f"port {port} is out of range", hint="use 1-65535, e.g. 6167", reason=Reason.BAD_PORT
        )
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise UsageError(
            f"address {address!r} is not an IP address",
            hint="e.g. 127.0.0.1 behind a reverse proxy",
            reason=Reason.BAD_ADDRESS,
        ) from None
    settings = {
        "global": {
            "server_name": server_name,
            "database_backend": "rocksdb",
            "database_path": database_path,
            "port": port,
            "address": address,
            "max_request_size": 20_000_000,
            "allow_registration": allow_registration,
            "allow_federation": True,
            "allow_check_for_updates": True,
            "trusted_servers": ["matrix.org"],
        }
    }
    header = (
        "# Conduit configuration (generated by agepy generate conduit-config).\n"
        "# Point Conduit at it with CONDUIT_CONFIG=/path/to/conduit.toml.\n"
        "#\n"
        "# The registration token is deliberately NOT in this file: give it to Conduit\n"
        f"# in the environment, e.g. a root-only systemd EnvironmentFile holding\n"
        f"#   {ENV_VAR}=<token>\n"
        "# (agepy encrypt conduit-registration-token makes one as an agenix secret).\n"
        "# Environment variables CONDUIT_* override the settings below.\n"
        "# After the first (admin) user registered, set allow_registration = false.\n"
    )
    return header + tomli_w.dumps(settings)
