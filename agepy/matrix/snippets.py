"""NixOS configuration that uses agepy's Matrix secrets through the agenix module.

The output is a NixOS module, ``{ config, ... }: { … }``: save it beside the
configuration and import it, or paste the inner lines into an existing module. Secret
files are Nix paths relative to the module's folder (the flake root by default).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agepy.errors import Reason, UsageError
from agepy.matrix.conduit import validate_server_name

__all__ = [
    "SnippetOptions",
    "SnippetPart",
    "module_root",
    "nix_attr",
    "nix_path",
    "nix_string",
    "nixos_snippet",
    "secret_attr_name",
]

SnippetPart = Literal["heisenbridge", "conduit", "all"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_'-]*")
_PATH_CHARS = re.compile(r"[A-Za-z0-9._+-]+")
_NIX_KEYWORDS = {"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"}
_MXID = re.compile(r"@[a-z0-9._=/+-]+:[A-Za-z0-9.:\[\]-]+")


def nix_string(text: str) -> str:
    """A Nix double-quoted string literal for ``text``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


def nix_attr(name: str) -> str:
    """An attribute name, quoted only when Nix needs it."""
    if _IDENTIFIER.fullmatch(name) and name not in _NIX_KEYWORDS:
        return name
    return nix_string(name)


def nix_path(relative: str) -> str:
    """A Nix path expression for a file ``relative`` to the module's folder."""
    parts = [p for p in relative.replace(os.sep, "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise UsageError(
            f"the secret {relative!r} is not inside the configuration folder",
            hint="write the module into a folder that holds the secrets",
            reason=Reason.OUTSIDE_FLAKE_DIR,
        )
    if all(_PATH_CHARS.fullmatch(p) for p in parts):
        return "./" + "/".join(parts)
    # Characters a path literal cannot hold: append a string to the folder path.
    return "(./. + " + nix_string("/" + "/".join(parts)) + ")"


def secret_attr_name(file_name: str) -> str:
    """The ``age.secrets`` name agenix users give a file: its base name without .age."""
    base = Path(file_name).name
    return base[: -len(".age")] if base.endswith(".age") and len(base) > 4 else base


def module_root(rules_dir: Path) -> Path:
    """The folder the module lives in: the nearest one holding flake.nix at or above the
    rules folder, else the rules folder's parent (the usual ``secrets/`` layout)."""
    rules_dir = rules_dir.absolute()
    for folder in (rules_dir, *rules_dir.parents):
        if (folder / "flake.nix").is_file():
            return folder
    return rules_dir.parent


@dataclass(frozen=True)
class SnippetOptions:
    """Names and places that go into the module."""

    heisenbridge_file: str = "secrets/heisenbridge-config.age"  # relative to the module
    conduit_env_file: str = "secrets/conduit-env.age"
    server_name: str | None = None
    owner: str | None = None  # the bridge owner's MXID
    homeserver: str | None = None  # URL Heisenbridge talks to; default: the local Conduit
    conduit_port: int = 6167
    conduit_address: str = "127.0.0.1"


def _age_secret(name: str, file: str, owner: str | None) -> list[str]:
    lines = [f"  age.secrets.{nix_string(name)} = {{", f"    file = {nix_path(file)};"]
    if owner:
        lines += [f"    owner = {nix_string(owner)};", f"    group = {nix_string(owner)};"]
    lines.append("  };")
    return lines


def _heisenbridge(options: SnippetOptions) -> list[str]:
    name = secret_attr_name(options.heisenbridge_file)
    homeserver = options.homeserver or (f"http://{options.conduit_address}:{options.conduit_port}")
    lines = [
        "  # Heisenbridge reads its appservice registration (tokens) from the agenix secret.",
        *_age_secret(name, options.heisenbridge_file, "heisenbridge"),
        "",
        "  services.heisenbridge = {",
        "    enable = true;",
        f'    extraArgs = [ "--config" config.age.secrets.{nix_attr(name)}.path ];',
        f"    homeserver = {nix_string(homeserver)};",
    ]
    if options.owner:
        lines.append(f"    owner = {nix_string(options.owner)};")
    else:
        lines.append('    # owner = "@you:example.com";  # else the first local user to talk')
    lines.append("  };")
    return lines


def _conduit(options: SnippetOptions) -> list[str]:
    if not options.server_name:
        raise UsageError(
            "the Conduit snippet needs the server name",
            hint="give the server name, e.g. example.com (the domain of your user ids)",
            reason=Reason.SERVER_NAME_NEEDED,
        )
    name = secret_attr_name(options.conduit_env_file)
    return [
        "  # CONDUIT_REGISTRATION_TOKEN comes from the agenix secret, never the Nix store.",
        *_age_secret(name, options.conduit_env_file, None),
        "",
        "  services.matrix-conduit = {",
        "    enable = true;",
        "    settings.global = {",
        f"      server_name = {nix_string(options.server_name)};",
        f"      address = {nix_string(options.conduit_address)};",
        f"      port = {options.conduit_port};",
        '      database_backend = "rocksdb";',
        "      # Set to false once the first (admin) user has registered.",
        "      allow_registration = true;",
        "    };",
        "  };",
        "",
        "  systemd.services.conduit.serviceConfig.EnvironmentFile =",
        f"    config.age.secrets.{nix_attr(name)}.path;",
    ]


def nixos_snippet(part: SnippetPart = "all", options: SnippetOptions | None = None) -> str:
    """The NixOS module text for ``part``: heisenbridge, conduit or all."""
    options = options or SnippetOptions()
    if part not in ("heisenbridge", "conduit", "all"):
        raise UsageError(f"unknown snippet {part!r}", hint="choose heisenbridge, conduit or all")
    if options.server_name:
        validate_server_name(options.server_name)
    if options.owner and not _MXID.fullmatch(options.owner):
        raise UsageError(
            f"owner {options.owner!r} is not a Matrix user id",
            hint="e.g. @you:example.com",
            reason=Reason.BAD_OWNER,
        )
    if options.homeserver and not re.fullmatch(r"https?://[^\s\"]+", options.homeserver):
        raise UsageError(
            f"homeserver {options.homeserver!r} is not an http(s) URL",
            hint="e.g. http://127.0.0.1:6167",
            reason=Reason.BAD_HOMESERVER,
        )
    if not 0 < options.conduit_port < 65536:
        raise UsageError(f"port {options.conduit_port} is out of range", hint="use 1-65535")
    blocks: list[list[str]] = []
    if part in ("conduit", "all"):
        blocks.append(_conduit(options))
    if part in ("heisenbridge", "all"):
        blocks.append(_heisenbridge(options))
    body = "\n\n".join("\n".join(block) for block in blocks)
    header = (
        "# NixOS module generated by agepy nixos-snippet: save it (e.g. matrix.nix)\n"
        "# beside your configuration and add it to `imports`, or paste the lines inside.\n"
    )
    return f"{header}{{ config, ... }}:\n{{\n{body}\n}}\n"
