"""`agepy demo` and `agepy completion`."""

from __future__ import annotations

import click

__all__ = ["completion", "demo"]


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    Example:
      eval "$(agepy completion bash)"        # in ~/.bashrc
      agepy completion fish > ~/.config/fish/completions/agepy.fish
    """
    from click.shell_completion import get_completion_class

    from agepy.cli import cli

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
    from agepy.demo import run_demo

    run_demo(say=click.echo, keep=keep)
