"""Evaluate a Nix file to JSON-like Python values, as ``nix-instantiate --eval --strict --json``.

Two evaluators: the built-in one (tree-sitter-nix + compiled closures, no Nix needed) and
real Nix (one ``nix-instantiate`` process per file). ``auto`` uses the built-in one and
falls back to Nix for constructs it does not cover.
"""

from __future__ import annotations

import gc
import os
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from agepy.errors import NixEvalError, NixSyntaxError, NixUnsupportedError, Reason, UsageError
from agepy.nix import nixcmd
from agepy.nix.builtins import IMPORT_HOOK
from agepy.nix.compile import Code, Compiler, from_failure
from agepy.nix.parse import parse_source, read_nix_file
from agepy.nix.storepath import store_path
from agepy.nix.value_ops import coerce_to_string
from agepy.nix.values import Env, EvalFailure, NixPath, Thunk, describe, json_float

__all__ = ["Evaluator", "Session", "evaluate_file", "evaluate_source"]

Evaluator = Literal["auto", "builtin", "nix"]
_RECURSION_LIMIT = 8000
_MANY_OBJECTS = 200_000
_CACHE_SIZE = 64
_compiled: OrderedDict[tuple[str, bytes, bool], Code] = OrderedDict()


def compile_source(source: bytes, path: Path, *, share: bool = True) -> Code:
    """Parse and compile once per (path, contents); later calls reuse the closures."""
    key = (str(path), source, share)
    code = _compiled.get(key)
    if code is None:
        parsed = parse_source(source, path)
        compiler = Compiler(path, source, share=share)
        code = compiler.compile(parsed.root, None)
        compiler.release()
        _compiled[key] = code
        if len(_compiled) > _CACHE_SIZE:
            _compiled.popitem(last=False)
    else:
        _compiled.move_to_end(key)
    return code


class Session:
    """One evaluation: the files it imported (each evaluated once, as Nix caches them)."""

    def __init__(self, *, share: bool = True) -> None:
        self.imports: dict[str, Thunk] = {}
        self.files: list[Path] = []
        self.share = share  # see Compiler: faster, but errors may name the wrong spot

    def file_value(self, path: Path, source: bytes | None = None) -> Any:
        """The (forced) value of a file; its nested values stay lazy."""
        key = str(path)
        thunk = self.imports.get(key)
        if thunk is None:
            data = read_nix_file(path) if source is None else source
            code = compile_source(data, path, share=self.share)
            self.files.append(path)
            # A root Env per file and session: Env memos (see same_env_same_value) must
            # not outlive one evaluation, though the compiled code is cached.
            thunk = Thunk(code, Env({}, None), (path, 1, 1))
            self.imports[key] = thunk
        return thunk.force()

    def import_value(self, target: Any) -> Any:
        """``import target``: a path, or a string holding an absolute path."""
        if type(target) is NixPath:
            text = target.path
        elif type(target) is str:
            if not target.startswith("/"):
                raise EvalFailure(f"string '{target}' doesn't represent an absolute path")
            text = target
        elif type(target) is dict:
            raise EvalFailure("unsupported", unsupported="import of a derivation or flake")
        else:
            raise EvalFailure(f"cannot import {describe(target)}")
        path = Path(text)
        if path.is_dir():
            path = path / "default.nix"
        if not path.exists():
            raise EvalFailure(
                f"cannot import '{path}': no such file or directory",
                hint="check the imported path, relative to the importing file",
            )
        return self.file_value(path)

    @contextmanager
    def active(self) -> Iterator[None]:
        IMPORT_HOOK.append(self.import_value)
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, _RECURSION_LIMIT))
        # Compiling and evaluating allocate many small objects and free none: the cyclic
        # garbage collector would scan them again and again (up to 3× slower).
        collecting = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if collecting:
                # After a big evaluation, one full pass now over what it left: else the
                # first allocations after it trigger young, middle and full passes in
                # turn, each over every object made here (1.5 s after 100k entries).
                if gc.get_count()[0] > _MANY_OBJECTS:
                    gc.collect()
                gc.enable()
            sys.setrecursionlimit(old_limit)
            IMPORT_HOOK.pop()


def run_guarded(path: Path, work: Callable[[], Any]) -> Any:
    """Run ``work``, turning stray failures and Python stack overflows into NixEvalError."""
    try:
        return work()
    except RecursionError:
        # Unsupported rather than plainly wrong: real Nix has a deeper stack (auto mode
        # retries with it); an endless recursion fails there too.
        raise NixUnsupportedError(
            "stack overflow: infinite recursion, or nesting too deep for the built-in evaluator",
            file=path,
            hint="look for a function that calls itself without end; else evaluate with Nix",
            reason=Reason.BUILTIN_EVALUATOR_RECURSION,
        ) from None
    except EvalFailure as exc:
        raise from_failure(exc, (path, 1, 1)) from None


_PLAIN = frozenset({str, int, bool, type(None)})  # JSON as they are (floats are rounded)


class _NotJson(EvalFailure):
    """A value --json cannot print; ``parts`` collects where it sits, innermost first."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.parts: list[str] = []


def to_python(value: Any) -> Any:
    """Deeply force a value into JSON-like Python values, as --strict --json does."""
    try:
        return _to_python(value)
    except _NotJson as exc:
        where = ""
        for part in reversed(exc.parts):
            where = where + part if part.startswith("[") else _attr_path(where, part)
        raise EvalFailure(f"{exc.message}{_at(where)}") from None


def _to_python(value: Any) -> Any:
    # The path of each value is only worked out on failure: building it for every
    # attribute costs more than the conversion itself.
    if isinstance(value, Thunk):
        value = value.force()
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return json_float(value)
    if kind is list:
        if set(map(type, value)) <= _PLAIN:  # keys: a list of strings, checked in C
            return value[:]
        try:
            return [_to_python(item) for item in value]
        except _NotJson as exc:
            exc.parts.append(f"[{_failed_index(value)}]")
            raise
    if kind is dict:
        if "__toString" in value or "outPath" in value:
            if "__toString" in value:
                return coerce_to_string(value)
            try:
                return _to_python(value["outPath"])
            except _NotJson as exc:
                exc.parts.append("outPath")
                raise
        result = {}
        for name in sorted(value):
            item = value[name]
            if isinstance(item, Thunk):
                item = item.force()
            kind = type(item)
            if kind in _PLAIN:
                result[name] = item
                continue
            if kind is list and set(map(type, item)) <= _PLAIN:
                result[name] = item[:]  # publicKeys: no call per entry
                continue
            try:
                result[name] = _to_python(item)
            except _NotJson as exc:
                exc.parts.append(name)
                raise
        return result
    if kind is NixPath:
        return store_path(value.path)
    raise _NotJson("cannot convert a function to JSON")


def _failed_index(items: list[Any]) -> int:
    # The first item that does not convert (forcing again is free: thunks keep values).
    for index, item in enumerate(items):
        try:
            _to_python(item)
        except _NotJson:
            return index
    return 0


def _attr_path(where: str, name: str) -> str:
    simple = name.replace("_", "a").replace("-", "a").replace("'", "a").isalnum()
    part = name if simple and not name[:1].isdigit() else '"' + name.replace('"', '\\"') + '"'
    return f"{where}.{part}" if where else part


def _at(where: str) -> str:
    return f" (at {where})" if where else ""


def builtin_evaluate(path: Path, source: bytes | None = None) -> Any:
    """The built-in evaluator: the file's value, deeply forced, as JSON-like values."""
    path = Path(os.path.abspath(path))  # noqa: PTH100
    session = Session()
    try:
        with session.active():
            return run_guarded(path, lambda: to_python(session.file_value(path, source)))
    except NixUnsupportedError:
        # The construct is named right even if at an equal twin's line; auto mode is
        # about to ask Nix, so a second built-in run would only cost time.
        raise
    except NixEvalError:
        pass
    # Shared code names the first of several equal expressions: evaluate again, each
    # expression compiled on its own, so the error points at the one that failed.
    session = Session(share=False)
    with session.active():
        return run_guarded(path, lambda: to_python(session.file_value(path, source)))


def evaluate_file(path: Path | str, *, evaluator: Evaluator | str = "auto") -> Any:
    """Evaluate ``path`` like ``nix-instantiate --eval --strict --json``, parsed."""
    path = Path(path)
    if evaluator == "builtin":
        return builtin_evaluate(path)
    if evaluator == "nix":
        return nixcmd.evaluate_with_nix(path)
    if evaluator != "auto":
        raise UsageError(f"unknown evaluator {evaluator!r}", hint="use one of: auto, builtin, nix")
    try:
        return builtin_evaluate(path)
    except NixSyntaxError as exc:
        if nixcmd.nix_instantiate() is None:
            raise
        return _nix_unless_syntax_error(lambda: nixcmd.evaluate_with_nix(path), exc)
    except NixUnsupportedError as exc:
        if nixcmd.nix_instantiate() is not None:
            return nixcmd.evaluate_with_nix(path)
        if not exc.construct.startswith("stack overflow"):
            exc.hint = (
                f"{exc.construct} needs real Nix: install it (Debian: apt install nix-bin) "
                "or change the file to avoid it"
            )
            exc.reason = None  # the hint above is the whole advice: nothing for the CLI to add
        raise


def evaluate_source(
    text: str | bytes, path: Path | str = "secrets.nix", *, evaluator: Evaluator | str = "builtin"
) -> Any:
    """Evaluate Nix source text as if it were the file ``path`` (relative imports work)."""
    source = text.encode("utf-8") if isinstance(text, str) else text
    path = Path(os.path.abspath(path))  # noqa: PTH100
    if evaluator == "builtin":
        return builtin_evaluate(path, source)
    if evaluator == "nix":
        return nixcmd.evaluate_source_with_nix(source, path)
    if evaluator != "auto":
        raise UsageError(f"unknown evaluator {evaluator!r}", hint="use one of: auto, builtin, nix")
    try:
        return builtin_evaluate(path, source)
    except NixSyntaxError as exc:
        if nixcmd.nix_instantiate() is None:
            raise
        return _nix_unless_syntax_error(lambda: nixcmd.evaluate_source_with_nix(source, path), exc)
    except NixUnsupportedError:
        if nixcmd.nix_instantiate() is None:
            raise
        return nixcmd.evaluate_source_with_nix(source, path)


def _nix_unless_syntax_error(run_nix: Callable[[], Any], builtin_error: NixSyntaxError) -> Any:
    """Real Nix's value for a file tree-sitter-nix could not parse.

    tree-sitter-nix lags behind Nix's grammar in places, so its syntax error is not final;
    when Nix rejects the file too, the built-in error (with its hint) is the one shown.
    """
    if builtin_error.line is None:
        raise builtin_error  # unreadable, not UTF-8, NUL bytes: Nix cannot do better
    try:
        return run_nix()
    except NixSyntaxError:
        raise builtin_error from None
