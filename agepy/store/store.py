"""The secret store: the .age files a secrets.nix describes, read and written by name."""

from __future__ import annotations

import builtins
import contextlib
import io
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from agepy._files import atomic_write, file_mode, open_regular
from agepy.age import decrypt_to, encrypt_bytes
from agepy.age.identities import load_identities
from agepy.errors import AgepyError, Reason, StoreError
from agepy.rules import load_rules, locate_rules
from agepy.store.check import check
from agepy.store.edit_session import edit_secret
from agepy.store.generate import GenerateResult, generate_missing, generate_secret, rotate_secrets
from agepy.store.listing import ListRow, list_rows
from agepy.store.new_entry import NothingWrittenError, edit_new, entry_exists
from agepy.store.rekey import RekeyReport, rekey
from agepy.store.status import Status, display_path, file_status
from agepy.store.transaction import Transaction

if TYPE_CHECKING:
    from agepy.age.identities import Identity
    from agepy.rules import Rules, Secret
    from agepy.store.check import Finding
    from agepy.store.rekey import ProgressFn
    from agepy.store.writer import BatchWriter

__all__ = ["HostBook", "Store"]


PromptFn = Callable[[Path], str]


class HostBook(Protocol):
    """Names for keys that secrets.nix does not bind: the hosts inventory beside it
    (``agepy.hosts.Inventory`` is one; the store does not import the hosts layer)."""

    def names(self) -> dict[str, str]:
        """Key text → host name, for the keys hosts present now."""
        ...

    def known_keys(self) -> list[tuple[str, str]]:
        """Every key the book knows, old ones included, with a name for it."""
        ...

    def host_key(self, name: str) -> str:
        """Host ``name``'s key, as secrets.nix would list it; an error if none."""
        ...


HostBookLoader = Callable[[Path], HostBook]


def outside_folder(name: str) -> bool:
    """True if the entry name ``name`` leads out of the rules folder (``..``, absolute)."""
    path = Path(os.path.normpath(name))
    return path.is_absolute() or path.parts[:1] == ("..",)


class _TagNames(Mapping[str, str]):
    """``store.tag_names()``, worked out only when a message names a key."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getitem__(self, tag: str) -> str:
        return self._store.tag_names()[tag]

    def __iter__(self) -> Iterator[str]:
        return iter(self._store.tag_names())

    def __len__(self) -> int:
        return len(self._store.tag_names())


class Store:
    """The secrets of one secrets.nix: decrypt, write, edit, rekey and check them by name.

    ``identities``: private key files to decrypt with (None: ~/.ssh/id_ed25519,
    ~/.ssh/id_rsa); ``prompt`` asks a key's passphrase (once a process); ``hosts`` loads
    the names of hosts' keys from beside secrets.nix (``agepy.hosts.Inventory.load``);
    ``files_dir``: the folder the entry names are relative to (default: the rules folder).
    """

    def __init__(
        self,
        rules_path: Path | str | None = None,
        *,
        evaluator: str = "auto",
        identities: Sequence[Path] | None = None,
        prompt: PromptFn | None = None,
        allow_outside: bool = False,
        hosts: HostBookLoader | None = None,
        files_dir: Path | None = None,
    ) -> None:

        self.given_path = Path(rules_path) if rules_path is not None else None
        self.rules_path = locate_rules(rules_path)
        self.evaluator = evaluator
        self.identity_paths = [Path(p) for p in identities] if identities else None
        self.prompt = prompt
        self.allow_outside = allow_outside
        self.files_dir = files_dir
        self._rules: Rules | None = None
        self._identities: list[Identity] | None = None
        self._tag_names: dict[str, str] | None = None
        self._load_hosts = hosts
        self._host_book: HostBook | None = None

    # --- loading --------------------------------------------------------------------------

    @property
    def rules(self) -> Rules:
        """The evaluated secrets.nix (loaded on first use)."""
        if self._rules is None:
            self._rules = load_rules(
                self.rules_path,
                evaluator=self.evaluator,
                extra_names=self._host_names(),
                files_dir=self.files_dir,
            )
            self._tag_names = None
        return self._rules

    def host_book(self) -> HostBook | None:
        """The hosts' key names (read once), if this store was given a way to load them."""
        if self._host_book is None and self._load_hosts is not None:
            self._host_book = self._load_hosts(self.rules_path)
        return self._host_book

    def _quiet_host_book(self) -> HostBook | None:
        # Names are a courtesy: a broken agepy.toml must not stop list or check (`agepy
        # hosts` reports it).
        try:
            return self.host_book()
        except AgepyError:
            return None

    def _host_names(self) -> dict[str, str]:
        book = self._quiet_host_book()
        return book.names() if book is not None else {}

    def known_keys(self) -> builtins.list[tuple[str, str]]:
        """Every key the hosts know, old ones included, with a name (for exposure)."""
        book = self._quiet_host_book()
        return book.known_keys() if book is not None else []

    def reload(self) -> None:
        """Forget the loaded rules (after secrets.nix changed) and the hosts' names."""
        self._rules = None
        self._host_book = None

    def use_rules(self, rules: Rules) -> None:
        """Take rules already loaded (by an operation that evaluated secrets.nix once)."""
        self._rules = rules
        self._tag_names = None

    @property
    def identities(self) -> list[Identity]:
        if self._identities is None:
            self._identities = load_identities(self.identity_paths, prompt=self.prompt)
        return self._identities

    def tag_names(self) -> dict[str, str]:
        """SSH stanza tag → key name, for every key secrets.nix mentions."""
        if self._tag_names is None:
            rules = self.rules
            names: dict[str, str] = {}
            for secret in rules:
                for recipient in secret.recipients:
                    if recipient.tag:
                        names.setdefault(recipient.tag, rules.name_of(recipient.text))
            self._tag_names = names
        return self._tag_names

    def rules_display(self) -> str:
        """The rules path as the user gave it, else relative to the current folder."""
        if self.given_path is not None:
            return str(self.given_path)
        return display_path(self.rules_path)

    # --- one secret -----------------------------------------------------------------------

    def secret(self, name: str | Path) -> Secret:
        """The rules entry for ``name`` (exact, or a path relative to cwd or the rules)."""
        return self.rules.get(name)

    def status_of(self, secret: Secret) -> tuple[Status, list[str]]:
        """The status of an entry's file and, when not ok, why."""
        status, reasons, _ = file_status(
            secret.file, secret.recipients, secret.armor, self.rules.name_of
        )
        invalid = secret.invalid_keys
        if invalid and status in ("ok", "stale"):
            # Never "ok": the entry asks for a key the file cannot be encrypted to.
            return "stale", [*(w.message for w in invalid), *reasons]
        return status, reasons

    def status(self, name: str | Path) -> Status:
        """ "ok", "stale", "missing" or "unreadable" (headers only, no identity needed)."""
        return self.status_of(self.secret(name))[0]

    def decrypt_secret(self, secret: Secret) -> bytes:

        try:
            # Streamed: the header is checked before the rest of the file is read.
            handle = open_regular(secret.file)
        except FileNotFoundError:
            raise StoreError(
                f"{display_path(secret.file)} does not exist",
                hint="create it first, e.g. by editing it",
                reason=Reason.SECRET_FILE_MISSING,
                details={"name": secret.name},
            ) from None
        except OSError as exc:
            raise StoreError(
                f"cannot read {display_path(secret.file)}: {exc.strerror or exc}",
                hint="check the file's permissions",
            ) from None
        out = io.BytesIO()
        with handle:
            decrypt_to(
                handle,
                self.identities,
                out,
                key_names=_TagNames(self),
                source=display_path(secret.file),
            )
        return out.getvalue()

    def try_decrypt(self, secret: Secret) -> bytes | None:
        """The plaintext if an identity at hand opens the file without asking anything
        (no passphrase prompt); else None. For comparing, never for failing."""
        saved = self.prompt, self._identities
        self.prompt, self._identities = None, None
        try:
            return self.decrypt_secret(secret)
        except (AgepyError, OSError):
            return None
        finally:
            self.prompt, self._identities = saved

    def decrypt(self, name: str | Path) -> bytes:
        """The plaintext of the secret ``name``."""
        return self.decrypt_secret(self.secret(name))

    def encrypt_secret(self, secret: Secret, plaintext: bytes) -> bytes:
        """``plaintext`` encrypted to the entry's keys, armored if the entry says so.

        StoreError for an entry whose name leads out of the secrets folder (``../x.age``,
        an absolute path) unless the store allows it: a secrets.nix from elsewhere must
        not make agepy write (or rekey to its keys) another store's files."""

        secret.ensure_encryptable()
        if not self.allow_outside and outside_folder(secret.name):
            raise StoreError(
                f"{secret.name!r} is outside the folder of {self.rules_path.name}; not writing it",
                hint="if that is really meant, allow names outside the secrets folder",
            )
        return encrypt_bytes(plaintext, secret.recipients, armor=secret.armor)

    def write_secret(
        self, secret: Secret, plaintext: bytes, writer: BatchWriter | None = None
    ) -> None:
        """Encrypt to the entry's keys and replace its file atomically (keeping its
        mode); with ``writer``, the replacement completes when the writer says so."""

        data = self.encrypt_secret(secret, plaintext)
        mode = file_mode(secret.file)
        if writer is not None:
            writer.write(secret.file, data, mode=mode)
            return
        try:
            with Transaction(self):
                secret.file.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(secret.file, data, mode=mode)
        except OSError as exc:
            raise StoreError(
                f"cannot write {display_path(secret.file)}: {exc.strerror or exc}",
                hint="check the folder's permissions and free space",
            ) from None

    def write(self, name: str | Path, plaintext: bytes) -> None:
        """Encrypt ``plaintext`` to the entry's keys (with its armor) and replace the file."""
        self.write_secret(self.secret(name), plaintext)

    def edit(
        self,
        name: str | Path,
        *,
        editor: str | None = None,
        allow_disk: bool = False,
        stdin: IO[bytes] | bytes | None = None,
        recipients: Sequence[str] = (),
        hosts: Sequence[str] = (),
    ) -> bool:
        """Edit a secret in $VISUAL/$EDITOR (or take ``stdin``'s content); True if written.

        A name without an entry needs ``recipients`` (key names or keys) or ``hosts``
        (hosts of the inventory): an entry is then added to secrets.nix first.
        """

        try:
            with Transaction(self, reload=True) as transaction:
                secret = self.rules.find(name)
                if secret is None:
                    return edit_new(
                        self,
                        transaction,
                        name,
                        recipients,
                        hosts,
                        editor=editor,
                        allow_disk=allow_disk,
                        stdin=stdin,
                    )
                if recipients or hosts:
                    raise entry_exists(self, secret.name)
                secret.ensure_encryptable()  # before any decrypting or editor
                return edit_secret(self, secret, editor=editor, allow_disk=allow_disk, stdin=stdin)
        except NothingWrittenError:
            return False

    # --- generated secrets (agepy.store.generate) ------------------------------------------

    def generate(
        self,
        name: str | Path,
        kind: str,
        *,
        to: Sequence[str] = (),
        hosts: Sequence[str] = (),
        rotate: bool = False,
        **options: Any,
    ) -> GenerateResult:
        """Make the secret ``name`` (an entry, or for a new one a path from the current
        folder) of ``kind`` (``agepy.generators.KINDS``) from ``options``, adding its entry
        for ``to``/``hosts`` if missing; record the generator in agepy.toml."""
        return generate_secret(self, name, kind, options, recipients=to, hosts=hosts, rotate=rotate)

    def generate_missing(self, names: Sequence[str] | None = None) -> builtins.list[GenerateResult]:
        """Create the recorded secrets whose files are missing; touch no other file."""
        return generate_missing(self, names)

    def rotate(self, names: Sequence[str]) -> builtins.list[GenerateResult]:
        """New values for the recorded secrets ``names``; see ``GenerateResult.public_changed``."""
        return rotate_secrets(self, names)

    # --- the whole store ------------------------------------------------------------------

    def list(self) -> builtins.list[ListRow]:
        """One row per entry, in name order."""
        return list_rows(self)

    def rekey(
        self,
        names: Sequence[str] | None = None,
        *,
        force: bool = False,
        dry_run: bool = False,
        progress: ProgressFn | None = None,
        all_or_nothing: bool = False,
        jobs: int | None = None,
    ) -> RekeyReport:
        """Re-encrypt stale files (all with ``force``); see :func:`agepy.store.rekey.rekey`."""

        # Not a dry run: under the lock, on the entries as the last writer left them; no
        # snapshot (each file is replaced atomically, one changed meanwhile is left alone).
        with contextlib.nullcontext() if dry_run else Transaction(self, reload=True):
            return rekey(
                self,
                names,
                force=force,
                dry_run=dry_run,
                progress=progress,
                all_or_nothing=all_or_nothing,
                jobs=jobs,
            )

    def check(self) -> builtins.list[Finding]:
        """Every problem: missing, unreadable, stale and orphan files (no identity needed)."""

        return check(self)
