"""The plugin client's user interaction (a UI object, a real pseudo-terminal, none at
all) and its failures: a plugin that crashes, speaks garbage or hangs."""

from __future__ import annotations

import os
import secrets
import select
import subprocess
import sys
import time
from base64 import b64encode
from pathlib import Path

import pytest

from agepy.age.header import Stanza
from agepy.age.plugin import (
    PluginCrashError,
    PluginError,
    PluginProtocolError,
    PluginRefusedError,
    PluginTimeoutError,
    PluginUIError,
    unwrap_file_key,
    wrap_file_key,
)
from agepy.errors import IdentityError
from tests.age.plugin import (
    ANSWER,
    MODE_VARIABLES,
    PluginKey,
    ScriptedUI,
    make_plugin_key,
    plugin_search_path,
)
from tests.support.forkserver import popen_agepy

PLUGIN = "agepytest"
ROOT = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def plugin_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", plugin_search_path())
    for variable in MODE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_ANSWER", ANSWER)


# One key per module (made by the plugin's --generate, a Python start): tests only read it.
@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> PluginKey:
    return make_plugin_key(tmp_path_factory.mktemp("plugin-key"))


def both_ways(key: PluginKey, ui: ScriptedUI) -> None:
    """Wrap then unwrap through the plugin with this UI; the key must come back."""
    file_key = secrets.token_bytes(16)
    stanzas = wrap_file_key(PLUGIN, [key.recipient], [], file_key, ui=ui)
    assert unwrap_file_key(PLUGIN, [key.identity], stanzas, ui=ui) == file_key


# --- (c) prompts -----------------------------------------------------------------------

ASKED = {
    "msg": ("msg", PLUGIN, "hello from agepytest"),
    "prompt-secret": ("value", PLUGIN, "prompt-secret for agepytest", True),
    "prompt-public": ("value", PLUGIN, "prompt-public for agepytest", False),
    "confirm": ("confirm", PLUGIN, "use the agepytest key?", "Yes, go ahead", "No, skip it"),
    "confirm-yes-only": ("confirm", PLUGIN, "use the agepytest key?", "Yes, go ahead", None),
}


@pytest.mark.parametrize("mode", list(ASKED))
def test_requests_reach_the_ui(mode: str, key: PluginKey, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_MODE", mode)
    ui = ScriptedUI()
    both_ways(key, ui)
    assert ui.calls == [ASKED[mode], ASKED[mode]]


@pytest.mark.parametrize(
    ("mode", "ui", "reason"),
    [
        ("prompt-secret", ScriptedUI(answer="0000"), "wrong answer to prompt-secret"),
        ("confirm", ScriptedUI(choose_yes=False), "the user said no"),
    ],
    ids=["wrong-pin", "declined"],
)
def test_the_plugin_decides_on_an_answer(
    mode: str, ui: ScriptedUI, reason: str, key: PluginKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_MODE", mode)
    with pytest.raises(PluginRefusedError, match=f"^age-plugin-agepytest: {reason}"):
        wrap_file_key(PLUGIN, [key.recipient], [], bytes(16), ui=ui)


def test_a_ui_that_cannot_ask_answers_fail_and_its_reason_is_the_error(
    key: PluginKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    stanzas = wrap_file_key(PLUGIN, [key.recipient], [], bytes(16))
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_MODE", "prompt-secret")
    ui = ScriptedUI(failure=IdentityError("the PIN prompt was cancelled", hint="try again"))
    with pytest.raises(PluginUIError, match=r"^the PIN prompt was cancelled$") as caught:
        unwrap_file_key(PLUGIN, [key.identity], stanzas, ui=ui)
    assert caught.value.hint == "try again"


def test_terminal_ui_shows_messages_on_stderr(
    key: PluginKey, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_MODE", "msg")
    wrap_file_key(PLUGIN, [key.recipient], [], bytes(16))  # ui=None: the TerminalUI
    assert capfd.readouterr().err == "agepy: agepytest plugin: hello from agepytest\n"


CHILD = """
import fcntl, sys, termios
from base64 import b64decode
from agepy.age.header import Stanza
from agepy.age.plugin import unwrap_file_key
from agepy.errors import AgepyError
if sys.argv[1] == "terminal":
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # the pseudo-terminal becomes this session's
stanza = Stanza("agepytest", (sys.argv[3],), b64decode(sys.argv[4]))
try:
    print(unwrap_file_key("agepytest", [sys.argv[2]], [stanza]).hex())
except AgepyError as exc:
    print(f"{type(exc).__name__}: {exc}")
"""


@pytest.fixture(scope="module")
def child(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CHILD as a script of this interpreter, for the fork server to run as a process."""
    script = tmp_path_factory.mktemp("child") / "unwrap-child"
    script.write_text(f"#!{sys.executable}\n{CHILD}")
    script.chmod(0o755)
    return script


def run_child(
    child: Path,
    key: PluginKey,
    mode: str,
    *,
    terminal: bool,
    reply_to: bytes = b"",
    reply: bytes = b"",
) -> tuple[str, bytes, bytes]:
    """Unwrap in a new session through TerminalUI: on a pseudo-terminal, or on none. The
    ``child`` script runs as a real process, forked by tests.support.forkserver.

    Returns the child's stdout, what it showed on the terminal and the file key."""
    file_key = secrets.token_bytes(16)
    (stanza,) = wrap_file_key(PLUGIN, [key.recipient], [], file_key)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AGEPY_TEST_PLUGIN_MODE": mode}
    args = ["terminal" if terminal else "none", key.identity, stanza.args[0]]
    args.append(b64encode(stanza.body).decode())
    master, slave = os.openpty()
    screen = b""
    try:
        process = popen_agepy(
            args,
            script=child,
            stdin=slave if terminal else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    finally:
        os.close(slave)
    with process:
        give_up = time.monotonic() + 120  # a safety net against a hung test, not a measure
        while process.poll() is None and time.monotonic() < give_up:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    screen += os.read(master, 4096)
                except OSError:  # the terminal closed
                    continue
                if reply_to and reply_to in screen:
                    os.write(master, reply)
                    reply_to = b""
        process.kill()
        output = process.communicate()[0].decode().strip()
    os.close(master)
    return output, screen, file_key


def test_terminal_ui_reads_a_secret_with_echo_off(child: Path, key: PluginKey) -> None:
    output, screen, file_key = run_child(
        child,
        key,
        "prompt-secret",
        terminal=True,
        reply_to=b"for agepytest",
        reply=ANSWER.encode() + b"\n",
    )
    assert output == file_key.hex()
    assert b"[agepytest] prompt-secret for agepytest" in screen
    assert ANSWER.encode() not in screen


def test_terminal_ui_asks_for_a_choice(child: Path, key: PluginKey) -> None:
    output, screen, file_key = run_child(
        child, key, "confirm", terminal=True, reply_to=b"No, skip it", reply=b"1\n"
    )
    assert output == file_key.hex()
    assert b"use the agepytest key? (1 for 'Yes, go ahead', 2 for 'No, skip it')" in screen


def test_without_a_terminal_a_request_fails_in_one_line(child: Path, key: PluginKey) -> None:
    output, _, _ = run_child(child, key, "prompt-secret", terminal=False)
    assert output == (
        "NoTerminalError: age-plugin-agepytest asks 'prompt-secret for agepytest'"
        " but there is no terminal to answer on"
    )


# --- (d) plugins that fail -------------------------------------------------------------

# The timeout the hanging plugins meet: short, since a hang is what is being shown; a
# plugin that is slow to start meets it just the same (PluginTimeoutError either way).
HANG_TIMEOUT = 0.3

FAILURES = {
    "crash": (PluginCrashError, "age-plugin-agepytest exited with status 3 before finishing"),
    "garbage": (PluginProtocolError, "age-plugin-agepytest does not speak the age plugin protocol"),
    "hang": (
        PluginTimeoutError,
        f"age-plugin-agepytest did not answer within {HANG_TIMEOUT:g} s",
    ),
    "error": (PluginRefusedError, "age-plugin-agepytest: refusing on purpose"),
}


@pytest.mark.parametrize("side", ["wrap", "unwrap"])
@pytest.mark.parametrize("mode", list(FAILURES))
def test_a_failing_plugin_is_one_clean_error_and_is_reaped(
    mode: str,
    side: str,
    key: PluginKey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    stanzas = wrap_file_key(PLUGIN, [key.recipient], [], bytes(16))
    log = tmp_path / "log"
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_LOG", str(log))
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_MODE", mode)
    error, message = FAILURES[mode]
    # Only the hanging plugin is meant to meet the timeout; the others get one that a
    # loaded machine's slow start of a Python plugin cannot reach.
    timeout = HANG_TIMEOUT if mode == "hang" else 60
    with pytest.raises(error) as caught:
        if side == "wrap":
            wrap_file_key(PLUGIN, [key.recipient], [], bytes(16), timeout=timeout)
        else:
            unwrap_file_key(PLUGIN, [key.identity], stanzas, timeout=timeout)
    assert caught.value.message.startswith(message)
    assert "\n" not in caught.value.message and caught.value.hint
    pid = int(log.read_text().split()[1])
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left as a zombie
        os.kill(pid, 0)
    if mode == "crash":  # the plugin's stderr reaches the user's
        assert "agepytest: crashing on purpose" in capfd.readouterr().err


def test_a_plugin_that_does_not_read_cannot_block_agepy(
    key: PluginKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_MODE", "hang-early")
    many = [Stanza("other", (str(n),), secrets.token_bytes(300)) for n in range(2_000)]
    with pytest.raises(
        PluginTimeoutError, match=f"did not read what agepy sent within {HANG_TIMEOUT:g} s"
    ):
        unwrap_file_key(PLUGIN, [key.identity], many, timeout=HANG_TIMEOUT)


def test_a_plugin_breaking_the_protocol_is_caught(
    key: PluginKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    stanzas = wrap_file_key(PLUGIN, [key.recipient], [], bytes(16))
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_MODE", "too-many")
    with pytest.raises(PluginProtocolError, match=r"2 stanza\(s\) for 1 recipient"):
        wrap_file_key(PLUGIN, [key.recipient], [], bytes(16))
    monkeypatch.setenv("AGEPY_TEST_PLUGIN_MODE", "bad-file-key")
    with pytest.raises(PluginProtocolError, match="a file-key that is not the one 16-byte key"):
        unwrap_file_key(PLUGIN, [key.identity], stanzas)


def test_a_program_that_exits_at_once_is_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "age-plugin-quitter"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(PluginError, match=r"^age-plugin-quitter exited with status 0 before"):
        unwrap_file_key("quitter", ["AGE-PLUGIN-QUITTER-1QQQQ"], [Stanza("x", (), b"")])
