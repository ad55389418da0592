"""Name the recipients of a secrets.nix after the bindings they come from.

``alice = "ssh-ed25519 …";`` in the top-level ``let`` names that key "alice"; so does
``users = { alice = "…"; }`` (the attribute name), in secrets.nix itself, in the files it
imports (keys.nix, hosts/web1.nix → "web1") and in data it reads with fromJSON/fromTOML.
A list bound to a name (``admins = [ "…" ]``) names its keys only when nothing better
does. The first name found wins.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from agepy.errors import AgepyError
from agepy.nix.attrs import collect, compile_node
from agepy.nix.compile import Compiler, Scope
from agepy.nix.eval import Session, run_guarded, to_python
from agepy.nix.parse import parse_source, read_nix_file, unparen
from agepy.nix.values import Env, EvalFailure, WithEnv, force

__all__ = ["key_names", "recipient_text"]

_MAX_DEPTH = 4
# `web1 = { key = "ssh-…"; roles = …; }`: the key is web1's, not "key"'s.
_GENERIC = {"key", "publickey", "pubkey", "pub", "hostkey", "sshkey", "ssh", "age", "recipient"}


def recipient_text(value: str) -> str | None:
    """The key text of a recipient-looking string (no comment), else None."""
    text = value.strip()
    if "\n" in text:
        return None  # several lines are not one key
    if text.startswith("ssh-"):
        fields = text.split()
        return " ".join(fields[:2]) if len(fields) >= 2 else None
    if text.startswith("age1") and text.split():
        return text.split()[0]
    return None


class _Names:
    def __init__(self) -> None:
        self.direct: dict[str, str] = {}
        self.nested: dict[str, str] = {}
        self.lists: dict[str, str] = {}

    def result(self) -> dict[str, str]:
        out = dict(self.direct)
        for table in (self.nested, self.lists):
            for key, name in table.items():
                out.setdefault(key, name)
        return out

    def binding(self, name: str, value: Any) -> None:
        """A named value: a key, a set of named keys, or a list of keys."""
        value = _safe_force(value)
        if type(value) is str:
            key = recipient_text(value)
            if key is not None:
                self.direct.setdefault(key, name)
        elif type(value) is dict:
            self.attrs(value, 1, name)
        elif type(value) is list:
            self.listed(name, value)

    def attrs(self, attrs: dict[str, Any], depth: int, parent: str) -> None:
        for name, item in attrs.items():
            value = _safe_force(item)
            if type(value) is str:
                key = recipient_text(value)
                if key is not None:
                    generic = name.lower().replace("_", "") in _GENERIC
                    self.nested.setdefault(key, parent if generic else name)
            elif type(value) is dict and depth < _MAX_DEPTH:
                self.attrs(value, depth + 1, name)
            elif type(value) is list:
                self.listed(name, value)

    def listed(self, name: str, items: list[Any]) -> None:
        for item in items:
            value = _safe_force(item)
            if type(value) is str:
                key = recipient_text(value)
                if key is not None:
                    self.lists.setdefault(key, name)


def _safe_force(value: Any) -> Any:
    try:
        return force(value)
    except (AgepyError, EvalFailure, RecursionError):
        return None


def _top_level_bindings(path: Path, source: bytes) -> list[tuple[str, Any]]:
    """(name, thunk) for each binding of the file's leading ``let … in`` chain."""
    parsed = parse_source(source, path)
    compiler = Compiler(path, source)
    roots = [c for c in parsed.root.named_children if c.type != "comment"]
    if not roots:
        return []
    node = roots[0]
    scope: Scope | None = None
    env: Env = Env({}, None)  # fresh: Env memos must not outlive one evaluation
    found: list[tuple[str, Any]] = []
    while True:
        node = unparen(node)
        body = node.child_by_field_name("body")
        if node.type == "let_expression" and body is not None:
            attr_node = collect(compiler, node, True)
            if attr_node.dynamic:
                break
            env, vals = compile_node(compiler, attr_node, scope)(env)
            found.extend(vals.items())
            scope = Scope(set(attr_node.static), scope)
        elif node.type == "with_expression" and body is not None:
            environment = node.child_by_field_name("environment")
            if environment is None:
                break
            env = WithEnv(compiler.lazy(environment, scope)(env), env)
            scope = Scope(frozenset(), scope, is_with=True)
        elif node.type != "assert_expression" or body is None:
            break
        node = body
    return found


def key_names(path: Path | str) -> dict[str, str]:
    """Recipient text (without comment) -> the name of the binding it came from."""
    path = Path(os.path.abspath(path))  # noqa: PTH100
    names = _Names()
    session = Session()
    with session.active():

        def harvest() -> None:
            for name, value in _top_level_bindings(path, read_nix_file(path)):
                names.binding(name, value)
            # Evaluating everything runs the imports, so their keys get named too.
            with contextlib.suppress(AgepyError, EvalFailure):
                to_python(session.file_value(path))
            for imported in list(session.files):
                if imported == path:
                    continue
                try:
                    bindings = _top_level_bindings(imported, read_nix_file(imported))
                except AgepyError:
                    continue
                for name, value in bindings:
                    names.binding(name, value)
                value = _safe_force(session.imports[str(imported)])
                stem = imported.parent.name if imported.name == "default.nix" else imported.stem
                names.binding(stem, value)

        run_guarded(path, harvest)
    return names.result()
