"""Nix's operators and coercions on forced values (shared by the compiler and builtins)."""

from __future__ import annotations

import posixpath
from typing import Any

from agepy.nix.storepath import store_path
from agepy.nix.values import EvalFailure, Lambda, NixPath, PrimOp, describe, force

__all__ = [
    "add",
    "call",
    "canon_path",
    "coerce_to_string",
    "compare",
    "nix_eq",
    "to_string",
]

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1


def wrap_int(value: int) -> int:
    """64-bit two's complement, as Nix's integers overflow."""
    if INT_MIN <= value <= INT_MAX:
        return value
    return (value - INT_MIN) % 2**64 + INT_MIN


def is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float


def canon_path(path: str) -> str:
    """Nix's canonPath: absolute, no `.`/`..`/double or trailing slashes (lexically)."""
    normal = posixpath.normpath(path)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    return normal


def call(function: Any, arg: Any) -> Any:
    """Apply a forced function value to an argument (a thunk or value)."""
    kind = type(function)
    if kind is Lambda or kind is PrimOp:
        return function.apply(arg)
    if kind is dict and "__functor" in function:
        functor = force(function["__functor"])
        return call(call(functor, function), arg)
    raise EvalFailure(f"attempt to call something which is not a function but {describe(function)}")


def coerce_to_string(value: Any, *, what: str = "interpolation") -> str:
    """String interpolation's coercion: strings only (and sets with __toString/outPath)."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is NixPath:
        return store_path(value.path)  # Nix copies the file to the store: its store path
    if kind is dict:
        if "__toString" in value:
            return coerce_to_string(force(call(force(value["__toString"]), value)), what=what)
        if "outPath" in value:
            return coerce_to_string(force(value["outPath"]), what=what)
    raise EvalFailure(f"cannot coerce {describe(value)} to a string")


def to_string(value: Any) -> str:
    """``builtins.toString``: also numbers, booleans, null, lists and paths."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    if kind is int:
        return str(value)
    if kind is float:
        return f"{value:f}"
    if kind is NixPath:
        return value.path  # type: ignore[no-any-return]
    if kind is list:
        return " ".join(to_string(force(item)) for item in value)
    if kind is dict:
        if "__toString" in value:
            return to_string(force(call(force(value["__toString"]), value)))
        if "outPath" in value:
            return to_string(force(value["outPath"]))
    raise EvalFailure(f"cannot coerce {describe(value)} to a string")


def add(left: Any, right: Any) -> Any:
    """The `+` operator."""
    kl, kr = type(left), type(right)
    if kl is int and kr is int:
        return wrap_int(left + right)
    if is_number(left) and is_number(right):
        return float(left) + float(right)
    if kl is str:
        return left + coerce_to_string(right)
    if kl is NixPath:
        if kr is NixPath:
            return NixPath(canon_path(left.path + right.path))
        if kr is str:
            return NixPath(canon_path(left.path + right))
        return NixPath(canon_path(left.path + coerce_to_string(right)))
    if kl is dict and ("__toString" in left or "outPath" in left):
        return coerce_to_string(left) + coerce_to_string(right)
    if is_number(left):
        raise EvalFailure(f"cannot add {describe(right)} to {describe(left)}")
    raise EvalFailure(f"cannot coerce {describe(left)} to a string")


def nix_eq(left: Any, right: Any) -> bool:
    """Deep equality, as `==`."""
    left = force(left)
    right = force(right)
    kl, kr = type(left), type(right)
    if kl is int or kl is float:
        return (kr is int or kr is float) and left == right
    if kl is not kr:
        return False
    if kl is bool or left is None:
        return left is right
    if kl is str or kl is NixPath:
        return left == right  # type: ignore[no-any-return]
    if kl is list:
        return len(left) == len(right) and all(
            nix_eq(a, b) for a, b in zip(left, right, strict=True)
        )
    if kl is dict:
        if is_derivation(left) and is_derivation(right):
            return nix_eq(left.get("outPath"), right.get("outPath"))
        if len(left) != len(right):
            return False
        return all(name in right and nix_eq(value, right[name]) for name, value in left.items())
    return False  # functions are never equal


def is_derivation(value: dict[str, Any]) -> bool:
    kind = value.get("type")
    return kind is not None and force(kind) == "derivation"


def compare(left: Any, right: Any) -> bool:
    """``left < right`` (numbers, strings, paths, lists)."""
    kl, kr = type(left), type(right)
    if (kl is int or kl is float) and (kr is int or kr is float):
        return left < right  # type: ignore[no-any-return]
    if kl is str and kr is str:
        return bool(
            left.encode("utf-8", "surrogateescape") < right.encode("utf-8", "surrogateescape")
        )
    if kl is NixPath and kr is NixPath:
        return left.path < right.path  # type: ignore[no-any-return]
    if kl is list and kr is list:
        for a, b in zip(left, right, strict=False):
            a, b = force(a), force(b)
            if not nix_eq(a, b):
                return compare(a, b)
        return len(left) < len(right)
    raise EvalFailure(f"cannot compare {describe(left)} with {describe(right)}")
