"""Compile attribute sets, ``rec`` sets and ``let``: dotted paths, merging, inherit."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import tree_sitter

from agepy.errors import NixSyntaxError
from agepy.nix.common import Scope, constant, located, reused_env, same_env_same_value
from agepy.nix.parse import unparen
from agepy.nix.select import select_one, static_attr_name
from agepy.nix.values import Env, Location, Thunk, describe

if TYPE_CHECKING:
    from agepy.nix.compile import Compiler

__all__ = ["compile_attrset", "compile_let", "static_attr_name"]

Maker = Callable[[Env], Any]
# A binding's first attribute name, when plain: `name` or `"name"` (nothing to unescape).
# The rest of a binding that is just a plain string: `= "text";`.
_PLAIN_STRING_VALUE = re.compile(rb'=[ \t\n]*"([^"\\$\r]*)"[ \t\n]*;')
_SIMPLE_NAME = re.compile(rb'(?:"([^"\\$\r]*)"|([A-Za-z_][A-Za-z0-9_\'-]*))[ \t\n]*(?=[.=])')


class AttrNode:
    """One attribute set being assembled from bindings, before compilation."""

    __slots__ = ("dynamic", "dynamic_inside", "rec", "sources", "static", "where")

    def __init__(self, rec: bool) -> None:
        self.rec = rec
        # name -> ("expr", node) | ("inherit", node, name) | ("from", index, name, node) | AttrNode
        self.static: dict[str, Any] = {}
        self.where: dict[str, tree_sitter.Node] = {}  # for "already defined at"
        self.dynamic: list[tuple[tree_sitter.Node, Any]] = []
        self.sources: list[tree_sitter.Node] = []
        self.dynamic_inside: bool | None = None  # memo of _has_dynamic


def _components(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [c for c in node.named_children if c.type != "comment"]


def collect(compiler: Compiler, node: tree_sitter.Node, rec: bool) -> AttrNode:
    """Gather the bindings under a set or let node (its binding_set) into an AttrNode."""
    target = AttrNode(rec)
    for binding_set in node.named_children:
        if binding_set.type != "binding_set":
            continue
        for binding in _components(binding_set):
            if binding.type == "binding":
                if compiler.shared is not None and _add_pending(compiler, target, binding):
                    continue
                path = _components(binding.child_by_field_name("attrpath"))  # type: ignore[arg-type]
                value = binding.child_by_field_name("expression")
                _add_path(compiler, target, path, value, binding)  # type: ignore[arg-type]
            elif binding.type in ("inherit", "inherit_from"):
                attrs = binding.child_by_field_name("attrs")
                source = binding.child_by_field_name("expression")
                index = len(target.sources)
                if source is not None:
                    target.sources.append(source)
                for attr in _components(attrs) if attrs is not None else []:
                    name = static_attr_name(compiler, attr)
                    if name is None:
                        compiler.error(attr, "dynamic attributes not allowed in inherit")
                    entry = (
                        ("inherit", attr, name) if source is None else ("from", index, name, attr)
                    )
                    _define(compiler, target, name, entry, attr)
    return target


def _add_pending(compiler: Compiler, target: AttrNode, binding: tree_sitter.Node) -> bool:
    """Record ``name… = value;`` by its text, without looking inside (sharing mode only).

    A big file's entries mostly repeat the same text after their name: each distinct
    text is collected and compiled once, on first use (see compile_node). Only the first
    binding of each text keeps its node; there is no `where` either, as an error re-runs
    without sharing and says where. False when the binding needs the general path.
    """
    source = compiler.source
    end = binding.end_byte
    match = _SIMPLE_NAME.match(source, binding.start_byte, end)
    if match is None:
        return False
    quoted, plain = match.groups()
    name = (plain if quoted is None else quoted).decode("utf-8", "surrogateescape")
    if name in target.static:
        return False
    key = source[match.end() : end]  # `.publicKeys = … ;` or `= { … };`
    plain = _PLAIN_STRING_VALUE.fullmatch(key)
    if plain is not None:  # `alice = "ssh-ed25519 …";`, the commonest line of all
        target.static[name] = ("const", plain[1].decode("utf-8", "surrogateescape"))
        return True
    pending = compiler.pending
    if key not in pending:
        pending[key] = binding
    target.static[name] = ("pending", key)
    return True


def _materialise(compiler: Compiler, entry: tuple[Any, ...]) -> Any:
    """The AttrNode (or ``("expr", node)``) a ``pending`` entry stands for."""
    binding = compiler.pending[entry[1]]
    path = _components(binding.child_by_field_name("attrpath"))
    value = binding.child_by_field_name("expression")
    if len(path) > 1:
        nested = AttrNode(False)
        _add_path(compiler, nested, path[1:], value, binding)
        return nested
    inner = unparen(value)
    if inner.type in ("attrset_expression", "rec_attrset_expression"):
        return collect(compiler, inner, inner.type == "rec_attrset_expression")
    return ("expr", value)


def _existing(compiler: Compiler, target: AttrNode, name: str) -> Any:
    """The entry for ``name`` (pending ones made real, as a merge is coming)."""
    existing = target.static.get(name)
    if type(existing) is tuple and existing[0] == "pending":
        existing = target.static[name] = _materialise(compiler, existing)
    return existing


def _define(
    compiler: Compiler, target: AttrNode, name: str, entry: Any, node: tree_sitter.Node
) -> None:
    if name in target.static:
        existing = _existing(compiler, target, name)
        if isinstance(existing, AttrNode) and isinstance(entry, AttrNode):
            # `a = { … }; a.b = …;` merge, as Nix's parser does.
            offset = len(existing.sources)
            existing.sources.extend(entry.sources)
            for inner_name, inner in entry.static.items():
                if isinstance(inner, tuple) and inner[0] == "from":
                    inner = ("from", inner[1] + offset, inner[2], inner[3])
                _define(compiler, existing, inner_name, inner, node)
            existing.dynamic.extend(entry.dynamic)
            return
        _duplicate(compiler, target, name, node)
    target.static[name] = entry
    target.where[name] = node


def _duplicate(compiler: Compiler, target: AttrNode, name: str, node: tree_sitter.Node) -> None:
    path, line, column = compiler.loc(target.where.get(name, node))
    compiler.error(node, f"attribute '{name}' already defined at {path}:{line}:{column}")


def _add_path(
    compiler: Compiler,
    target: AttrNode,
    path: list[tree_sitter.Node],
    value: tree_sitter.Node,
    binding: tree_sitter.Node,
) -> None:
    current = target
    for component in path[:-1]:
        name = static_attr_name(compiler, component)
        if name is None:
            nested = AttrNode(False)
            current.dynamic.append((component, nested))
            current = nested
            continue
        existing = _existing(compiler, current, name)
        if existing is None:
            nested = AttrNode(False)
            current.static[name] = nested
            current.where[name] = component
            current = nested
        elif isinstance(existing, AttrNode):
            current = existing
        else:
            _duplicate(compiler, current, name, component)
    inner = unparen(value)
    entry: Any
    if inner.type in ("attrset_expression", "rec_attrset_expression"):
        entry = collect(compiler, inner, inner.type == "rec_attrset_expression")
    else:
        entry = ("expr", value)
    last = path[-1]
    name = static_attr_name(compiler, last)
    if name is None:
        current.dynamic.append((last, entry))
    else:
        _define(compiler, current, name, entry, last)


def _has_dynamic(node: AttrNode) -> bool:
    """Whether building this set (or a set nested in it) evaluates dynamic names."""
    if node.dynamic_inside is None:
        node.dynamic_inside = bool(node.dynamic) or any(
            isinstance(entry, AttrNode) and _has_dynamic(entry) for entry in node.static.values()
        )
    return node.dynamic_inside


def compile_node(compiler: Compiler, node: AttrNode, scope: Scope | None) -> Maker:
    """A builder: env (where the set is evaluated) -> the new env (rec) or the dict."""

    value_scope = Scope(set(node.static), scope) if node.rec else scope
    rec = node.rec
    # A rec set or let fills its own scope: nothing may look into it before it is full,
    # so every binding becomes a thunk (a plain set's scope is complete already).
    lazy = _deferred if rec else _lazy
    sources = [lazy(compiler, source, value_scope) for source in node.sources]
    items: list[tuple[str, Any, Any]] = []  # (name, kind, maker)
    for name, entry in node.static.items():
        if isinstance(entry, AttrNode):
            items.append((name, "make", _nested(compiler, entry, value_scope, defer=rec)))
        elif entry[0] == "expr":
            items.append((name, "make", lazy(compiler, entry[1], value_scope)))
        elif entry[0] == "pending":
            items.append((name, "make", _pending_maker(compiler, entry, value_scope, rec)))
        elif entry[0] == "const":
            items.append((name, "make", constant(entry[1])))
        elif entry[0] == "inherit":
            variable = compiler.variable(entry[1], scope, lazy=True, name=name)
            items.append((name, "outer" if rec else "make", variable))
        else:
            items.append((name, "from", (entry[1], compiler.loc(entry[3]))))
    dynamic: list[tuple[Any, Maker, Location]] = []
    for key_node, entry in node.dynamic:
        key = (
            key_node.child_by_field_name("expression")
            if key_node.type == "interpolation"
            else key_node
        )
        key_code = compiler.compile(key, value_scope)  # type: ignore[arg-type]
        if isinstance(entry, AttrNode):
            maker = _nested(compiler, entry, value_scope)
        else:
            maker = compiler.lazy(entry[1], value_scope)
        dynamic.append((key_code, maker, compiler.loc(key_node)))
    simple = all(kind == "make" for _, kind, _ in items) and not sources
    makers = [(name, maker) for name, _, maker in items]

    def build(env: Env) -> Any:
        vals: dict[str, Any] = {}
        value_env = Env(vals, env) if rec else env
        if simple:
            for name, maker in makers:
                vals[name] = maker(value_env)
        else:
            made = [make(value_env) for make in sources]
            for name, kind, maker in items:
                if kind == "make":
                    vals[name] = maker(value_env)
                elif kind == "outer":
                    vals[name] = maker(env)
                else:
                    index, loc = maker
                    vals[name] = Thunk(select_one(made[index], name, loc), value_env, loc)
        if dynamic:
            result = dict(vals) if rec else vals
            for key_code, maker, loc in dynamic:
                _add_dynamic(result, key_code(value_env), maker(value_env), loc)
            return (value_env, result)
        return (value_env, vals)

    return build


def _add_dynamic(result: dict[str, Any], key: Any, value: Any, loc: Location) -> None:

    if key is None:
        return  # `${null} = …` defines nothing
    if type(key) is not str:
        raise located(f"value is {describe(key)} while a string was expected", loc)
    if key in result:
        raise located(f"dynamic attribute '{key}' already defined", loc)
    result[key] = value


def _lazy(compiler: Compiler, node: tree_sitter.Node, scope: Scope | None) -> Maker:
    return compiler.lazy(node, scope)


def _deferred(compiler: Compiler, node: tree_sitter.Node, scope: Scope | None) -> Maker:
    """A thunk maker that does no work (not even a variable lookup) until forced."""
    return compiler.deferred(node, scope)


def _nested(
    compiler: Compiler, node: AttrNode, scope: Scope | None, *, defer: bool = False
) -> Maker:
    shared = compiler.shared
    if shared is not None:
        shape = _shape(compiler, node)
        if shape is not None:
            key = ("nested", str(defer), shape, scope)
            maker = shared.get(key)
            if maker is None:
                maker = _compile_nested(compiler, node, scope, defer)
                if reused_env(scope):
                    maker = same_env_same_value(maker)
                shared[key] = maker
            return maker
    return _compile_nested(compiler, node, scope, defer)


def _pending_maker(
    compiler: Compiler, entry: tuple[Any, ...], scope: Scope | None, defer: bool
) -> Maker:
    shared = compiler.shared
    assert shared is not None  # pending entries exist only when sharing
    key = ("pending", str(defer), entry[1], scope)
    maker = shared.get(key)
    if maker is None:
        real = _materialise(compiler, entry)
        if isinstance(real, AttrNode):
            maker = _compile_nested(compiler, real, scope, defer)
            if reused_env(scope):
                maker = same_env_same_value(maker)
        else:
            maker = (_deferred if defer else _lazy)(compiler, real[1], scope)
        shared[key] = maker
    return maker


def _shape(compiler: Compiler, node: AttrNode) -> tuple[Any, ...] | None:
    """A key two sets with the same bindings share (None: too complex to tell)."""
    if node.rec or node.dynamic or node.sources:
        return None
    parts: list[tuple[str, Any]] = []
    for name, entry in node.static.items():
        if isinstance(entry, AttrNode):
            inner = _shape(compiler, entry)
            if inner is None:
                return None
            parts.append((name, inner))
        elif entry[0] == "expr":
            value = entry[1]
            parts.append((name, compiler.source[value.start_byte : value.end_byte]))
        elif entry[0] in ("pending", "const"):
            parts.append((name, entry))
        else:
            return None
    return tuple(parts)


def _compile_nested(compiler: Compiler, node: AttrNode, scope: Scope | None, defer: bool) -> Maker:
    build = compile_node(compiler, node, scope)
    if defer or _has_dynamic(node):
        return lambda env: Thunk(lambda e: build(e)[1], env)
    return lambda env: build(env)[1]


def compile_attrset(
    compiler: Compiler, node: tree_sitter.Node, scope: Scope | None, *, lazy: bool
) -> Maker:
    """A set or rec set literal; lazy makers skip the thunk when building cannot fail."""
    attr_node = collect(compiler, node, node.type == "rec_attrset_expression")
    build = compile_node(compiler, attr_node, scope)
    if lazy and _has_dynamic(attr_node):
        loc = compiler.loc(node)
        return lambda env: Thunk(lambda e: build(e)[1], env, loc)
    return lambda env: build(env)[1]


def compile_let(compiler: Compiler, node: tree_sitter.Node, scope: Scope | None) -> Maker:
    """``let … in body``."""

    attr_node = collect(compiler, node, True)
    if attr_node.dynamic:
        path, line, column = compiler.loc(attr_node.dynamic[0][0])
        raise NixSyntaxError(
            "dynamic attributes not allowed in let",
            file=path,
            line=line,
            column=column,
            hint="name let bindings plainly (a = …;), not with ${…}",
        )
    build = compile_node(compiler, attr_node, scope)
    body_node = node.child_by_field_name("body")
    if body_node is None:
        compiler.error(node, "let without body")
    body = compiler.compile(body_node, Scope(set(attr_node.static), scope))
    return lambda env: body(build(env)[0])
