"""Nix's builtins that secrets.nix files use, and the global scope.

Builtins receive their arguments unforced (thunks or values) and force what they need.
Errors are raised as :class:`EvalFailure`; the call site turns them into a located
NixEvalError. A builtin real Nix has but this evaluator lacks raises NixUnsupportedError
when called, so evaluator="auto" can fall back to nix-instantiate.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from typing import Any

from agepy.errors import NixEvalError, NixUnsupportedError
from agepy.nix import value_ops as ops
from agepy.nix.builtins_data import DATA_BUILTINS
from agepy.nix.builtins_lists import (
    all_of,
    any_of,
    attr_names,
    attr_values,
    cat_attrs,
    concat_lists,
    concat_map,
    elem,
    elem_at,
    filter_list,
    foldl_strict,
    forced,
    function_args,
    gen_list,
    get_attr,
    group_by,
    has_attr,
    head,
    intersect_attrs,
    list_to_attrs,
    map_attrs,
    map_list,
    partition,
    remove_attrs,
    sort_list,
    tail,
    zip_attrs_with,
)
from agepy.nix.operators import arith
from agepy.nix.values import (
    EvalFailure,
    PrimOp,
    Thunk,
    describe,
    force,
    type_name,
)

__all__ = ["BUILTINS", "GLOBALS", "IMPORT_HOOK", "UNSUPPORTED_GLOBALS"]

# eval.py installs the import function of the running evaluation here.
IMPORT_HOOK: list[Callable[[Any], Any]] = []


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
    "add": (2, lambda a, b: ops.add(forced("number", a), forced("number", b))),
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
