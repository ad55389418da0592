"""Hypothesis: whatever a plugin writes back, agepy's client ends in a result or an
agepy error — never another exception, never a hang."""

from __future__ import annotations

import os
from base64 import b64encode
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agepy.age.header import Stanza
from agepy.age.plugin import unwrap_file_key, wrap_file_key
from agepy.errors import AgepyError
from tests.age.plugin import ScriptedUI

# Replays a canned answer, closes its output, then drains stdin so agepy's writes land.
REPLAYER = '#!/bin/sh\ncat "$AGEPY_FUZZ_REPLY"\nexec 1>&-\nwhile read -r line; do :; done\n'
COMMANDS = ["msg", "confirm", "request-secret", "request-public", "recipient-stanza"]
COMMANDS += ["file-key", "error", "done", "ok", "fail", "unsupported", "grease-x", "labels"]
WORDS = st.sampled_from(["0", "1", "-1", "00", "x", "eWVz", "bm8", "=", "é", "", "a b"])


@st.composite
def stanza_text(draw: st.DrawFn) -> bytes:
    words = [draw(st.sampled_from(COMMANDS)), *draw(st.lists(WORDS, max_size=3))]
    body = b64encode(draw(st.binary(max_size=100))).rstrip(b"=")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    if not lines or len(lines[-1]) == 64:
        lines.append(b"")
    if draw(st.booleans()):  # sometimes break the body's framing
        lines = draw(st.permutations(lines)) + draw(st.lists(st.binary(max_size=70), max_size=2))
    return ("-> " + " ".join(words)).encode() + b"\n" + b"\n".join(lines) + b"\n"


REPLIES = st.one_of(
    st.binary(max_size=300),
    st.lists(stanza_text(), max_size=6).map(b"".join),
    st.tuples(st.lists(stanza_text(), max_size=4), st.binary(max_size=40)).map(
        lambda parts: b"".join(parts[0]) + parts[1]
    ),
)


@pytest.fixture
def replayer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzzplugin")
    program = folder / "age-plugin-fuzz"
    program.write_text(REPLAYER)
    program.chmod(0o755)
    return folder


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(reply=REPLIES, unwrapping=st.booleans())
def test_any_reply_is_a_result_or_an_agepy_error(
    reply: bytes, unwrapping: bool, replayer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (replayer / "reply").write_bytes(reply)
    monkeypatch.setenv("AGEPY_FUZZ_REPLY", str(replayer / "reply"))
    monkeypatch.setenv("PATH", f"{replayer}{os.pathsep}{os.environ['PATH']}")
    try:
        if unwrapping:
            stanza = Stanza("fuzz", ("a",), b"b")
            result = unwrap_file_key(
                "fuzz", ["AGE-PLUGIN-FUZZ-1X"], [stanza], ui=ScriptedUI(), timeout=10
            )
            assert result is None or len(result) == 16
        else:
            wrapped = wrap_file_key(
                "fuzz", ["age1fuzz1x"], [], bytes(16), ui=ScriptedUI(), timeout=10
            )
            assert 1 <= len(wrapped) <= 1
    except AgepyError as exc:
        assert "\n" not in exc.message
