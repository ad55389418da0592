"""Compile a tree-sitter-nix syntax tree into Python closures.

Each expression becomes ``code(env) -> value`` (a forced value) and, where Nix is lazy,
``lazy(env) -> thunk or value``. Variables are resolved at compile time to a scope depth
(Nix scoping is static, apart from ``with``), so evaluation never searches by walking
the syntax tree again. Attribute sets and ``let`` live in :mod:`agepy.nix.attrs`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import tree_sitter

from agepy.errors import NixUnsupportedError
from agepy.nix import value_ops as ops
from agepy.nix.attrs import compile_attrset, compile_let
from agepy.nix.builtins import GLOBALS
from agepy.nix.common import (
    NO_CONSTANT,
    Code,
    Scope,
    children,
    constant,
    field,
    from_failure,
    located,
    lookup,
    reused_env,
    same_env_same_value,
    with_lookup,
)
from agepy.nix.functions import compile_function
from agepy.nix.operators import compile_binary, compile_unary
from agepy.nix.select import compile_has_attr, compile_select
from agepy.nix.strings import compile_string
from agepy.nix.values import (
    Env,
    EvalFailure,
    Location,
    NixPath,
    Thunk,
    WithEnv,
    describe,
)

__all__ = ["Code", "Compiler", "Lazy", "Scope", "constant", "field", "from_failure", "located"]

Lazy = Callable[[Env], Any]


class Compiler:
    """Compiles one file's syntax tree; ``loc`` and errors name that file."""

    def __init__(self, path: Path, source: bytes, *, share: bool = False) -> None:
        self.path = path
        self.source = source
        self.dir = path.parent
        # Big generated files repeat the same value (`admins ++ servers`) thousands of
        # times: with ``share``, equal text in the same scope compiles once. The shared
        # code carries the first occurrence's location, so callers re-run without
        # sharing to report an evaluation error at its true place.
        # Sharing mode's "name".rest = value bindings: text after the name -> its nodes.
        self.pending: dict[bytes, Any] = {}
        self.shared: dict[tuple[str, str, object, Scope | None], Any] | None = {} if share else None

    def release(self) -> None:
        """Drop what only compiling needs (its nodes keep the whole syntax tree alive)."""
        self.pending.clear()
        if self.shared is not None:
            self.shared.clear()

    # --- helpers ---------------------------------------------------------------------

    def loc(self, node: tree_sitter.Node) -> Location:
        row, column = node.start_point
        return (self.path, row + 1, column + 1)

    def text(self, node: tree_sitter.Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "surrogateescape")

    def error(self, node: tree_sitter.Node, message: str, hint: str | None = None) -> NoReturn:
        raise located(message, self.loc(node), hint=hint)

    def unsupported(self, node: tree_sitter.Node, construct: str) -> NoReturn:
        path, line, column = self.loc(node)
        raise NixUnsupportedError(construct, file=path, line=line, column=column)

    # --- dispatch --------------------------------------------------------------------

    def compile(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        kind = node.type
        shared = self.shared
        if shared is not None:
            key = ("code", kind, self.source[node.start_byte : node.end_byte], scope)
            code = shared.get(key)
            if code is None:
                code = shared[key] = self._compile(kind, node, scope)
            return code
        return self._compile(kind, node, scope)

    def _compile(self, kind: str, node: tree_sitter.Node, scope: Scope | None) -> Code:
        method = _DISPATCH.get(kind)
        if method is None:
            self.unsupported(node, kind.replace("_", " "))
        return method(self, node, scope)

    def lazy(self, node: tree_sitter.Node, scope: Scope | None) -> Lazy:
        """A maker of a thunk for ``node`` (or its value, when that costs nothing)."""
        shared = self.shared
        if shared is not None:
            key = ("lazy", node.type, self.source[node.start_byte : node.end_byte], scope)
            maker = shared.get(key)
            if maker is None:
                maker = self._lazy(node, scope)
                if node.type != "variable_expression" and reused_env(scope):
                    maker = same_env_same_value(maker)
                shared[key] = maker
            return maker
        return self._lazy(node, scope)

    def _lazy(self, node: tree_sitter.Node, scope: Scope | None) -> Lazy:
        kind = node.type
        if kind == "parenthesized_expression":
            return self.lazy(field(node, "expression"), scope)
        if kind in (
            "integer_expression",
            "float_expression",
            "string_expression",
            "indented_string_expression",
            "uri_expression",
            "list_expression",
            "function_expression",
        ):
            code = self.compile(node, scope)
            constant = getattr(code, "constant", NO_CONSTANT)
            if constant is not NO_CONSTANT:
                return lambda env: constant
            if kind in ("list_expression", "function_expression"):
                return code  # building a list or closure cannot fail: no thunk needed
            loc = self.loc(node)
            return lambda env: Thunk(code, env, loc)
        if kind == "variable_expression":
            return self.variable(node, scope, lazy=True)
        if kind in ("attrset_expression", "rec_attrset_expression"):
            return compile_attrset(self, node, scope, lazy=True)
        code = self.compile(node, scope)
        loc = self.loc(node)
        return lambda env: Thunk(code, env, loc)

    def deferred(self, node: tree_sitter.Node, scope: Scope | None) -> Lazy:
        """Like lazy(), for scopes still being filled: constants, else always a thunk."""
        code = self.compile(node, scope)
        value = getattr(code, "constant", NO_CONSTANT)
        if value is not NO_CONSTANT:
            return lambda env: value
        loc = self.loc(node)
        return lambda env: Thunk(code, env, loc)

    def c_source_code(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        exprs = children(node)
        if not exprs:
            self.error(node, "empty file", hint="a secrets.nix file holds one attribute set")
        return self.compile(exprs[0], scope)

    def c_parenthesized_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return self.compile(field(node, "expression"), scope)

    # --- literals --------------------------------------------------------------------

    def c_integer_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        value = int(self.text(node))
        if value > ops.INT_MAX:
            self.error(node, f"invalid integer '{self.text(node)}'")
        return constant(value)

    def c_float_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return constant(float(self.text(node)))

    def c_uri_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return constant(self.text(node))

    def c_string_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return compile_string(self, node, scope, indented=False)

    def c_indented_string_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return compile_string(self, node, scope, indented=True)

    def c_path_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        parts = children(node)
        if self.text(node).endswith("/") and len(self.text(node)) > 1:
            self.error(node, "path has a trailing slash", hint="remove the final /")
        if len(parts) == 1 and parts[0].type == "path_fragment":
            return constant(NixPath(self.resolve_path(self.text(parts[0]))))
        pieces: list[str | Code] = []
        for part in parts:
            if part.type == "path_fragment":
                pieces.append(self.text(part))
            else:
                pieces.append(self.compile(field(part, "expression"), scope))
        loc = self.loc(node)
        resolve = self.resolve_path

        def path(env: Env) -> Any:
            text = []
            for piece in pieces:
                if isinstance(piece, str):
                    text.append(piece)
                else:
                    try:
                        text.append(ops.coerce_to_string(piece(env)))
                    except EvalFailure as exc:
                        raise from_failure(exc, loc) from None
            return NixPath(resolve("".join(text)))

        return path

    def resolve_path(self, text: str) -> str:
        if text.startswith("/"):
            return ops.canon_path(text)
        return ops.canon_path(os.path.join(os.path.abspath(self.dir), text))  # noqa: PTH100, PTH118

    def c_hpath_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        text = self.text(node)
        home = os.environ.get("HOME")
        if home is None or "${" in text:
            self.unsupported(node, f"home path {text}")
        return constant(NixPath(ops.canon_path(home + text[1:])))

    def c_spath_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return self.deferred_unsupported(node, f"search path {self.text(node)}")

    def c_let_attrset_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return self.deferred_unsupported(node, "let { … } (old let syntax)")

    def deferred_unsupported(self, node: tree_sitter.Node, construct: str) -> Code:
        """Nix is lazy: an unsupported construct only fails if its value is needed."""
        path, line, column = self.loc(node)

        def fail(env: Env) -> Any:
            raise NixUnsupportedError(construct, file=path, line=line, column=column)

        return fail

    # --- variables -------------------------------------------------------------------

    def c_variable_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return self.variable(node, scope, lazy=False)

    def variable(
        self, node: tree_sitter.Node, scope: Scope | None, *, lazy: bool, name: str | None = None
    ) -> Code:
        """Resolve a variable: a scope depth, a ``with``, or a builtin."""
        name = self.text(node) if name is None else name
        depth = 0
        with_depths: list[int] = []
        current = scope
        while current is not None:
            if current.is_with:
                with_depths.append(depth)
            elif name in current.names:
                return lookup(name, depth, lazy)
            depth += 1
            current = current.parent
        if name in GLOBALS:
            return constant(GLOBALS[name])
        loc = self.loc(node)
        if not with_depths:
            self.error(node, f"undefined variable '{name}'")
        return with_lookup(name, with_depths, loc, lazy)

    # --- functions -------------------------------------------------------------------

    def c_function_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return compile_function(self, node, scope)

    def c_apply_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        args: list[Lazy] = []
        while node.type == "apply_expression":
            args.append(self.lazy(field(node, "argument"), scope))
            node = field(node, "function")
            while node.type == "parenthesized_expression":
                node = field(node, "expression")
        args.reverse()
        function = self.compile(node, scope)
        loc = self.loc(node)
        call = ops.call

        if len(args) == 1:
            (arg,) = args

            def apply1(env: Env) -> Any:
                try:
                    return call(function(env), arg(env))
                except EvalFailure as exc:
                    raise from_failure(exc, loc) from None

            return apply1

        def apply(env: Env) -> Any:
            value = function(env)
            try:
                for arg in args:
                    value = call(value, arg(env))
            except EvalFailure as exc:
                raise from_failure(exc, loc) from None
            return value

        return apply

    # --- control ---------------------------------------------------------------------

    def c_if_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        condition = self.compile(field(node, "condition"), scope)
        then = self.compile(field(node, "consequence"), scope)
        otherwise = self.compile(field(node, "alternative"), scope)
        loc = self.loc(node)

        def if_(env: Env) -> Any:
            test = condition(env)
            if test is True:
                return then(env)
            if test is False:
                return otherwise(env)
            raise located(f"value is {describe(test)} while a Boolean was expected", loc)

        return if_

    def c_assert_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        cond_node = field(node, "condition")
        condition = self.compile(cond_node, scope)
        body = self.compile(field(node, "body"), scope)
        loc = self.loc(node)
        text = self.text(cond_node)

        def assert_(env: Env) -> Any:
            test = condition(env)
            if test is True:
                return body(env)
            if test is False:
                raise located(f"assertion '{text}' failed", loc, thrown=True)
            raise located(f"value is {describe(test)} while a Boolean was expected", loc)

        return assert_

    def c_with_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        environment = self.lazy(field(node, "environment"), scope)
        body = self.compile(field(node, "body"), Scope(frozenset(), scope, is_with=True))
        return lambda env: body(WithEnv(environment(env), env))

    def c_let_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return compile_let(self, node, scope)

    def c_attrset_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return compile_attrset(self, node, scope, lazy=False)

    c_rec_attrset_expression = c_attrset_expression

    def c_list_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        items = [self.lazy(item, scope) for item in children(node)]
        if not items:
            return constant([])
        return lambda env: [item(env) for item in items]

    def c_select_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return compile_select(self, node, scope)

    def c_has_attr_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return compile_has_attr(self, node, scope)

    def c_unary_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return compile_unary(self, node, scope)

    def c_binary_expression(self, node: tree_sitter.Node, scope: Scope | None) -> Code:
        return compile_binary(self, node, scope)


_DISPATCH: dict[str, Callable[[Compiler, tree_sitter.Node, Scope | None], Code]] = {
    name[2:]: method for name, method in vars(Compiler).items() if name.startswith("c_")
}
