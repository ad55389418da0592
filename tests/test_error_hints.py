"""Library errors speak in library terms: no agepy command-line flag or command in the
message or hint of an error raised outside ``agepy/cli/``. The CLI words its own hint for
each error's ``reason`` (``agepy/cli/hints.py``), so a library user is never told to pass
``-i`` and a CLI user still is."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

import agepy
import agepy.errors
from agepy.cli import COMMANDS
from agepy.cli.hints import CLI_HINTS, cli_hint, hint_for, print_error
from agepy.errors import Reason, StoreError
from tests.support.sources import parsed

PACKAGE = Path(agepy.__file__).parent
# The command line and agenix's command-line shim are the places that may name flags.
CLI_PARTS = {"cli", "agenix_shim.py"}

FLAG = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")
COMMAND = re.compile(r"\bagepy (?:" + "|".join(map(re.escape, COMMANDS)) + r")\b")
# Other programs' command lines that a library hint may quote: they are not agepy's flags.
OTHER_PROGRAMS = re.compile(
    r"(?:age|ssh)-keygen -[a-z]+|ssh -v|age -d|nix-instantiate(?: --[a-z-]+)+"
    r"|git config --global --add"
    r"|git fetch --unshallow"
)


def _library_sources() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if not CLI_PARTS & set(path.relative_to(PACKAGE).parts):
            yield path


def _strings(node: ast.AST | None) -> Iterator[ast.Constant]:
    """The string constants an expression is built from (f-string parts included)."""
    for sub in ast.walk(node) if node is not None else ():
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub


def _named_hint(target: ast.AST) -> bool:
    name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
    return "hint" in name.lower()


def _error_text(tree: ast.AST) -> Iterator[ast.Constant]:
    """Strings that end up in an error's message or hint: the arguments of a call to
    an ``…Error`` class, any ``hint=`` argument, anything assigned to a ``hint`` name,
    returned by a ``…hint…`` function or stored under a ``"hint"`` key."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = node.func.id if isinstance(node.func, ast.Name) else ""
            callee = callee or getattr(node.func, "attr", "")
            if callee.endswith("Error"):
                for arg in node.args:
                    yield from _strings(arg)
            for keyword in node.keywords:
                if keyword.arg == "hint" or callee.endswith("Error"):
                    yield from _strings(keyword.value)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    for part, value in zip(target.elts, node.value.elts, strict=False):
                        if _named_hint(part):
                            yield from _strings(value)
                elif _named_hint(target):
                    yield from _strings(node.value)
        elif isinstance(node, ast.FunctionDef) and "hint" in node.name:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Return):
                    yield from _strings(sub.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "hint":
                    yield from _strings(value)


def cli_words_in_library_errors() -> list[str]:
    found = []
    for path in _library_sources():
        for constant in _error_text(parsed(path)):
            text = OTHER_PROGRAMS.sub("", constant.value)
            if FLAG.search(text) or COMMAND.search(text):
                where = f"{path.relative_to(PACKAGE.parent)}:{constant.lineno}"
                found.append(f"{where}: {constant.value!r}")
    return found


def test_library_errors_name_no_cli_flag_or_command() -> None:
    found = cli_words_in_library_errors()
    assert not found, "word these in agepy/cli/hints.py instead:\n" + "\n".join(found)


def test_the_walker_sees_hints_and_messages() -> None:
    # The test above must be able to fail: a hint and a message naming flags are found.
    source = (
        "raise IdentityError(f'{p}: bad', hint='check -i')\n"
        "raise StoreError('--to/--host only create new ones')\n"
        "result.hint = f'run agepy rekey {name}'\n"
        "x = ValueError('age-keygen -y prints it; nix-instantiate --parse FILE')\n"
    )
    found = [c.value for c in _error_text(ast.parse(source))]
    flagged = [t for t in found if FLAG.search(OTHER_PROGRAMS.sub("", t)) or COMMAND.search(t)]
    assert sorted(flagged) == ["--to/--host only create new ones", "check -i", "run agepy rekey "]


def _reason_sites() -> Iterator[tuple[str, str, set[str] | None]]:
    """(where, Reason member, the keys of its literal ``details``) at every raise site."""
    for path in _library_sources():
        for node in ast.walk(parsed(path)):
            if not isinstance(node, ast.Call):
                continue
            given = {k.arg: k.value for k in node.keywords}
            reasons = [a for a in [given.get("reason"), *node.args] if isinstance(a, ast.Attribute)]
            for reason in reasons:
                if isinstance(reason.value, ast.Name) and reason.value.id == "Reason":
                    details = given.get("details")
                    keys = None
                    if isinstance(details, ast.Dict):
                        keys = {k.value for k in details.keys if isinstance(k, ast.Constant)}
                    where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                    yield where, reason.attr, keys


def test_every_cli_hint_gets_the_details_it_names() -> None:
    missing = []
    for where, member, keys in _reason_sites():
        template = CLI_HINTS.get(Reason[member])
        if template is None:
            continue
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f} - {"hint"}
        if fields - (keys or set()):
            missing.append(f"{where}: Reason.{member} needs details {sorted(fields)}")
    assert not missing, "\n".join(missing)


def test_every_reason_is_raised_somewhere() -> None:
    raised = {member for _, member, _ in _reason_sites()}
    assert {r.name for r in Reason} - raised == set()


def test_the_cli_words_the_hint_and_the_library_keeps_its_own() -> None:
    error = StoreError(
        "secret.age does not exist",
        hint="create it first, e.g. by editing it",
        reason=Reason.SECRET_FILE_MISSING,
        details={"name": "secret.age"},
    )
    assert hint_for(error) == "create it with: agepy edit secret.age"
    assert error.hint == "create it first, e.g. by editing it"
    # No reason, or a reason the CLI has no words for: the library's hint as it is.
    assert hint_for(StoreError("x", hint="do y")) == "do y"
    assert cli_hint(Reason.HOST_REFUSED, {}, "is sshd running?") == "is sshd running?"
    # A raise site that forgot its details still gets a hint (the library's).
    assert cli_hint(Reason.SECRET_FILE_MISSING, {}, "create it") == "create it"


def test_an_error_prints_as_one_error_line_and_one_hint_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_error("two\nlines", "a hint\nover two lines")
    assert capsys.readouterr().err.splitlines() == [
        "agepy: error: two lines",
        "agepy: hint: a hint over two lines",
    ]
    print_error("no hint", None)
    assert capsys.readouterr().err.splitlines() == ["agepy: error: no hint"]


def test_every_library_error_is_raised_with_a_hint() -> None:
    # The CLI prints an error line and a hint line; an error made without a hint would
    # leave the user with the first only. (NixUnsupportedError brings its own.)
    classes = set(agepy.errors.__all__) - {"NixUnsupportedError", "Reason"}
    bare = []
    for path in _library_sources():
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                given = {k.arg for k in node.keywords}
                if node.func.id in classes and not given & {"hint", None}:
                    bare.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not bare, "give these a hint:\n" + "\n".join(bare)
