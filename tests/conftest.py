"""Shared fixtures. Real tools only: in CI (CI=true) a missing tool fails, never skips."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.keys import Key, shared_keys
from tests.support.ramdisk import scratch_tmpfs
from tests.support.repo import MakeRepo, Repo, build_repo
from tests.support.scan import files_holding

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TESTS = Path(__file__).parent
SSHD = "/usr/sbin/sshd"

# The tests choose their rules file themselves: a developer's own would leak into them.
for _variable in ("AGENIX_RULES", "RULES"):
    os.environ.pop(_variable, None)

# A run writes about 300 MB of temporary files; the RAM disk must hold several times that.
_RAM_BASETEMP_NEED = 2 << 30
_RAM_BASETEMP = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """The run's temporary folders on a RAM disk (tests/support/ramdisk.py says why),
    unless --basetemp names a folder. xdist workers get theirs inside the controller's."""
    if config.option.basetemp is not None:
        return
    ram = scratch_tmpfs(need=_RAM_BASETEMP_NEED)
    if ram is not None:
        config.option.basetemp = tempfile.mkdtemp(prefix="agepy-tests-", dir=ram)
        config.stash[_RAM_BASETEMP] = config.option.basetemp


def pytest_collection_finish(session: pytest.Session) -> None:
    """What is loaded by now (agepy, pytest, hypothesis, every collected test) lives to
    the end of the run: the cyclic garbage collector need not walk it again at each
    collection, and collects less often (the tests make many short-lived objects, and a
    worker has memory to spare). A profile showed the workers spending 12% of their time
    in it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def pytest_unconfigure(config: pytest.Config) -> None:
    # RAM is not a place to leave 300 MB behind; a run's folders on disk stay, as pytest's do.
    made = config.stash.get(_RAM_BASETEMP, None)
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)


def require_tool(name: str) -> str:
    """The path of a real tool; skip when absent locally, fail when absent in CI."""
    path = shutil.which(name) or (
        name if Path(name).is_absolute() and Path(name).exists() else None
    )
    if path is None:
        message = f"{name} is not installed (Debian: age, nix-bin, openssh-server)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def age_bin() -> str:
    return require_tool("age")


@pytest.fixture(scope="session")
def age_keygen_bin() -> str:
    return require_tool("age-keygen")


@pytest.fixture(scope="session")
def nix_instantiate() -> str:
    return require_tool("nix-instantiate")


@pytest.fixture(scope="session")
def ssh_keygen_bin() -> str:
    return require_tool("ssh-keygen")


@pytest.fixture(scope="session")
def ssh_keyscan_bin() -> str:
    return require_tool("ssh-keyscan")


@pytest.fixture(scope="session")
def sshd_bin() -> str:
    return require_tool(SSHD)


@pytest.fixture(scope="session")
def keys(
    tmp_path_factory: pytest.TempPathFactory, ssh_keygen_bin: str, age_keygen_bin: str
) -> dict[str, Key]:
    """The tests' keys by name (tests/support/keys.py), made once per run and shared by
    the xdist workers, whose temporary folders have a common parent."""
    return shared_keys(_run_folder(tmp_path_factory), ssh_keygen_bin, age_keygen_bin)


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding every temporary folder of this run (all xdist workers')."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


FindLeaks = Callable[[Sequence[bytes], float], list[Path]]


@pytest.fixture
def find_leaks(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> FindLeaks:
    """``find_leaks(needles, since)``: the files written since ``since`` (a time.time())
    under this test's temporary folder, the temp folders (/tmp, /var/tmp), /dev/shm and
    $XDG_RUNTIME_DIR that hold one of ``needles`` (tests/support/scan.py).

    The other tests' temporary folders are left out: they hold secrets of their own, and
    nothing this test runs knows where they are. pytest's earlier runs beside this one
    (pytest-of-USER/pytest-N) are left out with them.
    """
    others = _run_folder(tmp_path_factory)
    if others.parent.name.startswith("pytest-of-"):
        others = others.parent
    places = [tmp_path, Path(tempfile.gettempdir()), Path("/var/tmp"), Path("/dev/shm")]
    if os.environ.get("XDG_RUNTIME_DIR"):
        places.append(Path(os.environ["XDG_RUNTIME_DIR"]))

    def find(needles: Sequence[bytes], since: float) -> list[Path]:
        return files_holding(needles, places, since, skip=[others])

    return find


@pytest.fixture
def make_repo(tmp_path: Path, keys: dict[str, Key]) -> MakeRepo:
    """Build a secrets folder in this test's temporary folder (tests/support/repo.py)."""

    def make(entries: Mapping[str, Sequence[str]] | None = None, **options: Any) -> Repo:
        return build_repo(tmp_path, keys, entries, **options)

    return make
