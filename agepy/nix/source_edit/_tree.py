"""Shared helpers for the secrets.nix edits: string literals, tree navigation, byte splicing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import tree_sitter

from agepy.age.recipients import key_canonical
from agepy.errors import EditError
from agepy.nix.parse import ParsedFile, parse_source, unparen

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_'-]*\Z")
_NAME_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*\Z")
_KEYWORDS = {"let", "in", "if", "then", "else", "with", "rec", "inherit", "assert", "or"}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}
Edit = tuple[int, int, bytes]


@dataclass(frozen=True)
class Item:
    """A publicKeys element: a Nix name (``alice``, ``users.alice``) or a key literal."""

    text: str
    is_name: bool

    def source(self) -> str:
        return self.text if self.is_name else nix_string(self.text)

    def __post_init__(self) -> None:
        if self.is_name and (
            not _NAME_PATH.match(self.text) or self.text.split(".")[0] in _KEYWORDS
        ):
            raise EditError(
                f"{self.text!r} is not a Nix name",
                hint="give a binding name such as matrix_host, or the key itself in quotes",
            )


def nix_string(text: str) -> str:
    """``text`` as a double-quoted Nix string, escaping what Nix would interpret."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("${", "\\${")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def static_string(parsed: ParsedFile, node: tree_sitter.Node) -> str | None:
    """The value of a string literal without interpolation, else None."""
    if node.type == "indented_string_expression":
        parts = node.children[1:-1]
        if all(p.type == "string_fragment" for p in parts):
            value = "".join(parsed.text(p) for p in parts)
            return value if "\n" not in value else None
        return None
    if node.type != "string_expression":
        return None
    out = []
    for child in node.children[1:-1]:
        if child.type == "string_fragment":
            out.append(parsed.text(child))
        elif child.type == "escape_sequence":
            char = parsed.text(child)[1:]
            out.append(_ESCAPES.get(char, char))
        elif child.type != "dollar_escape":
            return None
    return "".join(out)


def _attr_static(parsed: ParsedFile, attr: tree_sitter.Node) -> str | None:
    if attr.type == "identifier":
        return parsed.text(attr)
    return static_string(parsed, attr)


# --- tree navigation --------------------------------------------------------------------


def _root_expression(parsed: ParsedFile) -> tree_sitter.Node | None:
    named = [c for c in parsed.root.named_children if c.type != "comment"]
    return named[0] if named else None


def _top_let(parsed: ParsedFile) -> tree_sitter.Node | None:
    node = _root_expression(parsed)
    return node if node is not None and node.type == "let_expression" else None


def top_attrset(parsed: ParsedFile) -> tree_sitter.Node | None:
    """The attribute set of entries: the body of any top let/with, past comments."""
    node = _root_expression(parsed)
    while node is not None:
        if node.type in ("attrset_expression", "rec_attrset_expression"):
            return node
        if node.type in ("let_expression", "with_expression"):
            node = node.child_by_field_name("body")
        elif node.type == "parenthesized_expression":
            node = node.child_by_field_name("expression")
        else:
            return None
    return None


def _bindings(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """binding / inherit / inherit_from children of a let or attrset node."""
    for child in node.named_children:
        if child.type == "binding_set":
            return [b for b in child.named_children if b.type != "comment"]
    return []


def _attrs(binding: tree_sitter.Node) -> list[tree_sitter.Node]:
    attrpath = binding.child_by_field_name("attrpath")
    return [] if attrpath is None else [c for c in attrpath.named_children if c.type != "comment"]


def _bound_names(parsed: ParsedFile, node: tree_sitter.Node) -> dict[str, tree_sitter.Node]:
    names: dict[str, tree_sitter.Node] = {}
    for binding in _bindings(node):
        if binding.type == "binding":
            attrs = _attrs(binding)
            if attrs:
                name = _attr_static(parsed, attrs[0])
                if name is not None:
                    names.setdefault(name, binding)
        else:
            attrs_node = binding.child_by_field_name("attrs")
            for ident in attrs_node.named_children if attrs_node else []:
                names.setdefault(parsed.text(ident), binding)
    return names


def let_key_bindings(parsed: ParsedFile) -> dict[str, tuple[str, str]]:
    """Top-let ``name = "<key>";`` bindings: canonical key → (name, literal value)."""
    found: dict[str, tuple[str, str]] = {}
    let = _top_let(parsed)
    for binding in _bindings(let) if let is not None else []:
        value = binding.child_by_field_name("expression")
        attrs = _attrs(binding)
        if binding.type != "binding" or value is None or len(attrs) != 1:
            continue
        literal = static_string(parsed, value)
        if literal is not None and literal.split()[:1] and _looks_like_key(literal):
            found.setdefault(key_canonical(literal), (parsed.text(attrs[0]), literal))
    return found


def _looks_like_key(text: str) -> bool:
    return text.split()[0].startswith(("ssh-", "ecdsa-", "sk-", "age1"))


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


class _Where(TypedDict, total=False):
    file: Path
    line: int
    column: int


def _where(parsed: ParsedFile, node: tree_sitter.Node | None) -> _Where:
    if node is None:
        return {"file": parsed.path}
    row, column = node.start_point
    return {"file": parsed.path, "line": row + 1, "column": column + 1}


# --- byte-level helpers -----------------------------------------------------------------


def _line_start(src: bytes, pos: int) -> int:
    return src.rfind(b"\n", 0, pos) + 1


def _line_end(src: bytes, pos: int) -> int:
    end = src.find(b"\n", pos)
    return len(src) if end < 0 else end


def _indent(src: bytes, pos: int) -> bytes:
    start = _line_start(src, pos)
    line = src[start:pos]
    return line[: len(line) - len(line.lstrip(b" \t"))]


def _starts_line(src: bytes, node: tree_sitter.Node) -> bool:
    return src[_line_start(src, node.start_byte) : node.start_byte].strip() == b""


def _ends_line(src: bytes, node: tree_sitter.Node) -> bool:
    rest = src[node.end_byte : _line_end(src, node.end_byte)].strip()
    return rest == b"" or rest.startswith(b"#")


def _indent_unit(src: bytes) -> bytes:
    for line in src.splitlines():
        stripped = line.lstrip(b" \t")
        if stripped and len(stripped) < len(line):
            return line[: len(line) - len(stripped)]
    return b"  "


def _apply(src: bytes, edits: list[Edit]) -> bytes:
    for start, end, text in sorted(edits, reverse=True):
        src = src[:start] + text + src[end:]
    return src


def _after_statement(src: bytes, node: tree_sitter.Node, text: bytes) -> Edit:
    """Put ``text`` on a new line after ``node`` (same indent), or inline if it shares a line."""
    if _ends_line(src, node):
        end = _line_end(src, node.end_byte)
        return (end, end, b"\n" + _indent(src, node.start_byte) + text)
    return (node.end_byte, node.end_byte, b" " + text)


def _parse(source: bytes | str, path: Path | str) -> ParsedFile:
    return parse_source(source.encode() if isinstance(source, str) else source, path)


def _entry_bindings(
    parsed: ParsedFile, top: tree_sitter.Node, secret: str
) -> list[tree_sitter.Node]:
    found = []
    for binding in _bindings(top):
        attrs = _attrs(binding) if binding.type == "binding" else []
        if attrs and _attr_static(parsed, attrs[0]) == secret:
            found.append(binding)
    return found


def _no_top(parsed: ParsedFile, what: str) -> EditError:
    root = _root_expression(parsed)
    return EditError(
        "secrets.nix is not a plain attribute set of entries (it is computed), "
        "so agepy cannot edit it safely",
        hint=f"edit it by hand: {what}",
        **_where(parsed, root),
    )


def _public_keys_node(parsed: ParsedFile, secret: str, what: str) -> tree_sitter.Node:
    top = top_attrset(parsed)
    if top is None:
        raise _no_top(parsed, what)
    for binding in _entry_bindings(parsed, top, secret):
        attrs = _attrs(binding)
        value = binding.child_by_field_name("expression")
        names = [_attr_static(parsed, a) for a in attrs]
        if value is None:
            continue
        if names == [secret, "publicKeys"]:
            return unparen(value)
        if len(names) == 1 and unparen(value).type in (
            "attrset_expression",
            "rec_attrset_expression",
        ):
            for inner in _bindings(unparen(value)):
                inner_attrs = _attrs(inner) if inner.type == "binding" else []
                inner_value = inner.child_by_field_name("expression")
                if (
                    len(inner_attrs) == 1
                    and _attr_static(parsed, inner_attrs[0]) == "publicKeys"
                    and inner_value is not None
                ):
                    return unparen(inner_value)
        if len(names) == 1:
            raise EditError(
                f"entry {secret!r} is computed, not written as {{ publicKeys = [ … ]; }}",
                hint=f"edit it by hand: {what}",
                **_where(parsed, binding),
            )
    dynamic = next(
        (
            b
            for b in _bindings(top)
            if b.type == "binding" and _attrs(b) and _attr_static(parsed, _attrs(b)[0]) is None
        ),
        None,
    )
    if dynamic is not None:
        raise EditError(
            f"entry {secret!r} is not written literally (names are computed here)",
            hint=f"edit it by hand: {what}",
            **_where(parsed, dynamic),
        )
    raise EditError(
        f"no entry {secret!r} in the file",
        hint=f"add it first: {nix_string(secret)}.publicKeys = [ … ];",
        **_where(parsed, top),
    )


def _operands(node: tree_sitter.Node, parsed: ParsedFile) -> list[tree_sitter.Node] | None:
    """Operands of a ``++`` chain (a lone list or variable is a chain of one); None if other."""
    node = unparen(node)
    if node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator is None or parsed.text(operator) != "++" or left is None or right is None:
            return None
        first, second = _operands(left, parsed), _operands(right, parsed)
        if first is None or second is None:
            return None
        return first + second
    if node.type in (
        "list_expression",
        "variable_expression",
        "select_expression",
        "apply_expression",
    ):
        return [node]
    return None


def _elements(lst: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [c for c in lst.named_children if c.type != "comment"]


def _one_per_line(src: bytes, lst: tree_sitter.Node, elements: list[tree_sitter.Node]) -> bool:
    if not elements or lst.start_point[0] == lst.end_point[0]:
        return False
    rows = [e.start_point[0] for e in elements]
    return (
        len(set(rows)) == len(rows)
        and all(_starts_line(src, e) for e in elements)
        and elements[-1].end_point[0] != lst.end_point[0]
    )
