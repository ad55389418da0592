"""secrets.nix: parse (tree-sitter-nix), evaluate (built-in or real Nix), name keys.

``evaluate_file(path, evaluator="auto"|"builtin"|"nix")`` returns what
``nix-instantiate --eval --strict --json`` prints, as Python values.
``key_names(path)`` maps each recipient in the file to the name it is bound to.
"""

from __future__ import annotations

from agepy.nix.eval import Evaluator, evaluate_file, evaluate_source
from agepy.nix.key_names import key_names
from agepy.nix.parse import ParsedFile, parse_file, parse_source

__all__ = [
    "Evaluator",
    "ParsedFile",
    "evaluate_file",
    "evaluate_source",
    "key_names",
    "parse_file",
    "parse_source",
]
