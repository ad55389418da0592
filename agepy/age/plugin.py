"""agepy's client of the age plugin protocol (C2SP age-plugin.md, state machines v1).

``age1<name>1…`` recipients and ``AGE-PLUGIN-<NAME>-1…`` identities are handled by the
program ``age-plugin-<name>`` on PATH: one process per call, one file (index 0) per
process. What the plugin asks of the user goes through a :class:`PluginUI`, by default
:class:`TerminalUI`. A plugin that is missing, crashes, speaks garbage or stays silent
longer than ``timeout`` seconds ends in one :class:`PluginError`; its process is always
reaped, killed if need be; its standard error goes straight to the user's.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import select
import shutil
import subprocess
import tempfile
import time
from base64 import b64encode
from collections.abc import Callable, Sequence

from agepy.age._plugin_ui import (
    NoTerminalError,
    PluginCrashError,
    PluginError,
    PluginNotFoundError,
    PluginProtocolError,
    PluginRefusedError,
    PluginTimeoutError,
    PluginUI,
    PluginUIError,
    TerminalUI,
    _one_line,
)
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
    "unwrap_file_key",
    "wrap_file_key",
]

DEFAULT_TIMEOUT = 30.0
FILE_KEY_SIZE = 16
_COLUMNS = 64
# Far above any real message (a post-quantum stanza line is ~1.6 KB); bounds memory.
_MAX_LINE = _MAX_BODY_LINES = 1 << 16
# How long a plugin that said "done" may take to exit before it is killed.
_EXIT_GRACE = 5.0
_ARG = re.compile(r"[\x21-\x7e]+\Z")
_INDEX = re.compile(r"(?:0|[1-9][0-9]{0,8})\Z")
_Command = tuple[str, tuple[str, ...], bytes]
_STDERR_HINT = "the plugin's own messages on standard error, if any, may say why"


# --- the connection -------------------------------------------------------------------


def _program(plugin: str) -> str:
    if not _ARG.match(plugin) or os.sep in plugin:
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

    def send(self, command: str, args: Sequence[str] = (), body: bytes = b"") -> None:
        view = memoryview(_encode_stanza(command, args, body))
        deadline = time.monotonic() + self.timeout
        while view:
            self._wait(deadline, writing=True)
            try:
                view = view[os.write(self._to_plugin, view) :]
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                raise self._crashed() from None

    def receive(self) -> Stanza:
        """The plugin's next stanza: its command as ``type``, metadata as ``args``."""
        deadline = time.monotonic() + self.timeout
        line = self._read_line(deadline)
        words = line[3:].decode("ascii", "replace").split(" ")
        if not line.startswith(b"-> ") or not all(_ARG.match(word) for word in words):
            raise self.garbled("a line that is not the start of a stanza")
        chunks = [self._read_line(deadline)]
        while len(chunks[-1]) == _COLUMNS and len(chunks) < _MAX_BODY_LINES:
            chunks.append(self._read_line(deadline))
        try:
            if len(chunks[-1]) >= _COLUMNS:
                raise ValueError("not wrapped")
            body = b64decode_canonical(b"".join(chunks), padded=False)
        except ValueError:
            raise self.garbled("a stanza body not in canonical base64 wrapped at 64") from None
        return Stanza(type=words[0], args=tuple(words[1:]), body=body)

    def _read_line(self, deadline: float) -> bytes:
        while (end := self._buffer.find(b"\n")) < 0:
            if len(self._buffer) > _MAX_LINE:
                raise self.garbled("a line longer than 64 KiB")
            self._wait(deadline, writing=False)
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

    def _wait(self, deadline: float, *, writing: bool) -> None:
        # poll, not select: a busy process may hold descriptors above select's 1024.
        poller = select.poll()
        poller.register(
            *((self._to_plugin, select.POLLOUT) if writing else (self._from_plugin, select.POLLIN))
        )
        if not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
            raise self._timed_out("read what agepy sent" if writing else "answer")

    # -- failures --

    def _crashed(self) -> PluginCrashError:
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):  # EOF on stdin: a plugin still reading may exit
            self.process.stdin.close()
        try:
            status = self.process.wait(min(self.timeout, _EXIT_GRACE))
            how = (
                f"was killed by signal {-status}" if status < 0 else f"exited with status {status}"
            )
        except subprocess.TimeoutExpired:
            how = "closed its connection to agepy"
        return PluginCrashError(f"{self.program} {how} before finishing", hint=_STDERR_HINT)

    def garbled(self, what: str) -> PluginProtocolError:
        return PluginProtocolError(
            f"{self.program} does not speak the age plugin protocol: it sent {what}",
            hint=f"check that {self.program} is an age plugin and up to date; {_STDERR_HINT}",
        )

    def _timed_out(self, what: str) -> PluginTimeoutError:
        return PluginTimeoutError(
            f"{self.program} did not {what} within {self.timeout:g} s",
            hint="a plugin may wait for a device (plug it in, touch it) or hang; try again",
        )


def _encode_stanza(command: str, args: Sequence[str], body: bytes) -> bytes:
    encoded = b64encode(body).rstrip(b"=")
    lines = [encoded[i : i + _COLUMNS] for i in range(0, len(encoded), _COLUMNS)]
    if not lines or len(lines[-1]) == _COLUMNS:
        lines.append(b"")  # a body always ends with a short line
    first = " ".join(["->", command, *args]).encode("ascii")
    return first + b"\n" + b"\n".join(lines) + b"\n"


def _grease() -> _Command:
    """An unknown command the plugin must ignore: keeps the joint from rusting (spec)."""
    args = tuple(secrets.token_hex(secrets.randbelow(4) + 1) for _ in range(secrets.randbelow(3)))
    return f"grease-{secrets.token_hex(4)}", args, secrets.token_bytes(secrets.randbelow(80))


def _word(key: str, what: str) -> str:
    if not _ARG.match(key):
        raise PluginError(
            f"a plugin {what} must be one word of printable ASCII",
            hint=f"check the {what} for spaces or stray characters",
        )
    return key


# --- the two state machines ------------------------------------------------------------


class _Exchange:
    """Both state machines: phase 1 sent, then phase 2, where the plugin leads. Results go
    to ``on_result``, requests to the UI; errors are kept to raise once the plugin is done."""

    def __init__(self, conn: _Connection, ui: PluginUI, keys: dict[str, Sequence[str]]) -> None:
        self.conn, self.ui, self.keys = conn, ui, keys
        self.ui_failure: PluginError | None = None
        self.refusals: list[PluginRefusedError] = []

    def run(self, phase1: list[_Command], result: str, on_result: Callable[[Stanza], None]) -> None:
        try:
            for command, args, body in phase1:
                self.conn.send(command, args, body)
            self.conn.send("done")
            while (request := self.conn.receive()).type != "done":
                if request.type == result:
                    on_result(request)
                    self.conn.send("ok")
                elif request.type == "error":
                    self._refuse(request)
                else:
                    self.conn.send(*self._serve(request))
        except (PluginCrashError, PluginTimeoutError) as exc:
            # A plugin may exit right after reporting an error: the error is the news.
            raise self.failure() or exc from None

    def failure(self) -> PluginError | None:
        """The error that explains an unsuccessful exchange best, if any."""
        return self.ui_failure or (self.refusals[0] if self.refusals else None)

    def _refuse(self, request: Stanza) -> None:
        what, index = (*request.args, "", "")[:2]
        detail = " (a stanza of the file's header)" if what == "stanza" else ""
        if what in self.keys and _INDEX.match(index):
            keys = self.keys[what]
            # Identities may hold secrets: they are named by position only.
            shown = what == "recipient" and int(index) < len(keys)
            detail = f" ({what} {keys[int(index)][:24] + '…' if shown else f'#{int(index) + 1}'})"
        message = _one_line(request.body.decode("utf-8", "replace"))[:300] or "unspecified error"
        self.refusals.append(
            PluginRefusedError(
                f"{self.conn.program}: {message}{detail}",
                hint="check the key given to this plugin, and the plugin's messages above",
            )
        )
        self.conn.send("ok")  # the spec's answer to every error

    def _serve(self, request: Stanza) -> _Command:
        plugin, text = self.conn.plugin, request.body.decode("utf-8", "replace")
        try:
            if request.type == "msg":
                self.ui.display_message(plugin, text)
                return ("ok", (), b"")
            if request.type in ("request-public", "request-secret"):
                secret = request.type == "request-secret"
                return ("ok", (), self.ui.request_value(plugin, text, secret=secret).encode())
            if request.type == "confirm":
                chose_yes = self.ui.confirm(plugin, text, *self._choices(request))
                return ("ok", ("yes" if chose_yes else "no",), b"")
            return ("unsupported", (), b"")  # grease, or a command of a later version
        except PluginProtocolError:
            raise
        except AgepyError as exc:
            # The plugin decides whether a failed request is fatal (spec); keep the reason.
            if self.ui_failure is None:
                failure = exc if isinstance(exc, PluginError) else None
                self.ui_failure = failure or PluginUIError(
                    exc.message, hint=exc.hint, reason=exc.reason, details=exc.details
                )
            return ("fail", (), b"")

    def _choices(self, request: Stanza) -> tuple[str, str | None]:
        if len(request.args) not in (1, 2):
            raise self.conn.garbled("a confirm request without its one or two choices")
        try:
            yes, *no = (b64decode_canonical(a.encode(), padded=False) for a in request.args)
        except ValueError:
            raise self.conn.garbled("a confirm request with choices not in base64") from None
        return yes.decode("utf-8", "replace"), no[0].decode("utf-8", "replace") if no else None


def wrap_file_key(
    plugin: str,
    recipients: Sequence[str],
    identities: Sequence[str],
    file_key: bytes,
    *,
    ui: PluginUI | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Stanza]:
    """The plugin's stanzas wrapping ``file_key`` to ``age1<plugin>1…`` recipients and
    ``AGE-PLUGIN-<PLUGIN>-1…`` identities (encrypting to them). Raises PluginError."""
    if not (recipients or identities) or len(file_key) != FILE_KEY_SIZE:
        raise ValueError("wrap_file_key needs a recipient or identity and a 16-byte file key")
    phase1: list[_Command] = [("add-recipient", (_word(r, "recipient"),), b"") for r in recipients]
    phase1 += [("add-identity", (_word(i, "identity"),), b"") for i in identities]
    phase1 += [_grease(), ("wrap-file-key", (), file_key)]
    stanzas: list[Stanza] = []

    def take(request: Stanza) -> None:
        if len(request.args) < 2 or request.args[0] != "0":
            raise conn.garbled("a recipient-stanza that is not for file 0 (agepy sent one)")
        stanzas.append(Stanza(type=request.args[1], args=request.args[2:], body=request.body))

    with _Connection(plugin, "recipient-v1", timeout) as conn:
        keys = {"recipient": recipients, "identity": identities}
        exchange = _Exchange(conn, ui or TerminalUI(), keys)
        exchange.run(phase1, "recipient-stanza", take)
    if (failure := exchange.failure()) and (exchange.refusals or not stanzas):
        raise failure
    wanted = len(recipients) + len(identities)
    if not 0 < len(stanzas) <= wanted:
        raise conn.garbled(f"{len(stanzas)} stanza(s) for {wanted} recipient(s) and identities")
    return stanzas


def unwrap_file_key(
    plugin: str,
    identities: Sequence[str],
    stanzas: Sequence[Stanza],
    *,
    ui: PluginUI | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> bytes | None:
    """The file key the plugin unwraps with ``AGE-PLUGIN-<PLUGIN>-1…`` identities from
    all of a header's ``stanzas``; None when none is for them. Raises PluginError when
    the plugin fails or reports an error (such as a malformed stanza of its type)."""
    if not identities:
        raise ValueError("unwrap_file_key needs an identity")
    phase1: list[_Command] = [("add-identity", (_word(i, "identity"),), b"") for i in identities]
    phase1.append(_grease())
    phase1 += [("recipient-stanza", ("0", s.type, *s.args), s.body) for s in stanzas]
    found: list[bytes] = []

    def take(request: Stanza) -> None:
        if request.args != ("0",) or len(request.body) != FILE_KEY_SIZE or found:
            raise conn.garbled("a file-key that is not the one 16-byte key of file 0")
        found.append(request.body)

    with _Connection(plugin, "identity-v1", timeout) as conn:
        exchange = _Exchange(conn, ui or TerminalUI(), {"identity": identities})
        exchange.run(phase1, "file-key", take)
    if (failure := exchange.failure()) and (exchange.refusals or not found):
        raise failure
    return found[0] if found else None
