"""The Matrix secrets in the agenix store: create, rotate and read them.

Each function finds the entry in secrets.nix (creating it from the given hosts and keys
when it is missing), then encrypts through :class:`agepy.store.Store`, which encrypts to
exactly the entry's keys and writes atomically. Plaintext stays in memory. An existing
secret is never overwritten unless asked to rotate it; rotating decrypts it first and
keeps everything but the tokens.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agepy.age.identities import load_identities
from agepy.age.recipients import parse_recipient
from agepy.errors import AgepyError, IdentityError, Reason, StoreError
from agepy.hosts.inventory import Inventory
from agepy.matrix.conduit import (
    parse_registration_token_env,
    registration_token_env,
    replace_registration_token_env,
)
from agepy.matrix.heisenbridge import (
    RegistrationOptions,
    generate_registration,
    parse_registration,
    rotate_tokens,
)
from agepy.matrix.tokens import hex_token
from agepy.rules import add_secret, load_rules, locate_rules
from agepy.store import Store
from agepy.store.generate import record_generator
from agepy.store.generator_records import load_records
from agepy.store.transaction import Transaction

if TYPE_CHECKING:
    from agepy.rules import Rules, Secret

__all__ = [
    "CONDUIT_ENV_FILE",
    "HEISENBRIDGE_FILE",
    "Recipients",
    "WriteResult",
    "encrypt_conduit_registration_token",
    "encrypt_heisenbridge_config",
    "read_conduit_registration_token",
    "read_heisenbridge_config",
]

HEISENBRIDGE_FILE = "heisenbridge-config.age"
CONDUIT_ENV_FILE = "conduit-env.age"

PromptFn = Callable[[Path], str]


@dataclass(frozen=True)
class Recipients:
    """Who may read a secret whose entry secrets.nix does not have yet.

    ``hosts`` and ``to`` are names bound in secrets.nix or literal public keys. With
    ``include_self`` the public keys of the identities in use are added too, so that
    whoever creates the secret can read it back (show, --rotate, edit): the usual
    agenix ``users ++ [ host ]``.
    """

    to: Sequence[str] = ()
    hosts: Sequence[str] = ()
    include_self: bool = True

    @property
    def given(self) -> bool:
        return bool(self.to or self.hosts)


@dataclass
class WriteResult:
    """What an encrypt command did."""

    name: str  # the entry's name in secrets.nix
    file: Path
    created_entry: bool = False
    rotated: bool = False
    recipients: list[str] = field(default_factory=list)  # names (or fingerprints)
    token: str | None = None  # Conduit's registration token, when one was written


@dataclass(frozen=True)
class _Context:
    rules_path: Path | None
    identities: Sequence[Path] | None
    prompt: PromptFn | None
    evaluator: str

    def rules(self) -> Rules:

        return load_rules(self.rules_path, evaluator=self.evaluator)

    def store(self, rules_path: Path) -> Store:
        return Store(
            rules_path,
            evaluator=self.evaluator,
            identities=list(self.identities) if self.identities else None,
            prompt=self.prompt,
            hosts=Inventory.load,
        )


def _own_keys(identities: Sequence[Path] | None, prompt: PromptFn | None) -> list[str]:
    """Public keys of the identities in use (default: ~/.ssh/id_ed25519, id_rsa)."""

    try:
        loaded = load_identities(list(identities) if identities else None, prompt=prompt)
    except IdentityError:
        if identities:
            raise
        return []  # no default key: the entry gets only the hosts and keys asked for
    return [i.recipient.text for i in loaded if i.recipient is not None]


def _entry(
    ctx: _Context, name: str, recipients: Recipients, *, rotate: bool, what: str
) -> tuple[Secret, bool]:
    """The entry for ``name``, created when missing (the caller's transaction has
    secrets.nix in its snapshot); True if created."""
    rules = ctx.rules()
    secret = rules.find(name)
    if secret is not None:
        return secret, False
    if rotate:
        raise StoreError(
            f"no entry {name!r} in {rules.path.name}: nothing to rotate",
            hint="create it first, for the host that will read it",
            reason=Reason.MATRIX_NO_ENTRY,
            details={"what": what},
        )
    if not recipients.given:
        raise StoreError(
            f"no entry {name!r} in {rules.path.name} to take the recipients from",
            hint="say who may read it: the hosts (and keys) to encrypt it to",
            reason=Reason.MATRIX_NO_RECIPIENTS,
            details={"what": what},
        )
    if (rules.dir / name).exists():
        raise StoreError(
            f"{rules.dir / name} exists but has no entry in {rules.path.name}",
            hint=f'add "{name}".publicKeys = [ … ]; to {rules.path.name}, or move the file away',
        )
    wanted: list[str] = [*recipients.hosts, *recipients.to]
    if recipients.include_self:
        wanted += _own_keys(ctx.identities, ctx.prompt)
    items = _dedupe(rules, wanted)

    add_secret(rules.path, name, items, evaluator=ctx.evaluator)
    return ctx.rules().get(name), True


def _dedupe(rules: Rules, items: list[str]) -> list[str]:
    """``items`` without repeats; a key counts as its binding name (``matrix`` = its key)."""

    seen: set[str] = set()
    unique: list[str] = []
    for item in items:
        text = item.strip()
        identity = {text}
        if " " in text:
            with contextlib.suppress(AgepyError):
                identity = {parse_recipient(text).text, rules.name_of(text)}
        if not identity & seen:
            seen |= identity
            unique.append(item)
    return unique


def _write(
    ctx: _Context,
    name: str,
    recipients: Recipients,
    *,
    rotate: bool,
    what: str,
    make: Callable[[bytes | None], bytes],
    options: Mapping[str, Any] | None = None,
) -> WriteResult:
    """Shared flow: find/create the entry, refuse to overwrite, build, encrypt, write,
    and record the generator (``what`` is its kind) in agepy.toml, as `agepy generate`
    does, so that `agepy generate` can make the file again; holding the store's write
    lock throughout."""
    rules_path = locate_rules(ctx.rules_path)
    load_records(rules_path)  # a damaged agepy.toml fails before any write
    store = ctx.store(rules_path)
    # A failure takes back what this run added: the entry, and a new file.
    with Transaction(store, [rules_path]) as transaction:
        secret, created_entry = _entry(ctx, name, recipients, rotate=rotate, what=what)
        exists = secret.file.exists()
        if exists and not rotate:
            raise StoreError(
                f"{secret.name} already exists; not overwriting it",
                hint="rotating it makes new tokens (keeping the rest), or edit it",
                reason=Reason.MATRIX_SECRET_EXISTS,
                details={"what": what, "name": secret.name},
            )
        if rotate and not exists:
            raise StoreError(
                f"{secret.name} does not exist yet: nothing to rotate",
                hint="create it first (without rotating)",
                reason=Reason.MATRIX_NOTHING_TO_ROTATE,
                details={"what": what},
            )
        if not rotate:
            transaction.protect([secret.file])
        old = store.decrypt(secret.name) if rotate else None
        transaction.write_secrets({secret.name: make(old)})
        if not rotate:  # a rotation keeps the settings, whatever made the file
            record_generator(rules_path, secret.name, what, options)
        return WriteResult(
            name=secret.name,
            file=secret.file,
            created_entry=created_entry,
            rotated=rotate,
            recipients=[store.rules.name_of(key) for key in secret.public_keys],
        )


def encrypt_heisenbridge_config(
    rules_path: Path | None = None,
    *,
    name: str = HEISENBRIDGE_FILE,
    options: RegistrationOptions | None = None,
    recipients: Recipients | None = None,
    rotate: bool = False,
    identities: Sequence[Path] | None = None,
    prompt: PromptFn | None = None,
    evaluator: str = "auto",
) -> WriteResult:
    """Encrypt a new Heisenbridge registration to ``name``; or, with ``rotate``, give
    the existing one new as_token and hs_token and keep every other byte."""
    options = options or RegistrationOptions()
    options.validate()  # bad options fail before anything is touched
    ctx = _Context(rules_path, identities, prompt, evaluator)

    def make(old: bytes | None) -> bytes:
        if old is None:
            return generate_registration(options).encode()
        return rotate_tokens(old, source=name).encode()

    settings = {
        "url": options.url,
        "compat": options.compat,
        "id": options.id,
        "sender": options.sender_localpart,
        "prefix": options.prefix,
    }
    return _write(
        ctx,
        name,
        recipients or Recipients(),
        rotate=rotate,
        what="heisenbridge-config",
        make=make,
        options=settings,
    )


def read_heisenbridge_config(
    rules_path: Path | None = None,
    *,
    name: str = HEISENBRIDGE_FILE,
    identities: Sequence[Path] | None = None,
    prompt: PromptFn | None = None,
    evaluator: str = "auto",
) -> str:
    """The decrypted registration YAML, checked as Heisenbridge checks it."""
    source, data = _decrypt(_Context(rules_path, identities, prompt, evaluator), name)
    parse_registration(data, source=source)
    return data.decode("utf-8")


def _decrypt(ctx: _Context, name: str) -> tuple[str, bytes]:
    """The entry name of ``name`` and its plaintext."""
    rules = ctx.rules()
    secret = rules.get(name)
    data: bytes = ctx.store(rules.path).decrypt(secret.name)
    return secret.name, data


def encrypt_conduit_registration_token(
    rules_path: Path | None = None,
    *,
    name: str = CONDUIT_ENV_FILE,
    token: str | None = None,
    recipients: Recipients | None = None,
    rotate: bool = False,
    identities: Sequence[Path] | None = None,
    prompt: PromptFn | None = None,
    evaluator: str = "auto",
) -> WriteResult:
    """Encrypt ``CONDUIT_REGISTRATION_TOKEN=<token>`` (new, or ``token``) to ``name``;
    with ``rotate`` replace the token of the existing file, keeping its other lines."""
    token = token if token is not None else hex_token(16)
    registration_token_env(token)  # validates before anything is touched
    ctx = _Context(rules_path, identities, prompt, evaluator)

    def make(old: bytes | None) -> bytes:
        if old is None:
            return registration_token_env(token)
        return replace_registration_token_env(old, token, source=name)

    result = _write(
        ctx,
        name,
        recipients or Recipients(),
        rotate=rotate,
        what="conduit-registration-token",
        make=make,
    )
    result.token = token
    return result


def read_conduit_registration_token(
    rules_path: Path | None = None,
    *,
    name: str = CONDUIT_ENV_FILE,
    identities: Sequence[Path] | None = None,
    prompt: PromptFn | None = None,
    evaluator: str = "auto",
) -> str:
    """The registration token held in ``name``."""
    source, data = _decrypt(_Context(rules_path, identities, prompt, evaluator), name)
    return parse_registration_token_env(data, source=source)
