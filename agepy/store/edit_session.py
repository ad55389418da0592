"""`agepy edit`: decrypt into a private tmpfs folder, edit, re-encrypt if changed.

The plaintext file lives in a fresh 0700 folder on tmpfs and is wiped on every exit
path: success, editor failure, an exception, Ctrl-C, SIGTERM or SIGHUP.
"""

from __future__ import annotations

import hmac
import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

from agepy.errors import Reason, StoreError
from agepy.store.editor import editor_command, run_editor
from agepy.store.tmpfs import private_dir, raise_on_signals

if TYPE_CHECKING:
    from agepy.rules import Secret
    from agepy.store.store import Store

__all__ = ["edit_secret"]


def _write_private(path: Path, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise StoreError(
            f"cannot write the plaintext to {path.parent}: {exc.strerror or exc}",
            hint="free some space there (it is in RAM), or set XDG_RUNTIME_DIR to another "
            "private tmpfs folder",
        ) from None


def _read_private(path: Path) -> bytes | None:
    """What the editor left (None: it removed the file)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(
            f"cannot read the edited plaintext: {exc.strerror or exc}",
            hint="the secret is unchanged; run the edit again",
        ) from None


def _warn(message: str) -> None:
    print(f"agepy: warning: {message}", file=sys.stderr, flush=True)


def _read_input(stdin: IO[bytes] | bytes) -> bytes:
    return stdin if isinstance(stdin, bytes) else stdin.read()


def edit_secret(
    store: Store,
    secret: Secret,
    *,
    editor: str | None = None,
    allow_disk: bool = False,
    stdin: IO[bytes] | bytes | None = None,
) -> bool:
    """Edit one secret; True when the file was (re)written.

    With ``stdin`` its content replaces the secret without decrypting it first, so no
    identity is needed (ragenix's ``--editor -``, agenix #281); only when an identity at
    hand opens the file without asking for a passphrase is an unchanged secret left as is.
    """
    existed = secret.file.exists()
    if stdin is not None:
        new = _read_input(stdin)
        if not new:
            # An empty pipe (a script, < /dev/null) is a mistake, not a wish to wipe it.
            raise StoreError(
                f"nothing on stdin: {secret.name} was not written",
                hint="pipe the new content in, or run in a terminal (or give an editor) "
                "to use your editor",
                reason=Reason.NOTHING_ON_STDIN,
            )
        old = store.try_decrypt(secret) if existed else None
        if old is not None and hmac.compare_digest(old, new):
            return False
        store.write_secret(secret, new)
        return True
    editor_command(editor)  # fail early, before decrypting, if there is no editor
    # Decrypt first: a wrong identity fails before any editor opens.
    old = store.decrypt_secret(secret) if existed else b""
    with raise_on_signals(), private_dir(allow_disk=allow_disk, warn=_warn) as folder:
        plain = folder / Path(secret.name).name
        _write_private(plain, old)
        run_editor(plain, editor)
        edited = _read_private(plain)
        if edited is None:
            return False  # the editor removed it: nothing to save, as agenix does
        new = edited
    if existed and hmac.compare_digest(old, new):
        return False
    if not existed and not new:
        return False  # a new file left empty in the editor: do not create it
    store.write_secret(secret, new)
    return True
