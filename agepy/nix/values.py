"""Runtime values of the built-in Nix evaluator: thunks, environments, functions, paths.

Nix values map onto Python values: int, float, bool, None (null), str (strings, context
ignored), list (elements may be thunks), dict (attribute sets; values may be thunks),
:class:`NixPath`, :class:`Lambda` and :class:`PrimOp` (functions).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agepy.errors import NixEvalError

__all__ = [
    "Env",
    "EvalFailure",
    "Lambda",
    "Location",
    "NixPath",
    "PrimOp",
    "Thunk",
    "WithEnv",
    "force",
    "json_float",
    "type_name",
]

# (file, line, column) of an expression, for error messages.
Location = tuple[Path, int, int]
# A compiled expression: evaluates in an environment to a forced (WHNF) value.
Code = Callable[["Env"], Any]

_PENDING = object()
_RUNNING = object()


class EvalFailure(Exception):
    """An error raised inside a builtin, not yet located (the call site adds file:line)."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        thrown: bool = False,
        unsupported: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.thrown = thrown  # from throw/assert: tryEval catches these
        self.unsupported = unsupported  # a construct only real Nix evaluates


class Thunk:
    """A delayed expression; forcing it twice evaluates it once."""

    __slots__ = ("code", "env", "loc", "value")

    def __init__(self, code: Code, env: Env, loc: Location | None = None) -> None:
        self.code: Code | None = code
        self.env: Env | None = env
        self.loc = loc
        self.value: Any = _PENDING

    def force(self) -> Any:
        value = self.value
        if value is _PENDING:
            self.value = _RUNNING
            try:
                value = self.code(self.env)  # type: ignore[misc, arg-type]
            except BaseException:
                self.value = _PENDING
                raise
            self.value = value
            self.code = self.env = None
            return value
        if value is _RUNNING:
            file, line, column = self.loc or (None, None, None)
            raise NixEvalError(
                "infinite recursion encountered",
                file=file,
                line=line,
                column=column,
                hint="a value depends on itself; check the bindings named here",
            )
        return value


class Evaluated(Thunk):
    """A thunk that already holds its value (used to share forced values)."""

    __slots__ = ()

    def __init__(self, value: Any) -> None:
        self.code = None
        self.env = None
        self.loc = None
        self.value = value


def force(value: Any) -> Any:
    """The value itself, or the value of a thunk."""
    return value.force() if isinstance(value, Thunk) else value


class Env:
    """One lexical scope: ``vals`` maps names to thunks or values."""

    __slots__ = ("memo", "up", "vals")

    def __init__(self, vals: dict[str, Any], up: Env | None) -> None:
        self.vals = vals
        self.up = up
        self.memo: dict[object, Any] | None = None  # see common.same_env_same_value


class WithEnv(Env):
    """The scope a ``with e;`` opens: ``attrs`` is a thunk of ``e``."""

    __slots__ = ("attrs",)

    def __init__(self, attrs: Any, up: Env | None) -> None:
        super().__init__({}, up)
        self.attrs = attrs


class NixPath:
    """A Nix path value (absolute, normalised)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NixPath) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"NixPath({self.path!r})"


class Lambda:
    """A user-defined function: ``x: body`` or ``{ a, b ? d, ... }@x: body``."""

    __slots__ = ("apply", "formals", "has_ellipsis", "loc")

    def __init__(
        self,
        apply: Callable[[Any], Any],
        formals: dict[str, bool] | None,
        has_ellipsis: bool,
        loc: Location,
    ) -> None:
        self.apply = apply  # argument (thunk or value) -> forced result
        self.formals = formals  # name -> has default; None for a plain `x:` function
        self.has_ellipsis = has_ellipsis
        self.loc = loc


class PrimOp:
    """A builtin function of ``arity`` arguments, possibly partially applied."""

    __slots__ = ("args", "arity", "fn", "name")

    def __init__(
        self, name: str, arity: int, fn: Callable[..., Any], args: tuple[Any, ...] = ()
    ) -> None:
        self.name = name
        self.arity = arity
        self.fn = fn
        self.args = args

    def apply(self, arg: Any) -> Any:
        args = (*self.args, arg)
        if len(args) == self.arity:
            return self.fn(*args)
        return PrimOp(self.name, self.arity, self.fn, args)


def type_name(value: Any) -> str:
    """Nix's ``builtins.typeOf`` name of a forced value."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "bool"
    kind = type(value)
    if kind is int:
        return "int"
    if kind is float:
        return "float"
    if kind is str:
        return "string"
    if kind is list:
        return "list"
    if kind is dict:
        return "set"
    if kind is NixPath:
        return "path"
    return "lambda"


_ARTICLE = {"int": "an integer", "set": "a set", "list": "a list", "lambda": "a function"}


def describe(value: Any) -> str:
    """``a string``, ``an integer``… as in Nix's type errors."""
    name = type_name(value)
    if name in _ARTICLE:
        return _ARTICLE[name]
    return f"{name}" if name == "null" else f"a {name}"


def json_float(value: float) -> float | int:
    """A float as nix-instantiate --json prints it (C++ ostream: 6 significant digits)."""
    if not math.isfinite(value):
        raise EvalFailure(f"cannot convert {value} to JSON")
    text = f"{value:.6g}"
    if "e" in text or "." in text or text in ("inf", "-inf", "nan"):
        return float(text)
    return int(text)  # 100000.0 prints as 100000, which json.loads reads as an int
