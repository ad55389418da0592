"""agepy's client of the age plugin protocol (C2SP age-plugin.md, state machines v1).

A recipient ``age1<name>1…`` or an identity ``AGE-PLUGIN-<NAME>-1…`` is handled by the
program ``age-plugin-<name>`` on PATH. :func:`wrap_file_key` runs it with
``--age-plugin=recipient-v1`` to wrap one file key; :func:`unwrap_file_key` runs it with
``--age-plugin=identity-v1`` to unwrap one file's key. Each call is one plugin process and
one file (file index 0). What the plugin asks of the user (messages, PINs, confirmations)
goes through a :class:`PluginUI`, by default :class:`TerminalUI`.

A plugin that is missing, crashes, speaks anything but the protocol, or stays silent
longer than ``timeout`` seconds ends in one :class:`PluginError`; its process is always
reaped, killed if need be. The plugin's own standard error goes straight to the user's.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import termios
import time
from base64 import b64encode
from collections.abc import Sequence
from typing import Protocol

from agepy.age.header import Stanza, b64decode_canonical
from agepy.errors import AgepyError

__all__ = [
    "DEFAULT_TIMEOUT",
    "NoTerminalError",
    "PluginCrashError",
    "PluginError",
    "PluginNotFoundError",
    "PluginProtocolError",
    "PluginRefusedError",
    "PluginTimeoutError",
    "PluginUI",
    "PluginUIError",
    "TerminalUI",
    "identity_plugin_name",
    "recipient_plugin_name",
    "unwrap_file_key",
    "wrap_file_key",
]

DEFAULT_TIMEOUT = 30.0
FILE_KEY_SIZE = 16
_COLUMNS = 64
# Far above any real message (a post-quantum stanza line is ~1.6 KB); bounds memory.
_MAX_LINE = 1 << 20
_MAX_BODY = 1 << 20
# How long a plugin that said "done" may take to exit before it is killed.
_EXIT_GRACE = 5.0
_TERMINAL = "/dev/tty"
_ARG = re.compile(r"[\x21-\x7e]+\Z")
_INDEX = re.compile(r"(?:0|[1-9][0-9]{0,8})\Z")
_NAME = re.compile(r"[\x21-\x7e]+\Z")
_STDERR_HINT = "the plugin's own messages on standard error, if any, may say why"


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
    """Messages to standard error; answers from the controlling terminal, never stdin.

    stdin may be a file being encrypted; the terminal is the only place a PIN may come
    from. Without one, a request raises NoTerminalError instead of waiting forever.
    """

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
            line = _read_terminal_line(fd, plugin)
        finally:
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
            if not echo:
                os.write(fd, b"\n")  # the user's Enter was not echoed either
        return line.decode("utf-8", "replace")
    finally:
        os.close(fd)


def _read_terminal_line(fd: int, plugin: str) -> bytes:
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(fd, 4096)
        if not chunk:
            raise PluginUIError(
                f"no answer for age-plugin-{plugin}: the terminal input ended",
                hint="type the answer and press Enter",
            )
        line += chunk
    return line[:-1].removesuffix(b"\r")


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- names ----------------------------------------------------------------------------


def recipient_plugin_name(recipient: str) -> str | None:
    """``agepytest`` for ``age1agepytest1…``; None for a native ``age1…`` X25519 key.

    Only the Bech32 human-readable part is looked at (the plugin checks the rest).
    ``age1pq1…`` reads as plugin ``pq``: a caller with native post-quantum keys checks
    those first, as age does.
    """
    hrp = recipient[: recipient.rfind("1")].lower()
    if not hrp.startswith("age1") or len(hrp) == len("age1"):
        return None
    return hrp[len("age1") :]


def identity_plugin_name(identity: str) -> str | None:
    """``agepytest`` for ``AGE-PLUGIN-AGEPYTEST-1…``; None for any other identity."""
    hrp = identity[: identity.rfind("1")].upper()
    prefix = "AGE-PLUGIN-"
    if not hrp.startswith(prefix) or not hrp.endswith("-") or len(hrp) <= len(prefix) + 1:
        return None
    return hrp[len(prefix) : -1].lower()


def _program(plugin: str) -> str:
    if not _NAME.match(plugin) or os.sep in plugin:
        raise PluginError(
            f"{plugin!r} is not a valid age plugin name",
            hint="a plugin name is printable ASCII without spaces or slashes",
        )
    program = f"age-plugin-{plugin.lower()}"
    path = shutil.which(program)
    if path is None:
        raise PluginNotFoundError(
            f"{program} not found on PATH",
            hint=f"install the {program} program (the key that names it needs it) "
            "and make sure its folder is on PATH",
        )
    return path


# --- the connection -------------------------------------------------------------------


class _Connection:
    """One plugin process, spoken to in stanzas, with a deadline on every exchange."""

    def __init__(self, plugin: str, state_machine: str, timeout: float) -> None:
        self.plugin = plugin.lower()
        self.program = f"age-plugin-{self.plugin}"
        self.timeout = timeout
        path = _program(plugin)
        try:
            # The spec forbids plugins to rely on the working folder; age uses the temp one.
            self.process = subprocess.Popen(
                [path, f"--age-plugin={state_machine}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=tempfile.gettempdir(),
            )
        except OSError as exc:
            raise PluginError(
                f"cannot start {self.program}: {exc.strerror or exc}",
                hint="check that the plugin is executable",
            ) from None
        assert self.process.stdin is not None and self.process.stdout is not None
        self._to_plugin = self.process.stdin.fileno()
        self._from_plugin = self.process.stdout.fileno()
        os.set_blocking(self._to_plugin, False)
        os.set_blocking(self._from_plugin, False)
        self._buffer = bytearray()

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close(finished=exc_info[0] is None)

    def close(self, *, finished: bool) -> None:
        """Close the pipes and reap the plugin: a finished one may exit by itself."""
        assert self.process.stdin is not None and self.process.stdout is not None
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):  # a plugin gone already: nothing to flush
                pipe.close()
        if finished:
            try:
                self.process.wait(min(self.timeout, _EXIT_GRACE))
                return
            except subprocess.TimeoutExpired:
                pass
        self.process.kill()
        self.process.wait()

    # -- writing --

    def send(self, command: str, args: Sequence[str] = (), body: bytes = b"") -> None:
        self._write(_encode_stanza(command, args, body))

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + self.timeout
        while view:
            if not select.select([], [self._to_plugin], [], self._remaining(deadline))[1]:
                raise self._timed_out("to read what agepy sent")
            try:
                view = view[os.write(self._to_plugin, view) :]
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                raise self._crashed() from None

    # -- reading --

    def receive(self) -> Stanza:
        """The plugin's next stanza: its command as ``type``, metadata as ``args``."""
        deadline = time.monotonic() + self.timeout
        line = self._read_line(deadline)
        if not line.startswith(b"-> "):
            raise self.garbled("a line that does not start a stanza")
        words = line[3:].decode("ascii", "replace").split(" ")
        if not all(_ARG.match(word) for word in words):
            raise self.garbled("malformed stanza arguments")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = self._read_line(deadline)
            size += len(chunk)
            if len(chunk) > _COLUMNS or size > _MAX_BODY:
                raise self.garbled("a stanza body not wrapped at 64 columns")
            chunks.append(chunk)
            if len(chunk) < _COLUMNS:
                break
        try:
            body = b64decode_canonical(b"".join(chunks), padded=False)
        except ValueError:
            raise self.garbled("a stanza body that is not canonical base64") from None
        return Stanza(type=words[0], args=tuple(words[1:]), body=body)

    def _read_line(self, deadline: float) -> bytes:
        searched = 0
        while (end := self._buffer.find(b"\n", searched)) < 0:
            searched = len(self._buffer)
            if searched > _MAX_LINE:
                raise self.garbled("a line longer than 1 MiB")
            if not select.select([self._from_plugin], [], [], self._remaining(deadline))[0]:
                raise self._timed_out("to answer")
            try:
                chunk = os.read(self._from_plugin, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                raise self._crashed()
            self._buffer += chunk
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return line

    def _remaining(self, deadline: float) -> float:
        return max(0.0, deadline - time.monotonic())

    # -- failures --

    def _crashed(self) -> PluginCrashError:
        try:
            status = self.process.wait(min(self.timeout, _EXIT_GRACE))
        except subprocess.TimeoutExpired:
            return PluginCrashError(
                f"{self.program} closed its connection to agepy before finishing",
                hint=_STDERR_HINT,
            )
        how = f"was killed by signal {-status}" if status < 0 else f"exited with status {status}"
        return PluginCrashError(f"{self.program} {how} before finishing", hint=_STDERR_HINT)

    def garbled(self, what: str) -> PluginProtocolError:
        return PluginProtocolError(
            f"{self.program} does not speak the age plugin protocol: it sent {what}",
            hint=f"check that {self.program} is an age plugin and up to date; {_STDERR_HINT}",
        )

    def _timed_out(self, what: str) -> PluginTimeoutError:
        return PluginTimeoutError(
            f"{self.program} took longer than {self.timeout:g} seconds {what}",
            hint="a plugin may wait for a device (plug it in, touch it) or hang; try again",
        )


def _encode_stanza(command: str, args: Sequence[str], body: bytes) -> bytes:
    encoded = b64encode(body).rstrip(b"=")
    lines = [encoded[i : i + _COLUMNS] for i in range(0, len(encoded), _COLUMNS)]
    if not lines or len(lines[-1]) == _COLUMNS:
        lines.append(b"")  # a body always ends with a short line
    first = " ".join(["->", command, *args]).encode("ascii")
    return first + b"\n" + b"\n".join(lines) + b"\n"


def _send_grease(conn: _Connection) -> None:
    """An unknown command the plugin must ignore: keeps the joint from rusting (spec)."""
    args = [secrets.token_hex(secrets.randbelow(4) + 1) for _ in range(secrets.randbelow(3))]
    conn.send(f"grease-{secrets.token_hex(4)}", args, secrets.token_bytes(secrets.randbelow(80)))


def _check_keys(keys: Sequence[str], what: str) -> None:
    for key in keys:
        if not _ARG.match(key):
            raise PluginError(
                f"a plugin {what} must be one word of printable ASCII",
                hint=f"check the {what} for spaces or stray characters",
            )


# --- the two state machines ------------------------------------------------------------


class _Exchange:
    """Phase 2 bookkeeping shared by both state machines: user requests and errors."""

    def __init__(self, conn: _Connection, ui: PluginUI) -> None:
        self.conn = conn
        self.ui = ui
        self.ui_failure: PluginError | None = None
        self.refusals: list[PluginRefusedError] = []

    def refuse(self, request: Stanza, name_of: dict[str, Sequence[str]]) -> None:
        """Record an ``error`` command (then acknowledge it, as the spec asks)."""
        what = " ".join(request.args[:1]) or "internal"
        detail = ""
        if what in name_of and len(request.args) >= 2 and _INDEX.match(request.args[1]):
            index = int(request.args[1])
            keys = name_of[what]
            # Identities may hold secrets: name them by position only.
            shown = keys[index][:24] + "…" if what == "recipient" and index < len(keys) else None
            detail = f" ({what} {shown or f'#{index + 1}'})"
        elif what == "stanza":
            detail = " (a stanza of the file's header)"
        message = _one_line(request.body.decode("utf-8", "replace"))[:300] or "unspecified error"
        self.refusals.append(
            PluginRefusedError(
                f"{self.conn.program}: {message}{detail}",
                hint="check the key given to this plugin, and the plugin's messages above",
            )
        )
        self.conn.send("ok")

    def serve(self, request: Stanza) -> None:
        """Answer a user request (msg, confirm, request-*) or an unknown command."""
        plugin = self.conn.plugin
        try:
            if request.type == "msg":
                self.ui.display_message(plugin, request.body.decode("utf-8", "replace"))
                reply: tuple[str, tuple[str, ...], bytes] = ("ok", (), b"")
            elif request.type in ("request-public", "request-secret"):
                value = self.ui.request_value(
                    plugin,
                    request.body.decode("utf-8", "replace"),
                    secret=request.type == "request-secret",
                )
                reply = ("ok", (), value.encode("utf-8"))
            elif request.type == "confirm":
                yes, no = self._choices(request)
                chose = self.ui.confirm(plugin, request.body.decode("utf-8", "replace"), yes, no)
                reply = ("ok", ("yes" if chose else "no",), b"")
            else:
                reply = ("unsupported", (), b"")
        except PluginProtocolError:
            raise
        except AgepyError as exc:
            # The plugin decides whether a failed request is fatal (spec); keep the reason.
            if self.ui_failure is None:
                self.ui_failure = (
                    exc
                    if isinstance(exc, PluginError)
                    else PluginUIError(exc.message, hint=exc.hint)
                )
            reply = ("fail", (), b"")
        self.conn.send(*reply)

    def _choices(self, request: Stanza) -> tuple[str, str | None]:
        if len(request.args) not in (1, 2):
            raise self.conn.garbled("a confirm request without its one or two choices")
        try:
            choices = [
                b64decode_canonical(arg.encode("ascii"), padded=False).decode("utf-8", "replace")
                for arg in request.args
            ]
        except ValueError:
            raise self.conn.garbled("a confirm request with choices not in base64") from None
        return choices[0], (choices[1] if len(choices) == 2 else None)

    def failure(self) -> PluginError | None:
        """The error that explains an unsuccessful exchange best, if any."""
        return self.ui_failure or (self.refusals[0] if self.refusals else None)


def wrap_file_key(
    plugin: str,
    recipients: Sequence[str],
    identities: Sequence[str],
    file_key: bytes,
    *,
    ui: PluginUI | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Stanza]:
    """The plugin's stanzas wrapping ``file_key`` to these recipients and identities.

    ``recipients`` are ``age1<plugin>1…`` strings; ``identities`` are
    ``AGE-PLUGIN-<PLUGIN>-1…`` strings to encrypt to. Raises PluginError.
    """
    if not recipients and not identities:
        raise ValueError("wrap_file_key needs at least one recipient or identity")
    if len(file_key) != FILE_KEY_SIZE:
        raise ValueError(f"a file key is {FILE_KEY_SIZE} bytes")
    _check_keys(recipients, "recipient")
    _check_keys(identities, "identity")
    stanzas: list[Stanza] = []
    with _Connection(plugin, "recipient-v1", timeout) as conn:
        exchange = _Exchange(conn, ui or TerminalUI())
        try:
            for recipient in recipients:
                conn.send("add-recipient", (recipient,))
            for identity in identities:
                conn.send("add-identity", (identity,))
            _send_grease(conn)
            conn.send("wrap-file-key", body=file_key)
            conn.send("done")
            while (request := conn.receive()).type != "done":
                if request.type == "recipient-stanza":
                    stanzas.append(_wrapped_stanza(conn, request))
                    conn.send("ok")
                elif request.type == "error":
                    exchange.refuse(request, {"recipient": recipients, "identity": identities})
                else:
                    exchange.serve(request)
        except (PluginCrashError, PluginTimeoutError) as exc:
            # A plugin may exit right after reporting an error: the error is the news.
            raise exchange.failure() or exc from None
    if exchange.refusals or not stanzas:
        raise exchange.failure() or PluginProtocolError(
            f"{conn.program} finished without wrapping the file key",
            hint=f"check that {conn.program} is an age plugin and up to date",
        )
    if len(stanzas) > len(recipients) + len(identities):
        raise conn.garbled("more stanzas than recipients and identities")
    return stanzas


def _wrapped_stanza(conn: _Connection, request: Stanza) -> Stanza:
    if len(request.args) < 2 or not _INDEX.match(request.args[0]):
        raise conn.garbled("a recipient-stanza without a file index and a stanza type")
    if request.args[0] != "0":
        raise conn.garbled(f"a stanza for file {request.args[0]} (agepy sent one file)")
    return Stanza(type=request.args[1], args=request.args[2:], body=request.body)


def unwrap_file_key(
    plugin: str,
    identities: Sequence[str],
    stanzas: Sequence[Stanza],
    *,
    ui: PluginUI | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> bytes | None:
    """The file key the plugin unwraps from a header's ``stanzas``; None for no match.

    ``identities`` are ``AGE-PLUGIN-<PLUGIN>-1…`` strings; ``stanzas`` are all of the
    header's stanzas (the plugin ignores the types it does not know). Raises PluginError
    when the plugin fails or reports an error (for example a malformed stanza of its type).
    """
    if not identities:
        raise ValueError("unwrap_file_key needs at least one identity")
    _check_keys(identities, "identity")
    file_key: bytes | None = None
    with _Connection(plugin, "identity-v1", timeout) as conn:
        exchange = _Exchange(conn, ui or TerminalUI())
        try:
            for identity in identities:
                conn.send("add-identity", (identity,))
            _send_grease(conn)
            for stanza in stanzas:
                conn.send("recipient-stanza", ("0", stanza.type, *stanza.args), stanza.body)
            conn.send("done")
            while (request := conn.receive()).type != "done":
                if request.type == "file-key":
                    if request.args != ("0",) or len(request.body) != FILE_KEY_SIZE:
                        raise conn.garbled("a file-key that is not one 16-byte key for file 0")
                    if file_key is not None:
                        raise conn.garbled("a second file key for the same file")
                    file_key = request.body
                    conn.send("ok")
                elif request.type == "error":
                    exchange.refuse(request, {"identity": identities})
                else:
                    exchange.serve(request)
        except (PluginCrashError, PluginTimeoutError) as exc:
            raise exchange.failure() or exc from None
    if exchange.refusals:
        raise exchange.refusals[0]
    if file_key is None and exchange.ui_failure is not None:
        raise exchange.ui_failure
    return file_key
