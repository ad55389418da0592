"""Add or remove one element of an entry's publicKeys, keeping the list's own style."""

from __future__ import annotations

from pathlib import Path

import tree_sitter

from agepy.age.recipients import key_canonical
from agepy.errors import EditError, Reason
from agepy.nix.parse import ParsedFile
from agepy.nix.source_edit._tree import (
    Edit,
    Item,
    _apply,
    _elements,
    _ends_line,
    _indent,
    _indent_unit,
    _line_end,
    _line_start,
    _one_per_line,
    _operands,
    _parse,
    _public_keys_node,
    _starts_line,
    _where,
    let_key_bindings,
    nix_string,
    static_string,
)


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


def _editable_keys(
    source: bytes | str, path: Path | str, secret: str, item: Item, verb: str, preposition: str
) -> tuple[ParsedFile, tree_sitter.Node, list[tree_sitter.Node], set[str], str]:
    """The parsed file, ``secret``'s publicKeys node, its operands, ``item``'s aliases and
    what the edit does (for hints); an EditError where the list is computed in a way agepy
    cannot edit."""
    parsed = _parse(source, path)
    what = f"{verb} {item.source()} {preposition} the publicKeys of {nix_string(secret)}"
    keys = _public_keys_node(parsed, secret, what)
    operands = _operands(keys, parsed)
    if operands is None:
        can_not = "extend" if verb == "add" else "change"
        raise EditError(
            f"publicKeys of {secret!r} is computed in a way agepy cannot {can_not}",
            hint=f"edit it by hand: {what}",
            **_where(parsed, keys),
        )
    return parsed, keys, operands, _aliases(parsed, item), what


def add_list_item(
    source: bytes | str, secret: str, item: Item, *, path: Path | str = "secrets.nix"
) -> bytes:
    """Append ``item`` to entry ``secret``'s publicKeys (its trailing list, or ``++ [ … ]``)."""
    parsed, keys, operands, aliases, _what = _editable_keys(source, path, secret, item, "add", "to")
    src = parsed.source
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
    parsed, keys, operands, aliases, what = _editable_keys(
        source, path, secret, item, "remove", "from"
    )
    src = parsed.source
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
        hint="check which keys the entry lists",
        reason=Reason.KEY_NOT_LISTED,
        **_where(parsed, keys),
    )
