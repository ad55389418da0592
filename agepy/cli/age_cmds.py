"""`agepy encrypt`, `agepy decrypt`: age files, as the `age` command does."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from agepy._locate import rules_in_reach
from agepy.age import decrypt_to, encrypt_file, read_header
from agepy.age.identities import load_identities
from agepy.age.recipients import parse_recipient, parse_recipients_file
from agepy.cli._common import (
    FILE_PATH,
    evaluator_option,
    identity_option,
    prompt_passphrase,
    recipients_file_option,
    rules_option,
)
from agepy.cli._rules import load_rules_at, located_rules, rules_key_names
from agepy.cli._tag_names import LazyNames, default_key_files, tag_names
from agepy.errors import AgepyError, RecipientError, UsageError

if TYPE_CHECKING:
    from agepy.rules import Rules

__all__ = ["decrypt", "encrypt"]


def _prompt_file_passphrase() -> str:
    return str(click.prompt("Enter passphrase", hide_input=True, err=True))


def _prompt_new_passphrase() -> str:
    """A passphrase for `encrypt -p`, asked twice on the terminal (stdin may be the
    plaintext)."""

    first = getpass.getpass("Enter passphrase: ")
    if not first:
        raise UsageError("empty passphrase", hint="type a passphrase, or encrypt to keys")
    if getpass.getpass("Confirm passphrase: ") != first:
        raise UsageError("the passphrases do not match", hint="try again")
    return first


def _binary_stdin() -> BinaryIO:
    return sys.stdin.buffer


def _binary_stdout() -> BinaryIO:
    return sys.stdout.buffer


def _resolve_input(
    arg: str, rules: Path | None, evaluator: str
) -> tuple[Path | BinaryIO, Rules | None]:
    """What `agepy decrypt ARG` reads: stdin for "-", the file ARG, or a rules entry's file
    (then also the rules it loaded, which name the keys in errors).

    A name that is no file here is looked up in secrets.nix (like `agenix -d NAME`), so
    it works from any folder when --rules or $RULES points at the rules (or it is found
    in ./secrets/ or a parent folder of the repository).
    """
    if arg == "-":
        return _binary_stdin(), None
    path = Path(arg)
    if path.exists() or not rules_in_reach(rules):
        if not path.is_file():
            what = "a directory, not an age file" if path.is_dir() else "no such file"
            raise AgepyError(
                f"{what}: {path}",
                hint="give an .age file, a secrets.nix entry name (with --rules), or - for stdin",
            )
        return path, None

    loaded = load_rules_at(located_rules(rules), evaluator)
    return loaded.get(arg).file, loaded


def _read_recipients(
    keys: tuple[str, ...], files: tuple[Path, ...], *, required: bool = True
) -> list[Any]:

    recipients: list[Any] = [parse_recipient(k) for k in keys]
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RecipientError(
                f"cannot read recipients file {path}: {getattr(exc, 'strerror', None) or exc}",
                hint="-R takes a file of public keys, one per line",
            ) from None
        try:
            found = parse_recipients_file(text)
        except RecipientError as exc:
            raise RecipientError(
                f"{path}: {exc.message}", hint=exc.hint, reason=exc.reason, details=exc.details
            ) from None
        if not found:
            # As age does: a recipients file without keys is a mistake, not "no one".
            raise RecipientError(
                f"no public keys in recipients file {path}",
                hint="-R takes a file of public keys, one per line",
            )
        recipients.extend(found)
    if not recipients and required:
        raise UsageError(
            "no recipients given", hint="give -r KEY or -R FILE (e.g. -R ~/.ssh/id_ed25519.pub)"
        )
    return recipients


@click.command("encrypt")
@click.option(
    "-e", "--encrypt", "encrypt_flag", is_flag=True, help="Encrypt (the default; as age)."
)
@click.option(
    "-r",
    "--recipient",
    "recipients",
    multiple=True,
    metavar="KEY",
    help="Public key to encrypt to: ssh-ed25519, ssh-rsa or age1…; repeatable.",
)
@recipients_file_option
@click.option(
    "-i",
    "--identity",
    "identities",
    multiple=True,
    type=FILE_PATH,
    metavar="PATH",
    help="Encrypt to the public key of this identity file (as age -e -i); repeatable.",
)
@click.option(
    "-p", "--passphrase", is_flag=True, help="Encrypt with a passphrase (asked on the terminal)."
)
@click.option("-a", "--armor", is_flag=True, help="Write ASCII-armored (PEM) output.")
@click.option(
    "-o",
    "--output",
    type=FILE_PATH,
    metavar="OUT",
    help="Write here (atomically) instead of stdout.",
)
@click.argument("input_", metavar="[IN|-]", required=False, default="-")
def encrypt(
    encrypt_flag: bool,
    recipients: tuple[str, ...],
    recipient_files: tuple[Path, ...],
    identities: tuple[Path, ...],
    passphrase: bool,
    armor: bool,
    output: Path | None,
    input_: str,
) -> None:
    """Encrypt a file (or stdin) to public keys, identities or a passphrase, like `age -e`.

    Keys: ssh-ed25519, ssh-rsa, age1… (X25519), age1pq1… (post-quantum; not mixed with
    others) and age1NAME1… (the age-plugin-NAME plugin).

    \b
    Example:
      agepy encrypt -R ~/.ssh/id_ed25519.pub -o secret.age secret.txt
      echo hunter2 | agepy encrypt -a -r "ssh-ed25519 AAAA…" > secret.age
      agepy encrypt -p -o secret.age secret.txt
    """

    if passphrase and (recipients or recipient_files or identities):
        raise UsageError(
            "-p/--passphrase cannot be combined with -r, -R or -i",
            hint="encrypt either with a passphrase or to keys",
        )
    keys = _read_recipients(recipients, recipient_files, required=not (identities or passphrase))
    own = load_identities(list(identities), prompt=prompt_passphrase) if identities else []
    if output is None and not armor and sys.stdout.isatty():
        raise UsageError(
            "refusing to write binary age data to the terminal",
            hint="use -a/--armor, -o FILE, or redirect stdout",
        )
    secret = _prompt_new_passphrase() if passphrase else None
    src: Path | BinaryIO = _binary_stdin() if input_ == "-" else Path(input_)
    dst = output if output is not None else _binary_stdout()
    encrypt_file(src, dst, keys, armor=armor, identities=own, passphrase=secret)


@click.command("decrypt")
@identity_option
@rules_option
@evaluator_option
@click.option(
    "-o",
    "--output",
    type=FILE_PATH,
    metavar="OUT",
    help="Write the plaintext here (atomically; a new file gets 0666 less the umask, "
    "as with age) instead of stdout.",
)
@click.argument("input_", metavar="[FILE|-]", required=False, default="-")
def decrypt(
    identities: tuple[Path, ...],
    rules: Path | None,
    evaluator: str,
    output: Path | None,
    input_: str,
) -> None:
    """Decrypt an age file (binary or armored) with SSH or age private keys, like `age -d`.

    FILE may also be a secrets.nix entry name, as with `agenix -d NAME`. Passphrase-
    protected SSH keys are unlocked only if the file is encrypted to them.

    \b
    Example:
      agepy decrypt -i ~/.ssh/id_ed25519 secret.age
      agepy decrypt --rules secrets/secrets.nix heisenbridge-config.age
      agepy decrypt -o secret.txt secret.age
    """

    src, loaded = _resolve_input(input_, rules, evaluator)
    if isinstance(src, Path):
        header = read_header(src)  # a malformed file fails before any prompt
        need_keys = header.count("scrypt") == 0
    else:
        need_keys = True
    keys = load_identities(list(identities), prompt=prompt_passphrase) if need_keys else []
    decrypt_to(
        src,
        keys,
        output if output is not None else _binary_stdout(),
        passphrase=_prompt_file_passphrase,
        key_names=LazyNames(
            lambda: tag_names(default_key_files(), named=rules_key_names(rules, evaluator, loaded))
        ),
    )
