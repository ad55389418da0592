"""agenix's command line (`-e FILE`, `-r`, `-d FILE`, `-i KEY`, `-v`, `-h`), so that
`alias agenix=agepy`, or agepy installed under the name `agenix`, works.

This follows agenix's main branch (`pkgs/agenix.sh`, commit b027ee2). Flags proposed in
open pull requests are not agenix: `-c` (which an open PR makes *create/replace*) is refused
with a pointer to `agepy check`; `-r PUBLIC_KEY` to `agepy rekey --key`.

Only a command line whose first argument is an agenix flag is translated (under the
name `agenix`, every command line is); any other goes to agepy's subcommands untouched.
As in the script, the FILE is the last one given to `-e` or `-d`, `-r` wins over `-d`,
which wins over `-e`; `-i` may appear anywhere and repeat; `-v` is accepted and ignored.
The FILE is handed on after `--`, so a name starting with `-` stays a name.
`--rules PATH` and `--editor CMD` (ragenix's flags) pass through. `EDITOR=: agenix -e
FILE` re-encrypts FILE without editing it, as agenix's script does (its `-r` edits every
file with `EDITOR=:`); `-e` in a terminal runs $EDITOR, not $VISUAL; with `$RULES`, entry
names are relative to the current folder, as agenix takes them. See docs/agenix-compat.md
for the differences.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from agepy.errors import UsageError

__all__ = ["AGENIX_FLAGS", "AGENIX_HELP", "AgenixHelp", "translate_agenix_args"]

_EDIT = ("-e", "--edit")
_REKEY = ("-r", "--rekey")
_DECRYPT = ("-d", "--decrypt")
_IDENTITY = ("-i", "--identity")
_VERBOSE = ("-v", "--verbose")
_HELP = ("-h", "--help")
# Not agenix (open PRs): refused with a hint to agepy's own name for the idea.
_NOT_AGENIX = ("-c", "--check")
_PASS_WITH_VALUE = ("--rules", "--editor")
_PASS = ("--debug", "-q", "--quiet")  # agepy's common options, harmless anywhere

_USAGE = "agenix usage: -e FILE | -r | -d FILE, each with [-i PRIVATE_KEY]..."

AGENIX_FLAGS = frozenset((*_EDIT, *_REKEY, *_DECRYPT, *_IDENTITY, *_VERBOSE, *_NOT_AGENIX))

AGENIX_HELP = """\
agenix (agepy) - edit, decrypt and rekey the age files of a secrets.nix

usage:
  agenix -e FILE [-i PRIVATE_KEY]...   edit FILE in $EDITOR (piped stdin: its content)
  agenix -d FILE [-i PRIVATE_KEY]...   decrypt FILE to stdout
  agenix -r [-i PRIVATE_KEY]...        re-encrypt every secret to its keys

options:
  -h, --help             show this help
  -e, --edit FILE        edit FILE (an entry of the rules, as agenix names it)
  -d, --decrypt FILE     decrypt FILE to stdout
  -r, --rekey            re-encrypt every secret to the keys the rules list
  -i, --identity KEY     private key to decrypt with; repeatable
                         (default: ~/.ssh/id_ed25519, ~/.ssh/id_rsa)
  -v, --verbose          accepted, ignored
  --rules PATH           the rules file (ragenix's flag)
  --editor CMD           the editor; '-' replaces the secret with stdin

RULES (environment) is the rules file; default ./secrets.nix (agepy also looks in
./secrets/ and in parent folders of the repository).
Everything else agepy does: agepy --help. Checking secrets for CI: agepy check."""


class AgenixHelp(Exception):
    """`-h` under the name agenix: print :data:`AGENIX_HELP`, exit 0."""


@dataclass
class _Parsed:
    file: str | None = None
    decrypt: bool = False
    rekey: bool = False
    help: bool = False
    identities: list[str] = field(default_factory=list)
    passthrough: list[str] = field(default_factory=list)


def _value(args: Sequence[str], index: int, what: str) -> str:
    if index + 1 >= len(args):
        raise UsageError(f"{args[index]} needs {what}", hint=_USAGE)
    return args[index + 1]


def _refuse(arg: str, strict: bool) -> UsageError:
    if arg in _NOT_AGENIX:
        return UsageError(
            f"{arg} is not an agenix option (agenix has -e, -r, -d, -i, -v and -h)",
            hint="to check that every secret is encrypted to its keys: agepy check",
        )
    if not arg.startswith("-"):
        return UsageError(
            f"unexpected argument {arg!r}",
            hint="-r takes no key; for the secrets of one key: agepy rekey --key KEY --force",
        )
    return UsageError(f"no such option: {arg}", hint=_USAGE + "; or run 'agepy --help'")


def _parse(args: Sequence[str], strict: bool) -> _Parsed:
    parsed = _Parsed()
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in _HELP and strict:
            raise AgenixHelp  # agenix shows its help at the first -h, whatever follows
        if arg in _EDIT or arg in _DECRYPT:
            parsed.file = _value(args, index, "a FILE")
            parsed.decrypt = parsed.decrypt or arg in _DECRYPT
            index += 2
        elif arg in _IDENTITY:
            parsed.identities += ["-i", _value(args, index, "a PRIVATE_KEY")]
            index += 2
        elif arg in _REKEY:
            parsed.rekey = True
            index += 1
        elif arg in _VERBOSE:
            index += 1
        elif arg in _HELP:
            parsed.help = True
            index += 1
        elif arg in _PASS_WITH_VALUE:
            parsed.passthrough += [arg, _value(args, index, "a value")]
            index += 2
        elif arg in _PASS:
            parsed.passthrough.append(arg)
            index += 1
        elif strict or arg in _NOT_AGENIX or not arg.startswith("-"):
            raise _refuse(arg, strict)
        else:
            # Unknown to agenix: the subcommand's parser accepts it (--debug) or not.
            parsed.passthrough.append(arg)
            index += 1
    return parsed


def _reencrypts_only(parsed: _Parsed, environ: Mapping[str, str]) -> bool:
    """`EDITOR=: agenix -e FILE`: agenix skips the editor (and piped stdin) and always
    re-encrypts FILE; scripts use it to rekey one secret."""
    return environ.get("EDITOR") == ":" and "--editor" not in parsed.passthrough


def _files_from_cwd(parsed: _Parsed, environ: Mapping[str, str]) -> bool:
    """With $RULES, agenix's script takes the entry names relative to the current folder
    (`RULES=./secrets/secrets.nix agenix -e secrets/x.age`), not to the rules file's;
    decrypt looks in the current folder first anyway."""
    return bool(environ.get("RULES")) and "--rules" not in parsed.passthrough


def _editor_of_agenix(
    parsed: _Parsed, environ: Mapping[str, str], stdin_tty: bool | None
) -> list[str]:
    """agenix runs $EDITOR (never $VISUAL) when stdin is a terminal: `EDITOR=cat agenix -e`
    in a shell that exports VISUAL=vim runs cat. Piped stdin stays the new content."""
    editor = environ.get("EDITOR")
    if not editor or "--editor" in parsed.passthrough:
        return []
    if stdin_tty is None:
        stdin_tty = sys.stdin is not None and sys.stdin.isatty()
    return ["--editor", editor] if stdin_tty else []


def translate_agenix_args(
    args: Sequence[str],
    *,
    as_agenix: bool = False,
    environ: Mapping[str, str] | None = None,
    stdin_tty: bool | None = None,
) -> list[str]:
    """Rewrite an agenix command line into the matching agepy subcommand line.

    ``as_agenix``: called under the name agenix, so every command line is agenix's, and
    `-h` raises :class:`AgenixHelp`. ``environ`` (default: the process's) is read for
    agenix's `EDITOR` and `RULES`; ``stdin_tty`` (default: whether stdin is a terminal)
    says whether `-e` runs the editor.
    """
    args = list(args)
    if not as_agenix and (not args or args[0] not in AGENIX_FLAGS):
        return args
    parsed = _parse(args, strict=as_agenix)
    environ = os.environ if environ is None else environ
    rekey_one = False
    if parsed.rekey:
        command = ["rekey", "--force"]
    elif parsed.file is not None and parsed.decrypt:
        command = ["decrypt"]
    elif parsed.file is not None:
        rekey_one = _reencrypts_only(parsed, environ)
        command = ["rekey", "--force"] if rekey_one else ["edit"]
    elif parsed.help:
        return ["--help"]
    else:
        raise UsageError(
            "no action: give -e FILE, -r or -d FILE",
            hint=_USAGE + ("" if as_agenix else "; or run 'agepy --help'"),
        )
    if parsed.help:
        return [command[0], "--help"]
    command += [*parsed.identities, *parsed.passthrough]
    if command[0] == "edit":
        command += _editor_of_agenix(parsed, environ, stdin_tty)
    if command[0] != "decrypt" and _files_from_cwd(parsed, environ):
        command.append("--files-from-cwd")
    if (rekey_one or not parsed.rekey) and parsed.file is not None:
        command += ["--", parsed.file]
    return command
