"""`agepy inspect`: who an age file is for, read from its header (nothing decrypted)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import click

from agepy.age import open_age, read_header
from agepy.age.recipients import plugin_name_ok
from agepy.cli._common import (
    data,
    emit_json,
    evaluator_option,
    json_option,
    recipients_file_option,
    rules_option,
)
from agepy.cli._rules import rules_key_names
from agepy.cli._tag_names import default_key_files, tag_names
from agepy.cli.hints import hint_for, print_error
from agepy.errors import AgeFormatError, AgepyError, UsageError

__all__ = ["inspect"]


def _describe(path: Path, names: dict[str, str]) -> dict[str, Any]:

    header = open_age(sys.stdin.buffer).header if str(path) == "-" else read_header(path)
    stanzas = [
        {
            "type": s.type,
            "kind": s.kind,
            "tag": s.tag,
            "key": names.get(s.tag) if s.tag else None,
        }
        for s in header.stanzas
    ]
    counts: dict[str, int] = {}
    for stanza in header.stanzas:
        counts[stanza.type] = counts.get(stanza.type, 0) + 1
    return {
        "file": str(path),
        "format": "age-encryption.org/v1",
        "armored": header.armored,
        "stanzas": stanzas,
        "counts": counts,
    }


def _print_description(info: dict[str, Any]) -> None:
    count = len(info["stanzas"])
    encoding = "armored" if info["armored"] else "binary"
    data(f"{info['file']}: age v1, {encoding}, {count} stanza{'s' if count != 1 else ''}")
    for stanza in info["stanzas"]:
        if stanza["tag"] is not None:
            who = stanza["key"] or "unknown key"
            data(f"  {stanza['type']:<12} {stanza['tag']}  {who}")
        else:
            note = _KIND_NOTES[stanza["kind"]]
            if stanza["kind"] == "plugin/other" and (program := _plugin_for(stanza["type"])):
                note = f"plugin stanza, opened by {program} (on PATH)"
            data(f"  {stanza['type']:<12} ({note})")


def _plugin_for(stanza_type: str) -> str | None:
    """The installed plugin that likely reads this stanza type (a type from an untrusted
    header: only a valid plugin name is looked up). age-plugin-yubikey writes piv-p256."""
    name = {"piv-p256": "yubikey"}.get(stanza_type, stanza_type)
    program = f"age-plugin-{name}"
    return program if plugin_name_ok(name) and shutil.which(program) else None


# What inspect says of each kind of stanza (agepy.age.header.stanza_kind).
_KIND_NOTES = {
    "X25519": "age recipients are not named in the file",
    "mlkem768x25519": "post-quantum age1pq1… recipient; not named in the file",
    "scrypt": "passphrase",
    "ssh-ed25519": "SSH key",
    "ssh-rsa": "SSH key",
    "grease": "grease: random filler, no recipient",
    "plugin/other": "plugin or other recipient",
}


def _about(path: Path, message: str) -> str:
    return message if str(path) in message else f"{path}: {message}"


@click.command("inspect")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@recipients_file_option
@rules_option
@evaluator_option
@json_option
def inspect(
    files: tuple[Path, ...],
    recipient_files: tuple[Path, ...],
    rules: Path | None,
    evaluator: str,
    as_json: bool,
) -> None:
    """Show who an age file is for, without decrypting it (no FILE or -: stdin).

    Names SSH recipients from -R files, ~/.ssh/authorized_keys, ~/.ssh/*.pub and the
    rules (--rules, $RULES, ./secrets.nix or one found above). X25519 recipients leave no
    trace but a count.

    \b
    Example:
      agepy inspect secrets/*.age
      agepy inspect --json -R admins.pub secret.age
    """

    names = tag_names(
        default_key_files(), named=rules_key_names(rules, evaluator), required=recipient_files
    )
    if not files and sys.stdin.isatty():
        raise UsageError(
            "no age file given", hint="give one or more .age files, or pipe one into stdin"
        )
    files = files or (Path("-"),)
    results: list[dict[str, Any]] = []
    failed = False
    for path in files:
        try:
            info = _describe(path, names)
        except AgeFormatError as exc:
            if len(files) == 1:
                raise
            failed = True
            info = {"file": str(path), "error": exc.message, "kind": exc.kind}
            print_error(_about(path, exc.message), hint_for(exc))
        except AgepyError as exc:
            if len(files) == 1:
                raise
            failed = True
            info = {"file": str(path), "error": exc.message}
            print_error(_about(path, exc.message), hint_for(exc))
        results.append(info)
        if not as_json and "error" not in info:
            _print_description(info)
    if as_json:
        emit_json({"files": results})
    if failed:
        sys.exit(1)  # the errors are printed above; click's Exit would end with status 0 here
