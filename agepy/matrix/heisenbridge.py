"""Heisenbridge's appservice registration: generate, serialize, check, rotate tokens.

The registration is built exactly as ``heisenbridge --generate[-compat]`` builds it
(heisenbridge/__main__.py: same keys, same order, tokens of 64 ``[A-Za-z0-9]``
characters) and serialized with the same layout (mautrix's ruamel settings: mappings
indented by 4, sequences not indented, width 200), so the file is interchangeable
with one Heisenbridge wrote, except that agepy's tokens come from :mod:`secrets`.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from agepy.errors import Reason, StoreError, UsageError
from agepy.matrix.tokens import ALNUM, APPSERVICE_TOKEN_LENGTH, alnum_token

__all__ = [
    "TOKEN_KEYS",
    "RegistrationOptions",
    "build_registration",
    "check_registration",
    "dump_registration",
    "generate_registration",
    "is_appservice_token",
    "parse_registration",
    "rotate_tokens",
]

TOKEN_KEYS = ("as_token", "hs_token")

_ID = re.compile(r"[A-Za-z0-9._~-]+")
_LOCALPART = re.compile(r"[a-z0-9._=/-]+")
# A puppet prefix Heisenbridge accepts: its check is ^@(.+)([_/])\.[*+]:? on "@<prefix>.*";
# no "." inside, because the prefix is used both as a regex and as a literal.
_PREFIX = re.compile(r"[a-z0-9=_/-]+[_/]")
# Heisenbridge's own start-up check (BridgeAppService.run).
_PUPPET_REGEX = re.compile(r"^@(.+)([\_/])\.[\*\+]:?")


@dataclass(frozen=True)
class RegistrationOptions:
    """What ``heisenbridge --generate`` lets one choose, plus what it hard-codes."""

    url: str = "http://127.0.0.1:9898"
    compat: bool = True  # --generate-compat (Conduit, Dendrite); False: --generate (Synapse)
    id: str = "heisenbridge"
    sender_localpart: str = "heisenbridge"
    prefix: str = "irc_"

    def validate(self) -> None:
        """Raise UsageError naming the first option Heisenbridge or a homeserver would reject."""
        parsed = urllib.parse.urlsplit(self.url)
        if (
            parsed.scheme not in ("http", "https")
            or not parsed.hostname
            or any(c.isspace() for c in self.url)
        ):
            raise UsageError(
                f"url {self.url!r} is not an http(s) URL",
                hint="the address the homeserver reaches the bridge at, e.g. http://127.0.0.1:9898",
                reason=Reason.BAD_BRIDGE_URL,
            )
        try:
            parsed.port  # noqa: B018 -- raises ValueError on a bad port
        except ValueError:
            raise UsageError(
                f"url {self.url!r} has a bad port",
                hint="e.g. http://127.0.0.1:9898",
                reason=Reason.BAD_BRIDGE_PORT,
            ) from None
        if not _ID.fullmatch(self.id):
            raise UsageError(
                f"id {self.id!r} is not a valid appservice id",
                hint="use letters, digits, '.', '_', '~' or '-', e.g. heisenbridge",
                reason=Reason.BAD_APPSERVICE_ID,
            )
        if not _LOCALPART.fullmatch(self.sender_localpart):
            raise UsageError(
                f"sender {self.sender_localpart!r} is not a Matrix user localpart",
                hint="use lowercase letters, digits and ._=/-, e.g. heisenbridge",
                reason=Reason.BAD_SENDER,
            )
        if not _PREFIX.fullmatch(self.prefix):
            raise UsageError(
                f"prefix {self.prefix!r} is not a puppet prefix Heisenbridge accepts",
                hint="lowercase letters, digits, =, - ending in '_' or '/', e.g. irc_",
                reason=Reason.BAD_PREFIX,
            )
        if self.prefix.rstrip("_/") == self.sender_localpart:
            raise UsageError(
                f"prefix {self.prefix!r} would overlap the bridge user's own name",
                hint="pick a different prefix, e.g. irc_",
                reason=Reason.PREFIX_OVERLAPS_SENDER,
            )


def build_registration(
    options: RegistrationOptions | None = None,
    *,
    as_token: str | None = None,
    hs_token: str | None = None,
) -> dict[str, Any]:
    """The registration mapping, keys in Heisenbridge's order; fresh tokens unless given."""
    options = options or RegistrationOptions()
    options.validate()
    users: list[dict[str, Any]] = [{"regex": f"@{options.prefix}.*", "exclusive": True}]
    if options.compat:
        # Conduit and Dendrite need the bridge user itself inside an exclusive namespace.
        users.append({"regex": f"@{options.sender_localpart}:.*", "exclusive": True})
    return {
        "id": options.id,
        "url": options.url,
        "as_token": as_token if as_token is not None else alnum_token(),
        "hs_token": hs_token if hs_token is not None else alnum_token(),
        "rate_limited": False,
        "sender_localpart": options.sender_localpart,
        "namespaces": {"users": users, "aliases": [], "rooms": []},
    }


class _HeisenbridgeDumper(yaml.SafeDumper):
    """PyYAML laid out like mautrix's ruamel YAML(): indent(4), sequences unindented."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # A mapping that is a sequence item continues 2 columns in, after "- ", where
        # PyYAML's indent=4 would put it 4 columns in ("-   regex: …").
        if not flow and not indentless and self.sequence_context and self.indent is not None:
            self.indents.append(self.indent)
            self.indent += 2
            return
        super().increase_indent(flow, indentless)


def dump_registration(registration: Mapping[str, Any]) -> str:
    """YAML text, byte for byte as Heisenbridge writes the same mapping."""
    text = yaml.dump(
        dict(registration),
        Dumper=_HeisenbridgeDumper,
        sort_keys=False,
        indent=4,
        width=200,
        default_flow_style=False,
        allow_unicode=True,
    )
    assert isinstance(text, str)
    return text


def generate_registration(options: RegistrationOptions | None = None) -> str:
    """A new registration as YAML text, like ``heisenbridge --generate-compat -c -``."""
    return dump_registration(build_registration(options))


def _invalid(message: str, source: str) -> StoreError:
    return StoreError(
        f"{source}: {message}",
        hint="fix the secret's content, or move it away and make it again",
        reason=Reason.BAD_BRIDGE_CONFIG,
    )


def check_registration(registration: Any, *, source: str = "registration") -> str:
    """Heisenbridge's own start-up checks (BridgeAppService.run); the puppet prefix.

    Also requires what Heisenbridge reads unconditionally (id, as_token, hs_token).
    """
    if not isinstance(registration, dict):
        raise _invalid("not a YAML mapping", source)
    for key in ("id", "as_token", "hs_token", "sender_localpart"):
        if not isinstance(registration.get(key), str) or not registration[key]:
            raise _invalid(f"missing {key}", source)
    namespaces = registration.get("namespaces")
    if not isinstance(namespaces, dict) or not isinstance(namespaces.get("users"), list):
        raise _invalid("user namespaces missing", source)
    users = namespaces["users"]
    if not all(isinstance(u, dict) and isinstance(u.get("regex"), str) for u in users):
        raise _invalid("a user namespace without a regex", source)
    own = f"@{registration['sender_localpart']}"
    puppets = [u for u in users if u["regex"].split(":")[0] != own]
    if len(puppets) != 1:
        raise _invalid("a single user namespace is required for puppets", source)
    if not puppets[0].get("exclusive"):
        raise _invalid("the puppet user namespace must be exclusive", source)
    match = _PUPPET_REGEX.match(puppets[0]["regex"])
    if not match:
        raise _invalid("the puppet namespace regex must be a prefix like '@irc_.*'", source)
    return match.group(1) + match.group(2)


def parse_registration(text: str | bytes, *, source: str = "registration") -> dict[str, Any]:
    """Load registration YAML and check it as Heisenbridge would at start-up."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid("not UTF-8 text", source) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise _invalid(f"not valid YAML{where}", source) from None
    except (ValueError, TypeError, OverflowError, RecursionError):
        # PyYAML's constructors raise these for e.g. "2001-13-01" or deep nesting.
        raise _invalid("YAML with a value that cannot be read", source) from None
    check_registration(data, source=source)
    assert isinstance(data, dict)
    return data


def _replace_token_line(text: str, key: str, old: str, new: str) -> str | None:
    """``text`` with the one top-level ``key: old`` line's value replaced, else None."""
    pattern = re.compile(
        rf"^({re.escape(key)}[ \t]*:[ \t]*)(['\"]?){re.escape(old)}\2([ \t]*(?:#.*)?)$",
        re.MULTILINE,
    )
    matches = list(pattern.finditer(text))
    if len(matches) != 1:
        return None
    m = matches[0]
    return (
        text[: m.start()]
        + m.group(1)
        + m.group(2)
        + new
        + m.group(2)
        + m.group(3)
        + text[m.end() :]
    )


def rotate_tokens(text: str | bytes, *, source: str = "registration") -> str:
    """The registration with new as_token and hs_token; every other byte kept.

    The values are replaced in place, so comments, order and layout survive; a layout
    where that is not possible (e.g. flow style) is re-serialized, keeping every key.
    """
    registration = parse_registration(text, source=source)
    original = text.decode("utf-8") if isinstance(text, bytes) else text
    fresh = {key: alnum_token() for key in TOKEN_KEYS}
    rotated: str | None = original
    for key in TOKEN_KEYS:
        if rotated is None:
            break
        rotated = _replace_token_line(rotated, key, registration[key], fresh[key])
    expected = dict(registration, **fresh)
    if rotated is None or yaml.safe_load(rotated) != expected:
        rotated = dump_registration(expected)
    return rotated


def is_appservice_token(token: str) -> bool:
    """True for a token of Heisenbridge's shape: 64 characters of ``[A-Za-z0-9]``."""
    return len(token) == APPSERVICE_TOKEN_LENGTH and all(c in ALNUM for c in token)
