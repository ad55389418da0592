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
def demo() -> None:
    """Play the Matrix + Heisenbridge walkthrough end to end in a temporary folder."""
    raise click.ClickException("the demo is not written yet")
