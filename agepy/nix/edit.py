"""Format-preserving edits of secrets.nix: splice text into byte ranges of the parse tree.

Nothing is ever re-printed: each function finds the spot in the tree-sitter tree, infers
indentation and list style from the neighbours, and returns the source with only that span
changed. Where no safe edit exists (computed keys, generated entries, interpolated names)
it raises EditError whose hint says what to write by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import tree_sitter

from agepy.errors import EditError, NixSyntaxError
from agepy.nix.parse import ParsedFile, parse_source

__all__ = [
    "Item",
    "add_binding",
    "add_entry",
    "add_list_item",
    "key_canonical",
    "let_key_bindings",
    "nix_string",
    "probe_elements",
    "referenced_files",
    "remove_list_item",
    "replace_key_in_data",
    "replace_key_literals",
    "static_string",
]

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


def key_canonical(text: str) -> str:
    """Key text without comment: first two fields for SSH, the lowercased age1 string."""
    fields = text.split()
    if not fields:
        return ""
    if fields[0].lower().startswith("age1"):
        return fields[0].lower()
    return " ".join(fields[:2])


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


def _top_attrset(parsed: ParsedFile) -> tree_sitter.Node | None:
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


# --- let bindings -----------------------------------------------------------------------


def add_binding(
    source: bytes | str, name: str, key: str, *, path: Path | str = "secrets.nix"
) -> bytes:
    """Add ``name = "<key>";`` to the top ``let`` (creating ``let … in`` when safe)."""
    parsed = _parse(source, path)
    src = parsed.source
    if not _IDENTIFIER.match(name) or name in _KEYWORDS:
        raise EditError(
            f"{name!r} is not a valid Nix binding name",
            hint="use letters, digits, _ and - (not first), e.g. matrix_host",
        )
    let = _top_let(parsed)
    line = f"{name} = {nix_string(key)};"
    if let is not None:
        bound = _bound_names(parsed, let)
        if name in bound:
            raise EditError(
                f"{name!r} is already bound",
                hint="choose another name",
                **_where(parsed, bound[name]),
            )
    same = let_key_bindings(parsed).get(key_canonical(key))
    if same is not None:
        raise EditError(
            f"this key is already bound as {same[0]!r}", hint=f"use {same[0]} in publicKeys"
        )
    for node in _walk(parsed.root):
        if node.type == "variable_expression" and parsed.text(node) == name:
            raise EditError(
                f"{name!r} is already used in the file; a new binding would change its meaning",
                hint="choose another name",
                **_where(parsed, node),
            )
    if let is None:
        root = _root_expression(parsed)
        if root is None or root.type not in (
            "attrset_expression",
            "rec_attrset_expression",
            "with_expression",
            "parenthesized_expression",
        ):
            raise EditError(
                "secrets.nix has no top-level let to add the key to",
                hint=f"add it by hand where your keys are defined: {line}",
                **_where(parsed, root),
            )
        unit = _indent_unit(src)
        text = b"let\n" + unit + line.encode() + b"\nin\n" + _indent(src, root.start_byte)
        return _apply(src, [(root.start_byte, root.start_byte, text)])
    existing = _bindings(let)
    if existing:
        return _apply(src, [_after_statement(src, existing[-1], line.encode())])
    let_token = let.children[0]
    return _apply(src, [(let_token.end_byte, let_token.end_byte, b" " + line.encode())])


# --- entries and their publicKeys -------------------------------------------------------


def _unparen(node: tree_sitter.Node) -> tree_sitter.Node:
    while node.type == "parenthesized_expression":
        inner = node.child_by_field_name("expression")
        if inner is None:
            break
        node = inner
    return node


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
    top = _top_attrset(parsed)
    if top is None:
        raise _no_top(parsed, what)
    for binding in _entry_bindings(parsed, top, secret):
        attrs = _attrs(binding)
        value = binding.child_by_field_name("expression")
        names = [_attr_static(parsed, a) for a in attrs]
        if value is None:
            continue
        if names == [secret, "publicKeys"]:
            return _unparen(value)
        if len(names) == 1 and _unparen(value).type in (
            "attrset_expression",
            "rec_attrset_expression",
        ):
            for inner in _bindings(_unparen(value)):
                inner_attrs = _attrs(inner) if inner.type == "binding" else []
                inner_value = inner.child_by_field_name("expression")
                if (
                    len(inner_attrs) == 1
                    and _attr_static(parsed, inner_attrs[0]) == "publicKeys"
                    and inner_value is not None
                ):
                    return _unparen(inner_value)
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
    node = _unparen(node)
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


def _matches(parsed: ParsedFile, element: tree_sitter.Node, item: Item, aliases: set[str]) -> bool:
    if element.type in ("variable_expression", "select_expression"):
        text = parsed.text(element)
        return text == item.text if item.is_name else text in aliases
    literal = static_string(parsed, element)
    if literal is None or item.is_name:
        return False
    return key_canonical(literal) == key_canonical(item.text)


def _aliases(parsed: ParsedFile, item: Item) -> set[str]:
    if item.is_name:
        return set()
    bound = let_key_bindings(parsed).get(key_canonical(item.text))
    return {bound[0]} if bound else set()


def _one_per_line(src: bytes, lst: tree_sitter.Node, elements: list[tree_sitter.Node]) -> bool:
    if not elements or lst.start_point[0] == lst.end_point[0]:
        return False
    rows = [e.start_point[0] for e in elements]
    return (
        len(set(rows)) == len(rows)
        and all(_starts_line(src, e) for e in elements)
        and elements[-1].end_point[0] != lst.end_point[0]
    )


def _append_to_list(src: bytes, lst: tree_sitter.Node, text: str) -> Edit:
    elements = _elements(lst)
    if not elements:
        if lst.start_point[0] == lst.end_point[0]:
            return (lst.start_byte, lst.end_byte, f"[ {text} ]".encode())
        opener = lst.children[0]
        indent = _indent(src, lst.start_byte) + _indent_unit(src)
        return (opener.end_byte, opener.end_byte, b"\n" + indent + text.encode())
    last = elements[-1]
    if _one_per_line(src, lst, elements):
        end = _line_end(src, last.end_byte)
        return (end, end, b"\n" + _indent(src, last.start_byte) + text.encode())
    return (last.end_byte, last.end_byte, b" " + text.encode())


def add_list_item(
    source: bytes | str, secret: str, item: Item, *, path: Path | str = "secrets.nix"
) -> bytes:
    """Append ``item`` to entry ``secret``'s publicKeys (its trailing list, or ``++ [ … ]``)."""
    parsed = _parse(source, path)
    src = parsed.source
    what = f"add {item.source()} to the publicKeys of {nix_string(secret)}"
    keys = _public_keys_node(parsed, secret, what)
    operands = _operands(keys, parsed)
    if operands is None:
        raise EditError(
            f"publicKeys of {secret!r} is computed in a way agepy cannot extend",
            hint=f"edit it by hand: {what}",
            **_where(parsed, keys),
        )
    aliases = _aliases(parsed, item)
    for operand in operands:
        if operand.type == "list_expression":
            for element in _elements(operand):
                if _matches(parsed, element, item, aliases):
                    raise EditError(
                        f"{secret!r} already lists {parsed.text(element)}",
                        hint="nothing to do",
                        **_where(parsed, element),
                    )
    last = operands[-1]
    if last.type == "list_expression":
        edit = _append_to_list(src, last, item.source())
    else:
        edit = (keys.end_byte, keys.end_byte, f" ++ [ {item.source()} ]".encode())
    return _apply(src, [edit])


def probe_elements(
    source: bytes | str, secret: str, *, path: Path | str = "secrets.nix"
) -> tuple[bytes, list[str]]:
    """A variant whose ``secret`` publicKeys is ``[ (e1) (e2) … ]``: each named element of its
    literal lists, in scope, so one evaluation tells which key each name stands for."""
    parsed = _parse(source, path)
    keys = _public_keys_node(parsed, secret, "")
    names: list[str] = []
    for operand in _operands(keys, parsed) or []:
        if operand.type == "list_expression":
            names.extend(
                parsed.text(e)
                for e in _elements(operand)
                if e.type in ("variable_expression", "select_expression")
            )
    probe = "[ " + " ".join(f"({n})" for n in names) + " ]"
    return _apply(parsed.source, [(keys.start_byte, keys.end_byte, probe.encode())]), names


def _removal_span(src: bytes, lst: tree_sitter.Node, element: tree_sitter.Node) -> tuple[int, int]:
    if _starts_line(src, element) and _ends_line(src, element):
        start = _line_start(src, element.start_byte)
        end = _line_end(src, element.end_byte)
        return start, min(end + 1, len(src))
    siblings = lst.children
    index = next(i for i, c in enumerate(siblings) if c.id == element.id)
    if _starts_line(src, element):
        return element.start_byte, siblings[index + 1].start_byte
    return siblings[index - 1].end_byte, element.end_byte


def remove_list_item(
    source: bytes | str, secret: str, item: Item, *, path: Path | str = "secrets.nix"
) -> bytes:
    """Remove ``item`` (a name, or a key / the name bound to it) from a literal list part."""
    parsed = _parse(source, path)
    src = parsed.source
    what = f"remove {item.source()} from the publicKeys of {nix_string(secret)}"
    keys = _public_keys_node(parsed, secret, what)
    operands = _operands(keys, parsed)
    if operands is None:
        raise EditError(
            f"publicKeys of {secret!r} is computed in a way agepy cannot change",
            hint=f"edit it by hand: {what}",
            **_where(parsed, keys),
        )
    aliases = _aliases(parsed, item)
    for position, operand in enumerate(operands):
        if operand.type != "list_expression":
            continue
        elements = _elements(operand)
        for element in elements:
            if not _matches(parsed, element, item, aliases):
                continue
            if len(elements) > 1:
                return _apply(src, [(*_removal_span(src, operand, element), b"")])
            if len(operands) == 1:
                raise EditError(
                    f"removing {parsed.text(element)} would leave {secret!r} with no keys",
                    hint="add another key first, or delete the entry by hand",
                    **_where(parsed, element),
                )
            # The list becomes empty: drop it together with its `++`.
            if position > 0:
                span = (operands[position - 1].end_byte, operand.end_byte)
            else:
                span = (operand.start_byte, operands[1].start_byte)
            return _apply(src, [(*span, b"")])
    computed = [parsed.text(o) for o in operands if o.type != "list_expression"]
    if computed:
        raise EditError(
            f"{secret!r} has no literal {item.source()}; its keys also come from "
            + ", ".join(f"`{c}`" for c in computed),
            hint=f"edit it by hand: {what} (it may be inside {computed[0]})",
            **_where(parsed, keys),
        )
    raise EditError(
        f"{secret!r} does not list {item.source()}",
        hint="see the entry's keys with `agepy list`",
        **_where(parsed, keys),
    )


def _entry_style(parsed: ParsedFile, top: tree_sitter.Node) -> tuple[str, tree_sitter.Node | None]:
    """('dotted'|'nested'|'nested-multiline', publicKeys list of the last such entry)."""
    style, example = "dotted", None
    for binding in _bindings(top):
        if binding.type != "binding":
            continue
        attrs = _attrs(binding)
        value = binding.child_by_field_name("expression")
        if value is None:
            continue
        names = [_attr_static(parsed, a) for a in attrs]
        if len(names) == 2 and names[1] == "publicKeys":
            style, example = "dotted", value
        elif len(names) == 1 and value.type == "attrset_expression":
            for inner in _bindings(value):
                inner_attrs = _attrs(inner) if inner.type == "binding" else []
                if inner_attrs and _attr_static(parsed, inner_attrs[0]) == "publicKeys":
                    multiline = value.start_point[0] != value.end_point[0]
                    style = "nested-multiline" if multiline else "nested"
                    example = inner.child_by_field_name("expression")
    operands = _operands(example, parsed) if example is not None else None
    lists = [o for o in operands or [] if o.type == "list_expression"]
    return style, (lists[-1] if lists else None)


def add_entry(
    source: bytes | str, secret: str, items: list[Item], *, path: Path | str = "secrets.nix"
) -> bytes:
    """Add ``"<secret>".publicKeys = [ … ];`` after the last entry, in the file's style."""
    parsed = _parse(source, path)
    src = parsed.source
    if not items:
        raise EditError(f"no keys given for {secret!r}", hint="give at least one key or name")
    texts = [item.source() for item in items]
    top = _top_attrset(parsed)
    if top is None:
        raise _no_top(parsed, f"{nix_string(secret)}.publicKeys = [ {' '.join(texts)} ];")
    if _entry_bindings(parsed, top, secret):
        raise EditError(
            f"entry {secret!r} already exists",
            hint="add keys to it with `agepy add-key` or pick another name",
            **_where(parsed, _entry_bindings(parsed, top, secret)[0]),
        )
    style, example = _entry_style(parsed, top)
    bindings = _bindings(top)
    base = (
        _indent(src, bindings[-1].start_byte)
        if bindings
        else _indent(src, top.start_byte) + _indent_unit(src)
    )
    unit = _indent_unit(src)
    inner = base + unit if style == "nested-multiline" else base
    if example is not None and _one_per_line(src, example, _elements(example)):
        element_indent = _indent(src, _elements(example)[0].start_byte)
        close_indent = _indent(src, example.end_byte - 1)
        shift = len(inner) - len(_indent(src, example.start_byte)) if style != "dotted" else 0
        if shift > 0:
            element_indent, close_indent = (
                element_indent + b" " * shift,
                close_indent + b" " * shift,
            )
        lines = [b"\n" + element_indent + t.encode() for t in texts]
        keys = b"[" + b"".join(lines) + b"\n" + close_indent + b"]"
    else:
        keys = b"[ " + " ".join(texts).encode() + b" ]"
    name = nix_string(secret).encode()
    if style == "nested":
        entry = name + b" = { publicKeys = " + keys + b"; };"
    elif style == "nested-multiline":
        entry = name + b" = {\n" + inner + b"publicKeys = " + keys + b";\n" + base + b"};"
    else:
        entry = name + b".publicKeys = " + keys + b";"
    if bindings:
        return _apply(src, [_after_statement(src, bindings[-1], entry)])
    opener, closer = (
        top.children[0] if top.type == "attrset_expression" else top.children[1],
        top.children[-1],
    )
    if opener.start_point[0] == closer.start_point[0]:
        outer = _indent(src, top.start_byte)
        text = b"{\n" + base + entry + b"\n" + outer + b"}"
        return _apply(src, [(opener.start_byte, closer.end_byte, text)])
    return _apply(src, [(opener.end_byte, opener.end_byte, b"\n" + base + entry)])


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
        import json

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
