"""Parse Nix source with tree-sitter-nix, strictly: any error node is a NixSyntaxError."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tree_sitter
import tree_sitter_nix

from agepy.errors import NixSyntaxError, Reason

__all__ = ["ParsedFile", "node_text", "parse_file", "parse_source", "read_nix_file", "unparen"]


@cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_nix.language()))


@dataclass(frozen=True)
class ParsedFile:
    """A parsed Nix file: its path (for error locations), bytes and syntax tree."""

    path: Path
    source: bytes
    tree: tree_sitter.Tree

    @property
    def root(self) -> tree_sitter.Node:
        return self.tree.root_node

    def text(self, node: tree_sitter.Node) -> str:
        return node_text(self.source, node)


def unparen(node: tree_sitter.Node) -> tree_sitter.Node:
    """The expression inside any parentheses around ``node``."""
    while node.type == "parenthesized_expression":
        inner = node.child_by_field_name("expression")
        if inner is None:
            break
        node = inner
    return node


def node_text(source: bytes, node: tree_sitter.Node) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "surrogateescape")


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node | None:
    # Iterative walk: deeply nested token soup must not hit Python's recursion limit.
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_error or current.is_missing:
            return current
        if current.has_error:
            stack.extend(reversed(current.children))
    return None


def _repaired(source: bytes, root: tree_sitter.Node) -> bytes | None:
    """``source`` with what Nix accepts but tree-sitter-nix does not blanked out.

    Two such spots: a comma after the last formal argument (``{ a, b, }:``) and an empty
    ``inherit;`` or ``inherit (x);``. Blanking (spaces, newlines kept) keeps every byte
    and line where it was, so locations and edits stay true to the original file.
    """
    spans: list[tuple[int, int]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if not node.has_error:
            continue
        if node.type == "formals":
            comma = _trailing_comma(source, node)
            if comma is not None:
                spans.append((comma, comma + 1))
        elif node.type in ("inherit", "inherit_from") and _inherits_nothing(node):
            spans.append((node.start_byte, node.end_byte))
        stack.extend(node.children)
    if not spans:
        return None
    patched = bytearray(source)
    for start, end in spans:
        for offset in range(start, end):
            if patched[offset] != ord("\n"):
                patched[offset] = ord(" ")
    return bytes(patched)


def _inherits_nothing(node: tree_sitter.Node) -> bool:
    attrs = node.child_by_field_name("attrs")
    if attrs is None:
        return False
    names = [child for child in attrs.named_children if child.type != "comment"]
    return bool(names) and all(child.is_missing for child in names)


def _trailing_comma(source: bytes, formals: tree_sitter.Node) -> int | None:
    # Walk back from the closing brace over blanks and comments to a comma, if any.
    # Not after `...`: Nix rejects `{ a, ..., }` too.
    if any(child.type == "ellipses" for child in formals.children):
        return None
    comments = [(c.start_byte, c.end_byte) for c in formals.children if c.type == "comment"]
    offset = formals.end_byte - 1
    if source[offset : offset + 1] != b"}":
        return None
    offset -= 1
    while offset > formals.start_byte:
        inside = next((start for start, end in comments if start <= offset < end), None)
        if inside is not None:
            offset = inside - 1
        elif source[offset] in b" \t\r\n":
            offset -= 1
        else:
            break
    return offset if source[offset : offset + 1] == b"," else None


# Files parsed and still held by someone: reading secrets.nix parses it for its layout
# and again to evaluate it; for a big file the second tree would cost as much time and
# memory as the first. Weak values: a tree goes as soon as nobody needs it.
_LIVE: weakref.WeakValueDictionary[tuple[str, bytes], ParsedFile] = weakref.WeakValueDictionary()


def parse_source(source: bytes, path: Path | str = "<string>") -> ParsedFile:
    """Parse ``source``; raise NixSyntaxError naming file, line and column on any error."""
    path = Path(path)
    key = (str(path), source)
    live = _LIVE.get(key)
    if live is not None:
        return live
    parsed = _parse(source, path)
    _LIVE[key] = parsed
    return parsed


def _parse(source: bytes, path: Path) -> ParsedFile:
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NixSyntaxError(
            f"not UTF-8 text (byte {exc.start})", file=path, hint="save the file as UTF-8"
        ) from None
    if "\x00" in text:
        raise NixSyntaxError("NUL byte in file", file=path, hint="this is not a Nix file")
    tree = _parser().parse(source)
    bad = _first_error(tree.root_node)
    if bad is not None:
        repaired = _repaired(source, tree.root_node)
        if repaired is not None:
            tree = _parser().parse(repaired)
            bad = _first_error(tree.root_node)
    if bad is not None:
        row, col = bad.start_point
        if bad.is_missing:
            what = f"missing {bad.type!r}"
        else:
            snippet = node_text(source, bad).strip().splitlines()
            what = f"unexpected {snippet[0][:30]!r}" if snippet else "unexpected end of file"
        raise NixSyntaxError(
            f"syntax error: {what}",
            file=path,
            line=row + 1,
            column=col + 1,
            hint="fix the Nix syntax (nix-instantiate --parse FILE shows the same spot)",
        )
    return ParsedFile(path=path, source=source, tree=tree)


def parse_file(path: Path | str) -> ParsedFile:
    """Read and parse a Nix file; unreadable files raise NixSyntaxError too."""
    path = Path(path)
    return parse_source(read_nix_file(path), path)


def read_nix_file(path: Path) -> bytes:
    """The bytes of a Nix file, or a NixSyntaxError that says why it can't be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NixSyntaxError(
            "no such file", file=path, hint="check the path", reason=Reason.RULES_FILE_MISSING
        ) from None
    except IsADirectoryError:
        raise NixSyntaxError(
            "is a directory, not a Nix file", file=path, hint="give a file, not a folder"
        ) from None
    except OSError as exc:
        raise NixSyntaxError(
            f"cannot read: {exc.strerror}", file=path, hint="check the file's permissions"
        ) from None
