"""Names for the SSH stanza tags of a header, from public key files people already have.

An SSH stanza records only a 6-character tag of its key; to say whose key it is, agepy
looks the tag up among known public keys (-R files, ~/.ssh/authorized_keys,
~/.ssh/*.pub, and the rules file's bindings, which the caller passes in).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from agepy.errors import RecipientError
from agepy.keys import Recipient, parse_recipient

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


def recipients_in_file(path: Path) -> list[tuple[Recipient, str]]:
    """The usable keys of a public key file, each with a name (its comment, else the
    file name). Unreadable files and unusable lines are skipped: names are a courtesy."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
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
    files: Iterable[Path] = (), *, named: Iterable[tuple[Recipient, str]] = ()
) -> dict[str, str]:
    """SSH tag → name. ``named`` pairs (e.g. from the rules) win over key files."""
    names: dict[str, str] = {}
    for path in files:
        for recipient, name in recipients_in_file(path):
            if recipient.tag is not None:
                names.setdefault(recipient.tag, name)
    for recipient, name in named:
        if recipient.tag is not None:
            names[recipient.tag] = name
    return names
