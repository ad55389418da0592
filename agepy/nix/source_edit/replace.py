"""Replace one key wherever it is written: secrets.nix, imported .nix files, JSON/TOML key files."""

from __future__ import annotations

import json
import re
from pathlib import Path

from agepy.age.recipients import key_canonical
from agepy.errors import NixSyntaxError
from agepy.nix.parse import parse_source
from agepy.nix.source_edit._tree import (
    Edit,
    _apply,
    _parse,
    _walk,
    nix_string,
    static_string,
)

# --- replacing a key --------------------------------------------------------------------


def new_literal(old_literal: str, new_key: str) -> str:
    """The new key text; the old literal's comment is kept only if the new key has none."""
    if len(new_key.split()) > 2 or new_key.split()[0].lower().startswith("age1"):
        return new_key.strip()
    old_fields = old_literal.split(None, 2)
    if len(old_fields) > 2 and not old_fields[0].lower().startswith("age1"):
        return f"{new_key.strip()} {old_fields[2].strip()}"
    return new_key.strip()


def replace_key_literals(
    source: bytes | str, old_key: str, new_key: str, *, path: Path | str = "secrets.nix"
) -> tuple[bytes, int]:
    """Replace every string literal holding ``old_key`` (comments ignored); (text, count)."""
    parsed = _parse(source, path)
    old = key_canonical(old_key)
    edits: list[Edit] = []
    for node in _walk(parsed.root):
        if node.type in ("string_expression", "indented_string_expression"):
            literal = static_string(parsed, node)
            if literal is not None and literal.strip() and key_canonical(literal) == old:
                replacement = nix_string(new_literal(literal, new_key)).encode()
                edits.append((node.start_byte, node.end_byte, replacement))
    return _apply(parsed.source, edits), len(edits)


def replace_key_in_data(text: str, old_key: str, new_key: str) -> tuple[str, int]:
    """Replace quoted occurrences of ``old_key`` in a JSON or TOML keys file."""
    old = key_canonical(old_key)
    pattern = re.compile(
        r"""(["'])(""" + re.escape(old) + r"""(?:[ \t][^"'\n]*)?)\1""",
        re.IGNORECASE if old.startswith("age1") else 0,
    )

    def substitute(match: re.Match[str]) -> str:
        value = new_literal(match.group(2), new_key)
        if match.group(1) == "'" and "'" not in value and "\n" not in value:
            return f"'{value}'"

        return json.dumps(value)

    return pattern.subn(substitute, text)


def referenced_files(path: Path) -> list[Path]:
    """``path`` and the .nix/.json/.toml files it references by path literal, transitively."""
    seen: list[Path] = []
    queue = [path.resolve()]
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.append(current)
        if current.suffix != ".nix":
            continue
        try:
            parsed = parse_source(current.read_bytes(), current)
        except (OSError, NixSyntaxError):
            continue
        for node in _walk(parsed.root):
            if node.type != "path_expression" or any(
                c.type == "interpolation" for c in node.children
            ):
                continue
            text = parsed.text(node)
            if text.startswith(("/", "~")):
                continue
            target = Path(current.parent, text)
            if target.is_dir():
                target = target / "default.nix"
            if target.suffix in (".nix", ".json", ".toml") and target.is_file():
                queue.append(Path(*target.parts).resolve())
    return seen
