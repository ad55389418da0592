"""Format-preserving edits of secrets.nix: splice text into byte ranges of the parse tree.

Nothing is ever re-printed: each function finds the spot in the tree-sitter tree, infers
indentation and list style from the neighbours, and returns the source with only that span
changed. Where no safe edit exists (computed keys, generated entries, interpolated names)
it raises EditError whose hint says what to write by hand.
"""

from __future__ import annotations

from agepy.age.recipients import key_canonical
from agepy.nix.source_edit._tree import (
    Item,
    let_key_bindings,
    nix_string,
    static_string,
    top_attrset,
)
from agepy.nix.source_edit.entries import add_binding, add_entry
from agepy.nix.source_edit.lists import add_list_item, probe_elements, remove_list_item
from agepy.nix.source_edit.replace import (
    new_literal,
    referenced_files,
    replace_key_in_data,
    replace_key_literals,
)

__all__ = [
    "Item",
    "add_binding",
    "add_entry",
    "add_list_item",
    "key_canonical",
    "let_key_bindings",
    "new_literal",
    "nix_string",
    "probe_elements",
    "referenced_files",
    "remove_list_item",
    "replace_key_in_data",
    "replace_key_literals",
    "static_string",
    "top_attrset",
]
