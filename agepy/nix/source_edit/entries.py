"""Add a key binding to the top ``let`` or a new entry after the last one, in the file's style."""

from __future__ import annotations

from pathlib import Path

import tree_sitter

from agepy.age.recipients import key_canonical
from agepy.errors import EditError
from agepy.nix.parse import ParsedFile
from agepy.nix.source_edit._tree import (
    _IDENTIFIER,
    _KEYWORDS,
    Item,
    _after_statement,
    _apply,
    _attr_static,
    _attrs,
    _bindings,
    _bound_names,
    _elements,
    _entry_bindings,
    _indent,
    _indent_unit,
    _no_top,
    _one_per_line,
    _operands,
    _parse,
    _root_expression,
    _top_let,
    _walk,
    _where,
    let_key_bindings,
    nix_string,
    top_attrset,
)

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
    top = top_attrset(parsed)
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
