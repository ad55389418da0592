"""Compile string literals: escapes, interpolation, and ''indented'' strings' stripping."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import tree_sitter

from agepy.nix import value_ops as ops
from agepy.nix.common import Scope, constant, from_failure
from agepy.nix.values import Env, EvalFailure

if TYPE_CHECKING:
    from agepy.nix.compile import Compiler

__all__ = ["compile_string", "unescape"]

Code = Callable[[Env], Any]
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}
_OPENING_LINE = re.compile(r" *\n")


def unescape(char: str) -> str:
    """The character a backslash escape stands for."""
    return _ESCAPES.get(char, char)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# A token: ("text", s) has indentation; ("esc", s) is an escape; ("expr", code, loc).
Token = tuple[Any, ...]


def compile_string(
    compiler: Compiler, node: tree_sitter.Node, scope: Scope | None, *, indented: bool
) -> Code:
    """Code for a "string" or ''indented string'' expression."""

    if not indented and node.child_count == 3:
        middle = node.children[1]
        if middle.type == "string_fragment":  # the common case: "plain text"
            return constant(_normalise_newlines(compiler.text(middle)))
    tokens: list[Token] = []
    for part in node.children:
        kind = part.type
        if kind == "string_fragment":
            text = compiler.text(part)
            if not indented:
                text = _normalise_newlines(text)
            if tokens and tokens[-1][0] == "text":
                tokens[-1] = ("text", tokens[-1][1] + text)
            else:
                tokens.append(("text", text))
        elif kind == "escape_sequence":
            text = compiler.text(part)
            if indented:
                tokens.append(("esc", "''" if text == "'''" else unescape(text[3:])))
            else:
                tokens.append(("esc", unescape(text[1:])))
        elif kind == "dollar_escape":
            tokens.append(("esc", ""))
        elif kind == "interpolation":
            expression = part.child_by_field_name("expression")
            if expression is None:  # `${}` does not parse; defensive only
                compiler.error(part, "empty interpolation")
            tokens.append(("expr", compiler.compile(expression, scope), compiler.loc(part)))
    if indented:
        tokens = _strip_indentation(tokens)
    pieces: list[Any] = []
    for token in tokens:
        if token[0] == "expr":
            pieces.append(token[1:])
        elif pieces and isinstance(pieces[-1], str):
            pieces[-1] += token[1]
        else:
            pieces.append(token[1])
    if not pieces:
        return constant("")
    if len(pieces) == 1 and isinstance(pieces[0], str):
        return constant(pieces[0])
    coerce = ops.coerce_to_string

    def string(env: Env) -> Any:
        out = []
        for piece in pieces:
            if type(piece) is str:
                out.append(piece)
            else:
                code, loc = piece
                value = code(env)
                if type(value) is str:
                    out.append(value)
                    continue
                try:
                    out.append(coerce(value))
                except EvalFailure as exc:
                    raise from_failure(exc, loc) from None
        return "".join(out)

    return string


def _strip_indentation(tokens: list[Token]) -> list[Token]:
    """Nix's stripIndentation (parser.y), token for token."""
    if tokens and tokens[0][0] == "text":
        opening = _OPENING_LINE.match(tokens[0][1])
        if opening:  # the lexer eats `''` plus spaces and a newline as one token
            tokens = [("text", tokens[0][1][opening.end() :]), *tokens[1:]]
    # Minimum indentation; whitespace-only lines do not count.
    at_line_start = True
    min_indent = 1000000
    indent = 0
    for token in tokens:
        if token[0] != "text":  # escapes and interpolations end a line's indentation
            if at_line_start:
                at_line_start = False
                min_indent = min(min_indent, indent)
            continue
        for char in token[1]:
            if at_line_start:
                if char == " ":
                    indent += 1
                elif char == "\n":
                    indent = 0
                else:
                    at_line_start = False
                    min_indent = min(min_indent, indent)
            elif char == "\n":
                at_line_start = True
                indent = 0
    # Strip it.
    out: list[Token] = []
    at_line_start = True
    dropped = 0
    for index, token in enumerate(tokens):
        if token[0] == "expr":
            at_line_start = False
            dropped = 0
            out.append(token)
            continue
        chars = []
        for char in token[1]:
            if at_line_start:
                if char == " ":
                    if dropped >= min_indent:
                        chars.append(char)
                    dropped += 1
                elif char == "\n":
                    dropped = 0
                    chars.append(char)
                else:
                    at_line_start = False
                    dropped = 0
                    chars.append(char)
            else:
                chars.append(char)
                if char == "\n":
                    at_line_start = True
        text = "".join(chars)
        if index == len(tokens) - 1:  # drop a last line made of spaces only
            newline = text.rfind("\n")
            if newline != -1 and text[newline + 1 :].strip(" ") == "":
                text = text[: newline + 1]
        out.append(("text", text))
    return out
