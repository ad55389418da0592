"""Nix's builtins that secrets.nix files use, and the global scope.

Builtins receive their arguments unforced (thunks or values) and force what they need.
Errors are raised as :class:`EvalFailure`; the call site turns them into a located
NixEvalError. A builtin real Nix has but this evaluator lacks raises NixUnsupportedError
when called, so evaluator="auto" can fall back to nix-instantiate.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from typing import Any

from agepy.nix import ops
from agepy.nix.builtins_data import DATA_BUILTINS
from agepy.nix.operators import arith
from agepy.nix.values import (
    EvalFailure,
    Lambda,
    PrimOp,
    Thunk,
    describe,
    force,
    type_name,
)

__all__ = ["BUILTINS", "GLOBALS", "IMPORT_HOOK", "UNSUPPORTED_GLOBALS"]

# eval.py installs the import function of the running evaluation here.
IMPORT_HOOK: list[Callable[[Any], Any]] = []


def forced(kind: str, value: Any) -> Any:
    """Force ``value`` and check its Nix type ("set", "list", "string", "int", …)."""
    value = force(value)
    actual = type_name(value)
    if actual != kind:
        if kind == "int" and actual == "float":
            return value
        article = {"int": "an integer", "set": "a set", "list": "a list", "lambda": "a function"}
        raise EvalFailure(
            f"value is {describe(value)} while {article.get(kind, 'a ' + kind)} was expected"
        )
    return value


def later(function: Any, *args: Any) -> Thunk:
    """A thunk of ``function arg1 arg2…`` (map, mapAttrs, genList are lazy per element)."""

    def code(_env: Any) -> Any:
        result = force(function)
        for arg in args:
            result = ops.call(result, arg)
        return force(result)

    return Thunk(code, None)  # type: ignore[arg-type]


def apply(function: Any, *args: Any) -> Any:
    result = force(function)
    for arg in args:
        result = ops.call(result, arg)
    return force(result)


def _bool_result(function: Any, *args: Any) -> bool:
    result = apply(function, *args)
    if result is not True and result is not False:
        raise EvalFailure(f"value is {describe(result)} while a Boolean was expected")
    return result


# --- attribute sets ------------------------------------------------------------------


def attr_names(attrs: Any) -> list[str]:
    return sorted(forced("set", attrs))


def attr_values(attrs: Any) -> list[Any]:
    attrs = forced("set", attrs)
    return [attrs[name] for name in sorted(attrs)]


def get_attr(name: Any, attrs: Any) -> Any:
    name, attrs = forced("string", name), forced("set", attrs)
    if name not in attrs:
        raise EvalFailure(f"attribute '{name}' missing")
    return force(attrs[name])


def has_attr(name: Any, attrs: Any) -> bool:
    return forced("string", name) in forced("set", attrs)


def remove_attrs(attrs: Any, names: Any) -> dict[str, Any]:
    attrs = forced("set", attrs)
    drop = {forced("string", name) for name in forced("list", names)}
    return {name: value for name, value in attrs.items() if name not in drop}


def intersect_attrs(left: Any, right: Any) -> dict[str, Any]:
    left, right = forced("set", left), forced("set", right)
    return {name: value for name, value in right.items() if name in left}


def list_to_attrs(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in forced("list", items):
        entry = forced("set", item)
        if "name" not in entry:
            raise EvalFailure("attribute 'name' missing")
        name = forced("string", entry["name"])
        if name not in out:  # the first definition wins
            if "value" not in entry:
                raise EvalFailure("attribute 'value' missing")
            out[name] = entry["value"]
    return out


def map_attrs(function: Any, attrs: Any) -> dict[str, Any]:
    return {name: later(function, name, value) for name, value in forced("set", attrs).items()}


def cat_attrs(name: Any, items: Any) -> list[Any]:
    name = forced("string", name)
    sets = (forced("set", item) for item in forced("list", items))
    return [attrs[name] for attrs in sets if name in attrs]


def zip_attrs_with(function: Any, items: Any) -> dict[str, Any]:
    grouped: dict[str, list[Any]] = {}
    for item in forced("list", items):
        for name, value in forced("set", item).items():
            grouped.setdefault(name, []).append(value)
    return {name: later(function, name, values) for name, values in grouped.items()}


def function_args(function: Any) -> dict[str, Any]:
    function = force(function)
    if type(function) is Lambda:
        return dict(function.formals or {})
    if type(function) is PrimOp:
        return {}
    raise EvalFailure(f"value is {describe(function)} while a function was expected")


# --- lists ---------------------------------------------------------------------------


def map_list(function: Any, items: Any) -> list[Any]:
    return [later(function, item) for item in forced("list", items)]


def filter_list(function: Any, items: Any) -> list[Any]:
    return [item for item in forced("list", items) if _bool_result(function, item)]


def concat_lists(lists: Any) -> list[Any]:
    return [item for inner in forced("list", lists) for item in forced("list", inner)]


def concat_map(function: Any, items: Any) -> list[Any]:
    out: list[Any] = []
    for item in forced("list", items):
        out.extend(forced("list", apply(function, item)))
    return out


def elem(value: Any, items: Any) -> bool:
    return any(ops.nix_eq(value, item) for item in forced("list", items))


def elem_at(items: Any, index: Any) -> Any:
    items, index = forced("list", items), forced("int", index)
    if type(index) is not int or not 0 <= index < len(items):
        raise EvalFailure(f"list index {index} is out of bounds")
    return force(items[index])


def head(items: Any) -> Any:
    items = forced("list", items)
    if not items:
        raise EvalFailure("list index 0 is out of bounds")
    return force(items[0])


def tail(items: Any) -> list[Any]:
    items = forced("list", items)
    if not items:
        raise EvalFailure("'tail' called on an empty list")
    return items[1:]  # type: ignore[no-any-return]


def gen_list(function: Any, count: Any) -> list[Any]:
    count = forced("int", count)
    if count < 0:
        raise EvalFailure(f"cannot create list of size {count}")
    return [later(function, index) for index in range(count)]


def foldl_strict(function: Any, initial: Any, items: Any) -> Any:
    accumulator = force(initial)
    for item in forced("list", items):
        accumulator = apply(function, accumulator, item)
    return accumulator


def any_of(function: Any, items: Any) -> bool:
    return any(_bool_result(function, item) for item in forced("list", items))


def all_of(function: Any, items: Any) -> bool:
    return all(_bool_result(function, item) for item in forced("list", items))


def partition(function: Any, items: Any) -> dict[str, Any]:
    right: list[Any] = []
    wrong: list[Any] = []
    for item in forced("list", items):
        (right if _bool_result(function, item) else wrong).append(item)
    return {"right": right, "wrong": wrong}


def group_by(function: Any, items: Any) -> dict[str, Any]:
    out: dict[str, list[Any]] = {}
    for item in forced("list", items):
        out.setdefault(forced("string", apply(function, item)), []).append(item)
    return dict(out)


def sort_list(function: Any, items: Any) -> list[Any]:
    def order(left: Any, right: Any) -> int:
        if _bool_result(function, left, right):
            return -1
        return 1 if _bool_result(function, right, left) else 0

    return sorted(forced("list", items), key=functools.cmp_to_key(order))


# --- control and types ---------------------------------------------------------------


def throw(message: Any) -> Any:
    raise EvalFailure(forced("string", message), thrown=True)


def abort(message: Any) -> Any:
    text = ops.to_string(force(message))
    raise EvalFailure(f"evaluation aborted with the following error message: '{text}'")


def deep_force(value: Any) -> Any:
    """Force a value and everything inside it (iteratively: no recursion limit)."""
    value = force(value)
    stack = [value]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        kind = type(current)
        if (kind is list or kind is dict) and id(current) not in seen:
            seen.add(id(current))
            stack.extend(force(item) for item in (current if kind is list else current.values()))
    return value


def try_eval(value: Any) -> dict[str, Any]:
    from agepy.errors import NixEvalError, NixUnsupportedError

    try:
        result = force(value)
    except EvalFailure as exc:
        if not exc.thrown:
            raise
        return {"success": False, "value": False}
    except NixUnsupportedError:
        raise
    except NixEvalError as exc:
        if not getattr(exc, "thrown", False):
            raise
        return {"success": False, "value": False}
    return {"success": True, "value": result}


def trace(message: Any, value: Any) -> Any:
    import sys

    shown = force(message)
    print(f"trace: {shown if type(shown) is str else ops.to_string(shown)}", file=sys.stderr)
    return force(value)


def import_file(target: Any) -> Any:
    if not IMPORT_HOOK:
        raise EvalFailure("import outside an evaluation")
    return IMPORT_HOOK[-1](force(target))


def _number(name: str, function: Callable[[float], float]) -> Callable[[Any], Any]:
    def rounded(value: Any) -> Any:
        value = force(value)
        if type(value) is int:
            return value
        if type(value) is not float:
            raise EvalFailure(f"value is {describe(value)} while a float was expected")
        if not math.isfinite(value):
            raise EvalFailure(f"cannot {name} {value}")
        return int(function(value))

    return rounded


def _bits(operation: Callable[[int, int], int]) -> Callable[[Any, Any], int]:
    def bits(left: Any, right: Any) -> int:
        left, right = force(left), force(right)
        if type(left) is not int or type(right) is not int:
            raise EvalFailure("value is not an integer while an integer was expected")
        return operation(left, right)

    return bits


def _is(kind: str) -> Callable[[Any], bool]:
    return lambda value: type_name(force(value)) == kind


_FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "abort": (1, abort),
    "add": (2, lambda a, b: ops.add(forced("int", a), forced("int", b))),
    "all": (2, all_of),
    "any": (2, any_of),
    "attrNames": (1, attr_names),
    "attrValues": (1, attr_values),
    "bitAnd": (2, _bits(lambda a, b: a & b)),
    "bitOr": (2, _bits(lambda a, b: a | b)),
    "bitXor": (2, _bits(lambda a, b: a ^ b)),
    "catAttrs": (2, cat_attrs),
    "ceil": (1, _number("ceil", math.ceil)),
    "concatLists": (1, concat_lists),
    "concatMap": (2, concat_map),
    "deepSeq": (2, lambda a, b: (deep_force(a), force(b))[1]),
    "div": (2, lambda a, b: arith("/", force(a), force(b))),
    "elem": (2, elem),
    "elemAt": (2, elem_at),
    "filter": (2, filter_list),
    "floor": (1, _number("floor", math.floor)),
    "foldl'": (3, foldl_strict),
    "functionArgs": (1, function_args),
    "genList": (2, gen_list),
    "getAttr": (2, get_attr),
    "getEnv": (1, lambda name: os.environ.get(forced("string", name), "")),
    "groupBy": (2, group_by),
    "hasAttr": (2, has_attr),
    "head": (1, head),
    "import": (1, import_file),
    "intersectAttrs": (2, intersect_attrs),
    "isAttrs": (1, _is("set")),
    "isBool": (1, _is("bool")),
    "isFloat": (1, _is("float")),
    "isFunction": (1, _is("lambda")),
    "isInt": (1, _is("int")),
    "isList": (1, _is("list")),
    "isNull": (1, _is("null")),
    "isPath": (1, _is("path")),
    "isString": (1, _is("string")),
    "length": (1, lambda items: len(forced("list", items))),
    "lessThan": (2, lambda a, b: ops.compare(force(a), force(b))),
    "listToAttrs": (1, list_to_attrs),
    "map": (2, map_list),
    "mapAttrs": (2, map_attrs),
    "mul": (2, lambda a, b: arith("*", force(a), force(b))),
    "partition": (2, partition),
    "removeAttrs": (2, remove_attrs),
    "seq": (2, lambda a, b: (force(a), force(b))[1]),
    "sort": (2, sort_list),
    "sub": (2, lambda a, b: arith("-", force(a), force(b))),
    "tail": (1, tail),
    "throw": (1, throw),
    "toString": (1, lambda value: ops.to_string(force(value))),
    "trace": (2, trace),
    "tryEval": (1, try_eval),
    "typeOf": (1, lambda value: type_name(force(value))),
    "unsafeDiscardStringContext": (1, lambda value: forced("string", value)),
    "zipAttrsWith": (2, zip_attrs_with),
    **DATA_BUILTINS,
}

# Builtins of Nix 2.8 that need real Nix (the store, the network, the system, …).
_UNSUPPORTED = [
    "addErrorContext",
    "appendContext",
    "compareVersions",
    "currentSystem",
    "currentTime",
    "derivation",
    "derivationStrict",
    "fetchGit",
    "fetchMercurial",
    "fetchTarball",
    "fetchTree",
    "fetchurl",
    "filterSource",
    "findFile",
    "genericClosure",
    "getContext",
    "hasContext",
    "hashFile",
    "langVersion",
    "nixPath",
    "nixVersion",
    "parseDrvName",
    "path",
    "placeholder",
    "readDir",
    "scopedImport",
    "splitVersion",
    "storePath",
    "toFile",
    "toPath",
    "toXML",
    "unsafeDiscardOutputDependency",
    "unsafeGetAttrPos",
    "getFlake",
]
_CONSTANTS = {"currentSystem", "currentTime", "langVersion", "nixPath", "nixVersion"}


def _unsupported(name: str) -> Any:
    construct = f"builtins.{name}"

    def fail(*_args: Any) -> Any:
        raise EvalFailure("unsupported", unsupported=construct)

    if name in _CONSTANTS:
        return Thunk(fail, None)  # type: ignore[arg-type]
    return PrimOp(name, 1, fail)


BUILTINS: dict[str, Any] = {
    name: PrimOp(name, arity, fn) for name, (arity, fn) in _FUNCTIONS.items()
}
BUILTINS.update({name: _unsupported(name) for name in _UNSUPPORTED})
BUILTINS.update({"true": True, "false": False, "null": None, "storeDir": "/nix/store"})
BUILTINS["builtins"] = BUILTINS

_GLOBAL_NAMES = [
    "abort",
    "baseNameOf",
    "builtins",
    "derivation",
    "derivationStrict",
    "dirOf",
    "fetchGit",
    "fetchMercurial",
    "fetchTarball",
    "fetchTree",
    "fromTOML",
    "import",
    "isNull",
    "map",
    "placeholder",
    "removeAttrs",
    "scopedImport",
    "throw",
    "toString",
    "true",
    "false",
    "null",
]
GLOBALS: dict[str, Any] = {name: BUILTINS[name] for name in _GLOBAL_NAMES}
GLOBALS.update({"__" + name: value for name, value in BUILTINS.items() if name not in GLOBALS})
UNSUPPORTED_GLOBALS: frozenset[str] = frozenset()
