"""`agepy demo`, as the README's first command runs it: every step's outcome, not just exit 0."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import agepy.demo
from agepy.demo import Demo, DemoError, _prepare
from tests.conftest import SSHD, require_tool
from tests.support.cli import AGEPY, run_agepy
from tests.support.forkserver import popen_agepy

# One worker runs the demo once for all the checks below.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]


class _ForkedSteps:
    """agepy.demo's `subprocess` in these tests: its `python -m agepy` steps are real agepy
    processes forked by the fork server (tests/support/forkserver.py) instead of a fresh
    interpreter each, which made most of the demo's time; what else it runs (`age -d`)
    runs as it would. test_a_step_is_python_m_agepy_in_a_child runs a step as the demo
    starts it, and the quick start test (`./run demo`) the whole demo so."""

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    @staticmethod
    def run(
        argv: Sequence[str],
        *,
        input: str | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> subprocess.CompletedProcess[Any]:
        if list(argv[: len(AGEPY)]) != AGEPY:
            return subprocess.run(argv, input=input, timeout=timeout, **kwargs)
        assert kwargs.pop("capture_output") and not kwargs.pop("check"), kwargs
        with popen_agepy(
            argv[len(AGEPY) :],
            # No input: the step reads the demo's own standard input, as a child would.
            stdin=None if input is None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **kwargs,
        ) as process:
            try:
                stdout, stderr = process.communicate(input, timeout=timeout)
            except BaseException:
                process.kill()
                raise
        return subprocess.CompletedProcess(list(argv), process.returncode, stdout, stderr)


@contextmanager
def _forked_steps() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(agepy.demo, "subprocess", _ForkedSteps())
        yield


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    require_tool("age")
    require_tool(SSHD)
    require_tool("ssh-keygen")
    # A temp folder of its own, to see that the demo removes everything it made.
    tmp = tmp_path_factory.mktemp("demo-tmp")
    with _forked_steps():
        result = run_agepy(["demo"], text=True, set_env={"NO_COLOR": "1", "TMPDIR": str(tmp)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp.iterdir()), f"the demo left {sorted(tmp.iterdir())} behind"
    return result.stdout


def _step(output: str, number: int) -> str:
    match = re.search(rf"^== {number}\. .*?(?=^== {number + 1}\. |\Z)", output, re.M | re.S)
    assert match, f"step {number} missing from:\n{output}"
    return match.group(0)


def test_sshd_stands_in_for_the_host(demo_output: str) -> None:
    assert re.search(r"sshd listening on 127\.0\.0\.1:\d+", _step(demo_output, 1))


def test_add_host_keyscans_and_edits_secrets_nix(demo_output: str) -> None:
    step = _step(demo_output, 2)
    assert re.search(r"^\$ agepy add-host matrix 127\.0\.0\.1:\d+", step, re.M)
    assert re.search(r"ssh-rsa\s+SHA256:[A-Za-z0-9+/]{43}", step)
    assert "secrets.nix now binds matrix" in step


def test_matrix_secrets_and_conduit_command(demo_output: str) -> None:
    step = _step(demo_output, 3)
    assert "$ agepy encrypt conduit-registration-token" in step
    assert "$ agepy encrypt heisenbridge-config --host matrix" in step
    lines = [line.strip() for line in step.splitlines()]
    start = lines.index("@conduit:example.com: register-appservice")
    assert lines[start + 1] == "```"
    assert "id: heisenbridge" in lines
    assert re.search(r"as_token: [A-Za-z0-9]{64}", step)
    assert lines[lines.index("rooms: []") + 1] == "```"


def test_check_clean_and_host_decrypts(demo_output: str) -> None:
    step = _step(demo_output, 4)
    assert "$ agepy check" in step
    assert "all encrypted to exactly their keys" in step
    assert "heisenbridge-config.age: decrypts" in step
    assert "conduit-env.age: decrypts" in step


def test_reinstall_rescan(demo_output: str) -> None:
    step = _step(demo_output, 5)
    assert "$ agepy rescan matrix --yes" in step
    assert "CHANGED" in step
    assert "the old host key decrypts nothing, the new one both secrets" in step
    assert "restic-password.age, which matrix does not hold, is untouched" in step


def test_cleanup(demo_output: str) -> None:
    step = _step(demo_output, 6)
    assert "sshd stopped" in step
    assert "removed " in step


def test_without_sshd_the_demo_uses_the_recorded_host_key(tmp_path: Path) -> None:
    """Where sshd can't start, it says so and still runs every other step."""
    require_tool("age")
    env = {"NO_COLOR": "1", "TMPDIR": str(tmp_path), "AGEPY_SSHD": "/nonexistent"}
    with _forked_steps():
        result = run_agepy(["demo"], text=True, set_env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "sshd could not start" in _step(out, 1)
    assert "--key-file keys/matrix_ssh_host_rsa_key.pub" in _step(out, 2)
    assert "heisenbridge-config.age: decrypts" in _step(out, 4)
    step = _step(out, 5)
    assert "$ agepy rescan matrix --key-file" in step
    assert "the old host key decrypts nothing, the new one both secrets" in step
    assert not list(tmp_path.iterdir())


def test_a_step_is_python_m_agepy_in_a_child(tmp_path: Path) -> None:
    """As the demo starts its steps (the tests above fork them): this interpreter's
    `python -m agepy` in the demo's copy of the example, its answer shown indented."""
    said: list[str] = []
    demo = Demo(root=tmp_path, say=said.append)
    _prepare(demo)
    out = demo.agepy("list")
    assert said[0] == "$ agepy list"
    assert re.search(r"^restic-password\.age\s+ok\s+alice, backup$", out, re.M)
    assert f"  {out.splitlines()[0]}" in said


def test_a_failed_step_stops_the_demo(tmp_path: Path) -> None:
    demo = Demo(root=tmp_path, say=lambda _line: None)
    _prepare(demo)
    with (
        _forked_steps(),
        pytest.raises(DemoError, match=r"`agepy show nope` failed with exit code 1"),
    ):
        demo.agepy("show", "nope")
