"""`agepy demo` and `agepy completion`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click
from click.shell_completion import get_completion_class

from agepy.agenix_shim import install_agenix_shim
from agepy.cli import cli
from agepy.cli._common import FILE_PATH, err
from agepy.demo import run_demo

__all__ = ["agenix_shim", "completion", "demo"]


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    Example:
      eval "$(agepy completion bash)"        # in ~/.bashrc
      agepy completion fish > ~/.config/fish/completions/agepy.fish
    """

    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(cli, {}, "agepy", "_AGEPY_COMPLETE").source())


@click.command()
@click.option("--keep", is_flag=True, help="Keep the temporary folder to look around.")
def demo(keep: bool) -> None:
    """Play the Matrix + Heisenbridge walkthrough end to end in a temporary folder.

    A throwaway sshd on 127.0.0.1 stands in for matrix.example.com; every step prints
    the agepy command as you would type it, and what it answered. Nothing outside the
    temporary folder is read or changed.

    \b
    Example:
      agepy demo
      ./run demo            # from a fresh checkout: installs what is missing first
    """

    run_demo(say=click.echo, keep=keep)


@click.command("agenix-shim")
@click.argument("folder", type=FILE_PATH, required=False)
@click.option("--force", is_flag=True, help="Replace an existing agenix there.")
def agenix_shim(folder: Path | None, force: bool) -> None:
    """Install an `agenix` command that runs agepy with agenix's command line (opt-in).

    Writes FOLDER/agenix (default ~/.local/bin): called as `agenix`, agepy takes
    agenix's flags (-e FILE, -r, -d FILE, -i KEY, -v, -h) and exit codes, so scripts
    and Makefiles that call agenix keep working. It refuses to replace a file that is
    not its own launcher (the real agenix) unless --force. A symlink does the same:
    ln -s "$(command -v agepy)" ~/.local/bin/agenix

    \b
    Example:
      agepy agenix-shim
      agepy agenix-shim ~/bin && agenix -d secret.age
    """

    target = install_agenix_shim(folder or Path.home() / ".local" / "bin", force=force)
    err(f"wrote {target}")
    found = shutil.which("agenix")
    if found is None or os.path.realpath(found) != os.path.realpath(target):
        err(f"note: {target.parent} is not first on PATH for agenix")
