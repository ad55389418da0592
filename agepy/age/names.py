"""Names for the SSH stanza tags of a header, from public key files people already have.

An SSH stanza records only a 6-character tag of its key; to say whose key it is, agepy
looks the tag up among known public keys (-R files, ~/.ssh/authorized_keys,
~/.ssh/*.pub, and the rules file's bindings, which the caller passes in).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from agepy.age.recipients import Recipient, parse_recipient
from agepy.errors import Reason, RecipientError

__all__ = ["default_key_files", "recipients_in_file", "tag_names"]


def default_key_files() -> list[Path]:
    """~/.ssh/authorized_keys and ~/.ssh/*.pub, those that exist."""
    ssh = Path.home() / ".ssh"
    files = [ssh / "authorized_keys"] if (ssh / "authorized_keys").is_file() else []
    if ssh.is_dir():
        files.extend(sorted(p for p in ssh.glob("*.pub") if p.is_file()))
    return files


def _parse_lenient(line: str) -> Recipient | None:
    """A key from a line of a .pub or authorized_keys file (options before the key too)."""
    fields = line.split()
    for start in range(min(len(fields), 4)):
        if fields[start].startswith(("ssh-", "age1")):
            try:
                return parse_recipient(" ".join(fields[start:]))
            except RecipientError:
                return None
    return None


def recipients_in_file(path: Path, *, strict: bool = False) -> list[tuple[Recipient, str]]:
    """The usable keys of a public key file, each with a name (its comment, else the
    file name). Unusable lines are skipped: names are a courtesy. So is an unreadable
    file, unless ``strict`` (a file the user named): then it is a RecipientError."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        if strict:
            raise RecipientError(
                f"cannot read public key file {path}: {exc.strerror or exc}",
                hint="a recipients file holds public keys, one per line",
                reason=Reason.RECIPIENTS_FILE_UNREADABLE,
            ) from None
        return []
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        recipient = _parse_lenient(line)
        if recipient is not None:
            found.append((recipient, recipient.comment or path.name))
    return found


def tag_names(
    files: Iterable[Path] = (),
    *,
    named: Iterable[tuple[Recipient, str]] = (),
    required: Iterable[Path] = (),
) -> dict[str, str]:
    """SSH tag → name. ``named`` pairs (e.g. from the rules) win over key files;
    ``required`` files (given by the user) come first and must be readable."""
    names: dict[str, str] = {}
    pairs = [(path, True) for path in required] + [(path, False) for path in files]
    for path, strict in pairs:
        for recipient, name in recipients_in_file(path, strict=strict):
            if recipient.tag is not None:
                names.setdefault(recipient.tag, name)
    for recipient, name in named:
        if recipient.tag is not None:
            names[recipient.tag] = name
    return names
