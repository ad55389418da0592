"""agenix's own flags (`-e FILE`, `-r`, `-c`, `-d FILE`, `-i KEY`), so `alias agenix=agepy`
works.

Only a command line whose first argument is one of agenix's flags is translated; any
other goes to agepy's subcommands untouched. Like the agenix script, `-c` (newer agenix)
wins over `-r`, which wins over `-d`, which wins over `-e`; `-i` may appear anywhere and
repeat; `-v` is accepted and ignored; `-h` shows the help of the command that would run.
`--rules PATH` and `--editor CMD` (ragenix's flags) pass through. See
docs/agenix-compat.md for the differences.
"""

from __future__ import annotations

from collections.abc import Sequence

from agepy.errors import UsageError

__all__ = ["AGENIX_FLAGS", "translate_agenix_args"]

_EDIT = ("-e", "--edit")
_REKEY = ("-r", "--rekey")
_CHECK = ("-c", "--check")
_DECRYPT = ("-d", "--decrypt")
_IDENTITY = ("-i", "--identity")
_VERBOSE = ("-v", "--verbose")
_HELP = ("-h", "--help")
_PASS_WITH_VALUE = ("--rules", "--editor")

_USAGE = "agenix usage: agepy -e FILE | -r [PUBLIC_KEY] | -c | -d FILE [-i KEY]"

AGENIX_FLAGS = frozenset((*_EDIT, *_REKEY, *_CHECK, *_DECRYPT, *_IDENTITY, *_VERBOSE))


def _value(args: Sequence[str], index: int, what: str) -> str:
    if index + 1 >= len(args):
        raise UsageError(
            f"{args[index]} needs {what}",
            hint=_USAGE,
        )
    return args[index + 1]


def translate_agenix_args(args: Sequence[str]) -> list[str]:
    """Rewrite an agenix command line into the matching agepy subcommand line."""
    args = list(args)
    if not args or args[0] not in AGENIX_FLAGS:
        return args
    edit_file: str | None = None
    decrypt_file: str | None = None
    rekey = check = help_ = False
    rekey_key: str | None = None
    identities: list[str] = []
    passthrough: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in _EDIT:
            edit_file = _value(args, index, "a FILE")
            index += 2
        elif arg in _DECRYPT:
            decrypt_file = _value(args, index, "a FILE")
            index += 2
        elif arg in _IDENTITY:
            identities += ["-i", _value(args, index, "a PRIVATE_KEY")]
            index += 2
        elif arg in _REKEY:
            rekey = True
            index += 1
            # Newer agenix: `-r PUBLIC_KEY` rekeys only the secrets that list that key.
            if index < len(args) and args[index] and not args[index].startswith("-"):
                rekey_key = args[index]
                index += 1
        elif arg in _CHECK:
            check = True
            index += 1
        elif arg in _VERBOSE:
            index += 1
        elif arg in _HELP:
            help_ = True
            index += 1
        elif arg in _PASS_WITH_VALUE:
            passthrough += [arg, _value(args, index, "a value")]
            index += 2
        else:
            # Unknown to agenix: let the subcommand's parser reject (or accept) it.
            passthrough.append(arg)
            index += 1
    if check:
        # Needs no key: agenix's -c reads headers only, and so does agepy check.
        if help_:
            return ["check", "--help"]
        return ["check", *passthrough]
    if rekey:
        command = ["rekey", "--force"] + ([] if rekey_key is None else ["--key", rekey_key])
    elif decrypt_file is not None:
        command = ["decrypt", decrypt_file]
    elif edit_file is not None:
        command = ["edit", edit_file]
    elif help_:
        return ["--help"]
    else:
        raise UsageError(
            "no action: give -e FILE, -r, -c or -d FILE",
            hint=_USAGE + "; or run 'agepy --help'",
        )
    if help_:
        return [command[0], "--help"]
    return [*command, *identities, *passthrough]
