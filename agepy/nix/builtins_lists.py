"""Builtins on lists and attribute sets (map, filter, attrValues, listToAttrs, …)."""

from __future__ import annotations

import functools
from typing import Any

from agepy.nix import value_ops as ops
from agepy.nix.values import EvalFailure, Lambda, PrimOp, Thunk, describe, force, type_name

__all__ = [
    "_bool_result",
    "all_of",
    "any_of",
    "apply",
    "attr_names",
    "attr_values",
    "cat_attrs",
    "concat_lists",
    "concat_map",
    "elem",
    "elem_at",
    "filter_list",
    "foldl_strict",
    "forced",
    "function_args",
    "gen_list",
    "get_attr",
    "group_by",
    "has_attr",
    "head",
    "intersect_attrs",
    "later",
    "list_to_attrs",
    "map_attrs",
    "map_list",
    "partition",
    "remove_attrs",
    "sort_list",
    "tail",
    "zip_attrs_with",
]


def forced(kind: str, value: Any) -> Any:
    """Force ``value`` and check its Nix type ("set", "list", "string", "int", …);
    "number" takes an int or a float (arithmetic), and is named an integer, as Nix does."""
    value = force(value)
    actual = type_name(value)
    if actual != kind:
        if kind == "number" and actual in ("int", "float"):
            return value
        kind = "int" if kind == "number" else kind
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
