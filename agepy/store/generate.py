"""Generated secrets: make one, record how (agepy.toml), recreate the missing, rotate.

A generator runs only when its file is missing or a rotation is asked for, so running
``generate`` again changes nothing. Nothing needs a private key: a new value is only
encrypted, to the entry's keys. Bad options fail before anything is written; a failure
after the secrets.nix entry was added takes the entry back out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agepy.errors import Reason, StoreError, UsageError
from agepy.generators import OptionValue, get_kind, resolve_options
from agepy.generators.nixos import SecretSnippet, secret_snippet
from agepy.matrix.snippets import module_root, secret_attr_name
from agepy.store.generator_records import GeneratorRecord, load_records, save_records
from agepy.store.new_entry import entry_exists, entry_name
from agepy.store.status import display_path
from agepy.store.transaction import Transaction

if TYPE_CHECKING:
    from agepy.rules import Secret
    from agepy.store.store import Store

__all__ = [
    "GenerateResult",
    "generate_missing",
    "generate_secret",
    "nixos_snippet_for",
    "public_half",
    "record_generator",
    "regenerate",
    "rotate_secrets",
]

Action = Literal["created", "rotated", "unchanged"]


@dataclass
class GenerateResult:
    """What happened to one secret. ``shown`` (a clear password, a first token) is to be
    shown once and is stored nowhere; ``public_before`` is the public half it replaced."""

    name: str
    kind: str
    file: Path
    action: Action
    public: str | None = None
    public_before: str | None = None
    shown: str | None = field(default=None, repr=False)
    created_entry: bool = False
    recipients: list[str] = field(default_factory=list)

    @property
    def public_changed(self) -> bool:
        """True when a rotation gave the secret a new public half (peers must learn it)."""
        return self.action == "rotated" and self.public != self.public_before


def _result(store: Store, secret: Secret, kind: str, action: Action, **kw: Any) -> GenerateResult:
    recipients = [store.rules.name_of(k) for k in secret.public_keys]
    return GenerateResult(secret.name, kind, secret.file, action, recipients=recipients, **kw)


def _options_of(record: GeneratorRecord, name: str) -> dict[str, OptionValue]:
    """A record's options, checked, with the kind's defaults for the ones it leaves out."""
    return resolve_options(record.kind, record.options, secret_name=name)


def generate_secret(
    store: Store,
    name: str | Path,
    kind: str,
    options: Mapping[str, Any] | None = None,
    *,
    recipients: Sequence[str] = (),
    hosts: Sequence[str] = (),
    rotate: bool = False,
) -> GenerateResult:
    """Make the secret ``name`` of ``kind``, add its entry if missing (from ``recipients``
    and ``hosts``), encrypt it and record the generator. An existing file is replaced
    only with ``rotate``; the same generator on an existing file changes nothing."""
    with Transaction(store, reload=True) as transaction:
        existing = store.rules.find(name)
        entry = existing.name if existing is not None else entry_name(store, name)
        resolved = resolve_options(kind, options or {}, secret_name=entry)
        records = load_records(store.rules_path)
        record = records.get(entry)
        if record is not None and record.kind != kind:
            raise UsageError(
                f"{entry} is already recorded as a {record.kind!r} secret, not {kind!r}",
                hint="pick another name, or remove its table from agepy.toml first",
            )
        if existing is not None and (recipients or hosts):
            raise entry_exists(store, entry)
        if existing is not None and existing.file.exists() and not rotate:
            if record is not None and _options_of(record, entry) == resolved:
                return _result(store, existing, kind, "unchanged", public=record.public)
            why = "was made with other options" if record is not None else "was not generated"
            raise StoreError(
                f"{display_path(existing.file)} exists and {why}; not overwriting it",
                hint="rotate it to replace its value (rotate=True)",
                reason=Reason.GENERATED_EXISTS,
            )
        # A failure takes back what this run added (the entry, a new file), nothing else:
        # a rotated file keeps its new value.
        secret = (
            existing if existing is not None else transaction.add_entry(name, recipients, hosts)
        )
        created = not secret.file.exists()
        if created:
            transaction.protect([secret.file])
        generated = get_kind(kind).make(resolved)
        transaction.write_secret(secret, generated.value)
        records[secret.name] = GeneratorRecord(kind, resolved, generated.public)
        save_records(store.rules_path, records)
        return _result(
            store,
            secret,
            kind,
            "created" if created else "rotated",
            public=generated.public,
            public_before=record.public if record is not None else None,
            shown=generated.shown,
            created_entry=existing is None,
        )


def _recorded(store: Store, names: Sequence[str] | None) -> list[tuple[Secret, GeneratorRecord]]:
    """The recorded secrets named (all when None), each with its entry; errors first."""
    records = load_records(store.rules_path)
    wanted: list[str] = []
    for name in names if names is not None else sorted(records):
        found = store.rules.find(name)
        key = found.name if found is not None else entry_name(store, name)
        if key not in records:
            raise StoreError(
                f"{name} has no generator recorded in agepy.toml",
                hint="create it once with generate_secret(store, NAME, KIND)",
                reason=Reason.NOT_GENERATED,
            )
        wanted.append(key)
    pairs = []
    for key in wanted:
        secret = store.rules.find(key)
        if secret is None:
            raise StoreError(
                f"{key} is recorded in agepy.toml but has no entry in {store.rules_path.name}",
                hint="add its entry (generate_secret with hosts), "
                "or remove its table from agepy.toml",
                reason=Reason.GENERATED_WITHOUT_ENTRY,
            )
        record = records[key]
        # A damaged record fails here, before any write; hand-written ones get the defaults.
        options = _options_of(record, key)
        pairs.append((secret, GeneratorRecord(record.kind, options, record.public)))
    return pairs


def _regenerate_all(
    store: Store, pairs: list[tuple[Secret, GeneratorRecord]]
) -> list[GenerateResult]:
    # Nothing snapshotted: a failure keeps the files already rewritten, and their records.
    with Transaction(store, reload=True) as transaction:
        records = load_records(store.rules_path)
        results = []
        try:
            for secret, record in pairs:
                created = not secret.file.exists()
                generated = get_kind(record.kind).make(record.options)
                transaction.write_secret(secret, generated.value)
                records[secret.name] = GeneratorRecord(
                    record.kind, record.options, generated.public
                )
                results.append(
                    _result(
                        store,
                        secret,
                        record.kind,
                        "created" if created else "rotated",
                        public=generated.public,
                        public_before=record.public,
                        shown=generated.shown,
                    )
                )
        finally:
            # Also after a failure: the files already rewritten keep their public halves.
            if results:
                save_records(store.rules_path, records)
        return results


def generate_missing(store: Store, names: Sequence[str] | None = None) -> list[GenerateResult]:
    """Create every recorded secret (or those ``names``) whose file is missing; the others
    are reported unchanged and not touched."""
    pairs = _recorded(store, names)
    missing = [(s, r) for s, r in pairs if not s.file.exists()]
    made = {r.name: r for r in _regenerate_all(store, missing)} if missing else {}
    return [
        made.get(s.name) or _result(store, s, r.kind, "unchanged", public=r.public)
        for s, r in pairs
    ]


def rotate_secrets(store: Store, names: Sequence[str]) -> list[GenerateResult]:
    """New values for exactly the recorded secrets ``names`` (missing files are created)."""
    if not names:
        raise UsageError(
            "name the secrets to rotate", hint="e.g. wg.age", reason=Reason.NOTHING_TO_ROTATE
        )
    return _regenerate_all(store, _recorded(store, names))


def regenerate(store: Store, name: str) -> GenerateResult:
    """A new value for one recorded secret, encrypted to its entry's keys; the result
    says whether its public half changed (``public_changed``, ``public_before``)."""
    return rotate_secrets(store, [name])[0]


def public_half(store: Store, name: str | Path) -> str:
    """The recorded public half of ``name`` (SSH line, WireGuard key); no identity needed."""
    found = store.rules.find(name)
    key = found.name if found is not None else entry_name(store, name)
    record = load_records(store.rules_path).get(key)
    if record is None or record.public is None:
        what = "has no generator recorded" if record is None else f"is a {record.kind} secret"
        raise StoreError(
            f"{key} {what}: there is no public half to show",
            hint="only generated ssh-ed25519 and wireguard secrets have one",
            reason=Reason.NO_PUBLIC_HALF,
        )
    return record.public


def nixos_snippet_for(
    store: Store,
    name: str | Path,
    *,
    module_dir: Path | None = None,
    kind: str | None = None,
    **fields: Any,
) -> str:
    """The NixOS (or, with ``home_manager=True``, home-manager) module text for the
    secret ``name``: its age.secrets block and, for its recorded ``kind``, the line
    that uses it. ``fields``: owner, group, mode, path, user, interface, service."""
    secret = store.secret(name)
    record = load_records(store.rules_path).get(secret.name)
    root = (module_dir or module_root(store.rules_path.parent)).absolute()
    snippet = SecretSnippet(
        attr=secret_attr_name(secret.name),
        file=os.path.relpath(secret.file, root),
        kind=kind or (record.kind if record is not None else None),
        public=record.public if record is not None else None,
        **fields,
    )
    return secret_snippet(snippet)


def record_generator(
    rules_path: Path, name: str, kind: str, options: Mapping[str, Any] | None = None
) -> bool:
    """Record that ``name`` is made by ``kind`` (for a secret made another way, e.g. by
    `agepy encrypt heisenbridge-config`); an existing record is kept. True if written."""
    records = load_records(rules_path)
    if name in records:
        return False
    records[name] = GeneratorRecord(kind, resolve_options(kind, options or {}, secret_name=name))
    return save_records(rules_path, records)
