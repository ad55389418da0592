"""NixOS (and home-manager) configuration for any secret: its ``age.secrets.<n>`` block
and, for kinds that have one, the line that hands the decrypted file to its consumer.

Pure text: the caller says where the file is relative to the module's folder. The
NixOS form uses agenix's NixOS module (owner, group, mode, path); the home-manager form
uses ``agenix.homeManagerModules.default``, whose secrets have ``file``, ``path``,
``mode`` and ``symlink`` but no owner or group (they belong to the user).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agepy.errors import UsageError
from agepy.matrix.snippets import nix_attr, nix_path, nix_string

__all__ = ["SecretSnippet", "secret_snippet"]

_UNIX_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}\$?")
_MODE = re.compile(r"0?[0-7]{3}")
_INTERFACE = re.compile(r"[A-Za-z0-9_=+.-]{1,15}")
_SERVICE = re.compile(r"[A-Za-z0-9:_.\\@-]{1,200}")
_ABSOLUTE = re.compile(r"/[^\s\"$\\]*")


@dataclass(frozen=True)
class SecretSnippet:
    """What goes into the snippet of one secret."""

    attr: str  # the age.secrets name
    file: str  # the .age file, relative to the module's folder
    kind: str | None = None  # the recorded generator's kind, if any
    owner: str | None = None
    group: str | None = None
    mode: str | None = None
    path: str | None = None  # where the decrypted file goes (agenix's default otherwise)
    user: str | None = None  # password-hash: users.users.<user>
    interface: str = "wg0"  # wireguard: networking.wireguard.interfaces.<interface>
    service: str | None = None  # env: the systemd service given the EnvironmentFile
    public: str | None = None  # the recorded public half, shown in a comment
    home_manager: bool = False

    def validate(self) -> None:
        checks = (
            ("owner", self.owner, _UNIX_NAME, "a user name, e.g. root"),
            ("group", self.group, _UNIX_NAME, "a group name, e.g. wheel"),
            ("user", self.user, _UNIX_NAME, "a user name, e.g. alice"),
            ("mode", self.mode, _MODE, "octal permissions, e.g. 0400"),
            ("interface", self.interface, _INTERFACE, "an interface name, e.g. wg0"),
            ("service", self.service, _SERVICE, "a systemd unit name, e.g. myapp"),
            ("path", self.path, _ABSOLUTE, "an absolute path, e.g. /run/myapp/token"),
        )
        for what, value, pattern, example in checks:
            if value is not None and not pattern.fullmatch(value):
                raise UsageError(f"{what} {value!r} is not usable here", hint=f"give {example}")
        if self.home_manager and (self.owner or self.group):
            raise UsageError(
                "home-manager secrets have no owner or group (they belong to the user)",
                hint="leave out the owner and group, or print the NixOS form",
            )


def _block(snippet: SecretSnippet) -> list[str]:
    lines = [
        f"  age.secrets.{nix_attr(snippet.attr)} = {{",
        f"    file = {nix_path(snippet.file)};",
    ]
    for option in ("path", "owner", "group", "mode"):
        value = getattr(snippet, option)
        if value is not None:
            lines.append(f"    {option} = {nix_string(value)};")
    lines.append("  };")
    return lines


def _consumer(snippet: SecretSnippet) -> list[str]:
    """The line that uses the decrypted file (commented out when a name is missing)."""
    path = f"config.age.secrets.{nix_attr(snippet.attr)}.path"
    kind = snippet.kind
    if snippet.home_manager:
        if kind in ("env", "conduit-registration-token"):
            service = nix_attr(snippet.service) if snippet.service else "SERVICE"
            line = f"systemd.user.services.{service}.Service.EnvironmentFile = {path};"
            return [f"  {'' if snippet.service else '# '}{line}"]
        return [f"  # The decrypted file: {path}"]
    if kind == "password-hash":
        user = nix_attr(snippet.user) if snippet.user else "USER"
        line = f"users.users.{user}.hashedPasswordFile = {path};"
        return [f"  {'' if snippet.user else '# '}{line}"]
    if kind == "wireguard":
        lines = [
            f"  networking.wireguard.interfaces.{nix_attr(snippet.interface)}.privateKeyFile ="
        ]
        lines.append(f"    {path};")
        if snippet.public:
            lines.insert(
                0, f"  # This host's WireGuard public key (for its peers): {snippet.public}"
            )
        return lines
    if kind in ("env", "conduit-registration-token"):
        service = nix_attr(snippet.service) if snippet.service else "SERVICE"
        line = f"systemd.services.{service}.serviceConfig.EnvironmentFile = {path};"
        return [f"  {'' if snippet.service else '# '}{line}"]
    if kind == "ssh-ed25519" and snippet.public:
        return [f"  # Public half: {snippet.public}", f"  # The private key: {path}"]
    return [f"  # The decrypted file: {path}"]


def secret_snippet(snippet: SecretSnippet) -> str:
    """A module (``{ config, ... }: { … }``) wiring one secret in."""
    snippet.validate()
    if snippet.home_manager:
        header = (
            "# home-manager module generated by agepy nixos-snippet --home-manager: import it\n"
            "# in your home configuration, next to agenix.homeManagerModules.default.\n"
        )
    else:
        header = (
            "# NixOS module generated by agepy nixos-snippet: save it beside your\n"
            "# configuration and add it to `imports`, or paste the lines inside.\n"
        )
    body = [*_block(snippet), "", *_consumer(snippet)]
    return header + "{ config, ... }:\n{\n" + "\n".join(body) + "\n}\n"
