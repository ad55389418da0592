"""Is an .age file encrypted to exactly its rules entry's keys? Decided from the header.

SSH stanzas carry a tag of their key, so those are compared as a multiset of tags; X25519,
post-quantum and plugin stanzas carry nothing that names their recipient, so only their
counts can be compared. Grease stanzas (rage adds a random ``*-grease`` one) are ignored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from agepy._files import not_regular
from agepy.age import Header, read_header
from agepy.age.recipients import Recipient
from agepy.errors import AgepyError

__all__ = ["Status", "display_path", "file_status", "stale_reasons"]

Status = Literal["ok", "stale", "missing", "unreadable"]


def display_path(path: Path) -> str:
    """``path`` relative to the current folder when below it, else as is."""
    # Lexical, as Path.relative_to, but with strings: a rekey calls this once per file.
    text, cwd = str(path), str(Path.cwd())
    if text == cwd:
        return "."
    prefix = cwd if cwd.endswith("/") else cwd + "/"
    return text[len(prefix) :] if text.startswith(prefix) else text


def stale_reasons(
    header: Header,
    recipients: Sequence[Recipient],
    armor: bool,
    name_of: Callable[[str], str] | None = None,
) -> list[str]:
    """Why a file with this header does not match these recipients and armor (empty: it
    matches). ``name_of`` maps a recipient's text to a name for the messages."""
    reasons: list[str] = []
    if header.count("scrypt"):
        reasons.append("encrypted with a passphrase, not to keys")
    want_tags = Counter(r.tag for r in recipients if r.is_ssh and r.tag)
    have_tags = Counter(header.ssh_tags())
    if want_tags != have_tags:
        by_tag = {r.tag: r for r in recipients if r.is_ssh}
        missing = list((want_tags - have_tags).elements())
        extra = list((have_tags - want_tags).elements())
        if missing:
            names = [name_of(by_tag[t].text) if name_of else by_tag[t].short() for t in missing]
            reasons.append("not encrypted to " + ", ".join(names))
        if extra:
            reasons.append("also encrypted to SSH key tag " + ", ".join(extra))
    kinds = header.kinds()
    for label, kind, stanza_kind in (
        ("X25519", "x25519", "X25519"),
        ("post-quantum", "pq", "mlkem768x25519"),
        ("plugin", "plugin", "plugin/other"),
    ):
        wanted = sum(1 for r in recipients if r.kind == kind)
        have = kinds.count(stanza_kind)
        if wanted != have:
            reasons.append(f"{have} {label} stanza(s) for {wanted} {label} key(s)")
    if header.armored != armor:
        reasons.append(
            "armored, the rules say binary" if header.armored else "binary, the rules say armor"
        )
    return reasons


def file_status(
    path: Path,
    recipients: Sequence[Recipient],
    armor: bool,
    name_of: Callable[[str], str] | None = None,
) -> tuple[Status, list[str], Header | None]:
    """The status of one file, the reasons when not ok, and its header when readable."""
    if not path.exists():
        return "missing", ["the file does not exist"], None
    kind = not_regular(path)
    if kind is not None:
        return "unreadable", [f"it is {kind}, not a regular file"], None
    try:
        header = read_header(path)
    except AgepyError as exc:
        return "unreadable", [exc.message], None
    reasons = stale_reasons(header, recipients, armor, name_of)
    return ("stale" if reasons else "ok"), reasons, header
