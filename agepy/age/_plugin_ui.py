"""The age plugin client's errors and the user interface a plugin's requests go through.

Split from :mod:`agepy.age.plugin` (which re-exports every public name here).
"""

from __future__ import annotations

import os
import sys
import termios
from typing import Protocol

from agepy.errors import AgepyError

_TERMINAL = "/dev/tty"


# --- errors ---------------------------------------------------------------------------


class PluginError(AgepyError):
    """A plugin could not do its part: missing, crashed, garbled, silent or refusing."""


class PluginNotFoundError(PluginError):
    """No ``age-plugin-<name>`` program on PATH."""


class PluginCrashError(PluginError):
    """The plugin exited (or closed its output) before finishing the protocol."""


class PluginProtocolError(PluginError):
    """The plugin sent something the age plugin protocol does not allow."""


class PluginTimeoutError(PluginError):
    """The plugin stayed silent (or did not read) for longer than the timeout."""


class PluginRefusedError(PluginError):
    """The plugin answered with an ``error`` (a bad recipient, identity or stanza, …)."""


class PluginUIError(PluginError):
    """The user could not be asked what the plugin wanted to know."""


class NoTerminalError(PluginUIError):
    """The plugin needs an answer from the user and there is no terminal to ask on."""


# --- user interface -------------------------------------------------------------------


class PluginUI(Protocol):
    """What a plugin may ask of the user. Raising an AgepyError answers "fail"."""

    def display_message(self, plugin: str, message: str) -> None: ...

    def request_value(self, plugin: str, prompt: str, *, secret: bool) -> str: ...

    def confirm(self, plugin: str, prompt: str, yes: str, no: str | None) -> bool: ...


class TerminalUI:
    """Messages to stderr; answers from the controlling terminal, never from stdin (it may
    be the data being encrypted). Without a terminal, a request raises NoTerminalError."""

    def display_message(self, plugin: str, message: str) -> None:
        print(f"agepy: {plugin} plugin: {_one_line(message)}", file=sys.stderr, flush=True)

    def request_value(self, plugin: str, prompt: str, *, secret: bool) -> str:
        return _ask_terminal(plugin, _one_line(prompt), echo=not secret)

    def confirm(self, plugin: str, prompt: str, yes: str, no: str | None) -> bool:
        prompt = _one_line(prompt)
        if no is None:
            _ask_terminal(plugin, f"{prompt} (press enter for {yes!r})", echo=False)
            return True
        question = f"{prompt} (1 for {yes!r}, 2 for {no!r})"
        while True:
            answer = _ask_terminal(plugin, question, echo=True).strip()
            if answer in ("1", "2"):
                return answer == "1"


def _ask_terminal(plugin: str, prompt: str, *, echo: bool) -> str:
    try:
        fd = os.open(_TERMINAL, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise NoTerminalError(
            f"age-plugin-{plugin} asks {prompt[:80]!r} but there is no terminal to answer on",
            hint="run agepy from a terminal, or use a key that needs no interaction",
        ) from None
    try:
        saved = termios.tcgetattr(fd)
        if not echo:
            quiet = termios.tcgetattr(fd)
            quiet[3] &= ~termios.ECHO
            termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        try:
            # Prompt only once echo is off: an answer typed at the prompt is never shown.
            os.write(fd, f"[{plugin}] {prompt} ".encode())
            line = b""
            while not line.endswith(b"\n"):
                if not (chunk := os.read(fd, 4096)):
                    raise PluginUIError(
                        f"no answer for age-plugin-{plugin}: the terminal input ended",
                        hint="type the answer and press Enter",
                    )
                line += chunk
        finally:
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
            if not echo:
                os.write(fd, b"\n")  # the user's Enter was not echoed either
        return line[:-1].removesuffix(b"\r").decode("utf-8", "replace")
    finally:
        os.close(fd)


def _one_line(text: str) -> str:
    return " ".join(text.split())
