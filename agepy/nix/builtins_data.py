"""Builtins on strings, files and data formats: readFile, fromJSON, fromTOML, split, …"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tomllib
from collections.abc import Callable
from functools import cache
from typing import Any

from agepy.nix import value_ops as ops
from agepy.nix.values import EvalFailure, NixPath, describe, force, json_float

__all__ = ["DATA_BUILTINS", "to_json_text"]


def _string(value: Any) -> str:
    value = force(value)
    if type(value) is not str:
        raise EvalFailure(f"value is {describe(value)} while a string was expected")
    return value


def _coerced(value: Any) -> str:
    return ops.coerce_to_string(force(value))


def _int(value: Any) -> int:
    value = force(value)
    if type(value) is not int:
        raise EvalFailure(f"value is {describe(value)} while an integer was expected")
    return value


def _fs_path(value: Any, what: str) -> str:
    """An absolute filesystem path from a path or an absolute-path string."""
    value = force(value)
    if type(value) is NixPath:
        return value.path
    text = ops.coerce_to_string(value)
    if not text.startswith("/"):
        raise EvalFailure(f"string '{text}' doesn't represent an absolute path")
    return ops.canon_path(text)


def read_file(target: Any) -> str:
    path = _fs_path(target, "readFile")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise EvalFailure(
            f"opening file '{path}': No such file or directory",
            hint="check the path next to secrets.nix",
        ) from None
    except IsADirectoryError:
        raise EvalFailure(f"reading file '{path}': Is a directory") from None
    except OSError as exc:
        raise EvalFailure(f"opening file '{path}': {exc.strerror}") from None
    if b"\x00" in data:
        raise EvalFailure(
            f"the contents of the file '{path}' cannot be represented as a Nix string"
        )
    return data.decode("utf-8", "surrogateescape")


def read_dir(target: Any) -> dict[str, str]:
    """``builtins.readDir``: each entry's type, symlinks not followed (as Nix does)."""
    path = _fs_path(target, "readDir")
    try:
        entries = list(os.scandir(path))
    except FileNotFoundError:
        raise EvalFailure(f"opening directory '{path}': No such file or directory") from None
    except NotADirectoryError:
        raise EvalFailure(f"opening directory '{path}': Not a directory") from None
    except OSError as exc:
        raise EvalFailure(f"opening directory '{path}': {exc.strerror}") from None
    types: dict[str, str] = {}
    for entry in entries:
        if entry.is_symlink():
            kind = "symlink"
        elif entry.is_dir(follow_symlinks=False):
            kind = "directory"
        elif entry.is_file(follow_symlinks=False):
            kind = "regular"
        else:
            kind = "unknown"
        types[os.fsdecode(entry.name)] = kind
    return types


def path_exists(target: Any) -> bool:
    return os.path.exists(_fs_path(target, "pathExists"))  # noqa: PTH110


def base_name_of(value: Any) -> str:
    value = force(value)
    text = value.path if type(value) is NixPath else ops.coerce_to_string(value)
    if not text:
        return ""
    last = len(text) - 1
    if text[last] == "/" and last > 0:
        last -= 1
    slash = text.rfind("/", 0, last + 1)
    return text[slash + 1 : last + 1]


def dir_of(value: Any) -> Any:
    value = force(value)
    if type(value) is NixPath:
        slash = value.path.rfind("/")
        return NixPath(value.path[:slash] if slash > 0 else "/")
    text = ops.coerce_to_string(value)
    slash = text.rfind("/")
    if slash == -1:
        return "."
    return text[:slash] if slash > 0 else "/"


def concat_strings_sep(separator: Any, items: Any) -> str:
    separator = _string(separator)
    values = force(items)
    if type(values) is not list:
        raise EvalFailure(f"value is {describe(values)} while a list was expected")
    return str(separator).join(_coerced(item) for item in values)


def replace_strings(sources: Any, targets: Any, subject: Any) -> str:
    patterns = [_string(item) for item in _list(sources)]
    replacements = _list(targets)
    if len(patterns) != len(replacements):
        raise EvalFailure("'from' and 'to' arguments to 'replaceStrings' have different lengths")
    text = _string(subject)
    out: list[str] = []
    position = 0
    while position <= len(text):
        for pattern, replacement in zip(patterns, replacements, strict=True):
            if text.startswith(pattern, position):
                out.append(_string(replacement))
                if pattern:
                    position += len(pattern)
                else:
                    out.append(text[position : position + 1])
                    position += 1
                break
        else:
            out.append(text[position : position + 1])
            position += 1
    return "".join(out)


def _list(value: Any) -> list[Any]:
    value = force(value)
    if type(value) is not list:
        raise EvalFailure(f"value is {describe(value)} while a list was expected")
    return value


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise EvalFailure(f"invalid regular expression '{pattern}': {exc}") from None


def match(pattern: Any, subject: Any) -> Any:
    found = _regex(_string(pattern)).fullmatch(_string(subject))
    return None if found is None else list(found.groups())


def split(pattern: Any, subject: Any) -> list[Any]:
    regex = _regex(_string(pattern))
    text = _string(subject)
    out: list[Any] = []
    position = 0
    for found in regex.finditer(text):
        out.append(text[position : found.start()])
        out.append(list(found.groups()))
        position = found.end()
    out.append(text[position:])
    return out


def substring(start: Any, length: Any, subject: Any) -> str:
    begin, count = _int(start), _int(length)
    data = _coerced(subject).encode("utf-8", "surrogateescape")
    if begin < 0:
        raise EvalFailure("negative start position in 'substring'")
    end = len(data) if count < 0 else begin + count
    return data[begin:end].decode("utf-8", "surrogateescape")


def string_length(value: Any) -> int:
    return len(_coerced(value).encode("utf-8", "surrogateescape"))


def hash_string(kind: Any, value: Any) -> str:
    algorithm = _string(kind)
    if algorithm not in ("md5", "sha1", "sha256", "sha512"):
        raise EvalFailure(f"unknown hash algorithm '{algorithm}'")
    return hashlib.new(algorithm, _string(value).encode("utf-8", "surrogateescape")).hexdigest()


def from_json(text: Any) -> Any:
    source = _string(text)

    def reject(constant: str) -> Any:
        raise ValueError(constant)

    try:
        return json.loads(source, parse_constant=reject)
    except (ValueError, RecursionError) as exc:
        raise EvalFailure(f"invalid JSON: {str(exc).splitlines()[0]}") from None


def from_toml(text: Any) -> Any:
    try:
        data = tomllib.loads(_string(text))
    except tomllib.TOMLDecodeError as exc:
        raise EvalFailure(f"while parsing a TOML string: {exc}") from None
    return _plain_toml(data)


def _plain_toml(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain_toml(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_toml(item) for item in value]
    if isinstance(value, (str, int, float, bool)):
        if isinstance(value, float) and not math.isfinite(value):
            raise EvalFailure("unsupported TOML value: inf/nan")
        return value
    raise EvalFailure(
        f"unsupported TOML value: {type(value).__name__}", unsupported="TOML date/time values"
    )


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _json_string(text: str) -> str:
    out = ['"']
    for char in text:
        escaped = _JSON_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def to_json_text(value: Any) -> str:
    """``builtins.toJSON``: compact, sorted keys, Nix's string escaping."""
    value = force(value)
    kind = type(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return str(json_float(value))
    if kind is str:
        return _json_string(value)
    if kind is NixPath:
        return _json_string(ops.coerce_to_string(value))
    if kind is list:
        return "[" + ",".join(to_json_text(item) for item in value) + "]"
    if kind is dict:
        if "__toString" in value:
            return _json_string(ops.coerce_to_string(value))
        if "outPath" in value:
            return to_json_text(value["outPath"])
        items = (f"{_json_string(k)}:{to_json_text(value[k])}" for k in sorted(value))
        return "{" + ",".join(items) + "}"
    raise EvalFailure("cannot convert a function to JSON")


DATA_BUILTINS: dict[str, tuple[int, Callable[..., Any]]] = {
    "baseNameOf": (1, base_name_of),
    "concatStringsSep": (2, concat_strings_sep),
    "dirOf": (1, dir_of),
    "fromJSON": (1, from_json),
    "fromTOML": (1, from_toml),
    "hashString": (2, hash_string),
    "match": (2, match),
    "pathExists": (1, path_exists),
    "readDir": (1, read_dir),
    "readFile": (1, read_file),
    "replaceStrings": (3, replace_strings),
    "split": (2, split),
    "stringLength": (1, string_length),
    "substring": (3, substring),
    "toJSON": (1, lambda value: to_json_text(value)),
}
