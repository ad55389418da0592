"""add-host and rescan as operations: secrets.nix and agepy.toml are loaded once and
reloaded only after a write; a failure after the first write puts every file back.

Counts, in-process, every evaluation of a Nix file (``agepy.nix.evaluate_file``, which
every evaluation of secrets.nix goes through), every parse and every read of agepy.toml,
for whole commands run through ``agepy.cli.main`` with ``--key-file`` (no network).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import agepy.nix.eval
import agepy.nix.parse
from tests.conftest import require_tool
from tests.support.cli import run_agepy

SECRETS = {"a.age": b"alpha\n", "b.age": b"beta\n"}


def _keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)], check=True
    )
    return " ".join(path.with_suffix(".pub").read_text().split()[:2])


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    age = require_tool("age")
    require_tool("ssh-keygen")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RULES", raising=False)
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    folder = tmp_path / "repo"
    folder.mkdir()
    admin = _keygen(tmp_path / "admin")
    entries = "\n".join(f'  "{name}".publicKeys = [ admin ];' for name in SECRETS)
    (folder / "secrets.nix").write_text(f'let\n  admin = "{admin}";\nin\n{{\n{entries}\n}}\n')
    for name, plaintext in SECRETS.items():
        subprocess.run([age, "-r", admin, "-o", str(folder / name)], input=plaintext, check=True)
    for host in ("host-old", "host-new"):
        _keygen(tmp_path / host)
    return folder


def _counted(function: Callable[..., Any], counter: Counter[str], label: str) -> Any:
    def counted(*args: Any, **kwargs: Any) -> Any:
        counter[label] += 1
        return function(*args, **kwargs)

    return counted


@contextlib.contextmanager
def counting() -> Iterator[Counter[str]]:
    """Count evaluations, parses and reads of agepy.toml while the body runs. Each
    function is replaced in every agepy module holding it, however it was imported."""
    counter: Counter[str] = Counter()
    real_read_text, real_read_bytes = Path.read_text, Path.read_bytes

    def read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        counter["agepy.toml reads"] += self.name == "agepy.toml"
        return real_read_text(self, *args, **kwargs)

    def read_bytes(self: Path) -> bytes:
        counter["agepy.toml reads"] += self.name == "agepy.toml"
        return real_read_bytes(self)

    with pytest.MonkeyPatch.context() as patch:
        for function, label in (
            (agepy.nix.eval.evaluate_file, "evaluations"),
            (agepy.nix.parse.parse_source, "parses"),
        ):
            wrapper = _counted(function, counter, label)
            for module in list(sys.modules.values()):
                if getattr(module, "__name__", "").startswith("agepy"):
                    for name, value in list(vars(module).items()):
                        if value is function:
                            patch.setattr(module, name, wrapper)
        patch.setattr(Path, "read_text", read_text)
        patch.setattr(Path, "read_bytes", read_bytes)
        yield counter


def _opens(repo: Path, identity: str, name: str) -> bool:
    result = subprocess.run(
        [require_tool("age"), "-d", "-i", str(repo.parent / identity), str(repo / name)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0 and result.stdout == SECRETS[name]


def _run(*args: str) -> None:
    result = run_agepy(args, text=True)
    assert result.returncode == 0, result.stderr


def _add_host(repo: Path) -> None:
    _run(
        "add-host", "web", "127.0.0.1:2222", "--key-file", str(repo.parent / "host-old.pub"),
        "--to", "a.age", "--to", "b.age", "-i", str(repo.parent / "admin"),
        "--rules", str(repo / "secrets.nix"),
    )  # fmt: skip


def test_add_host_evaluates_at_most_three_times(repo: Path) -> None:
    with counting() as counts:
        _add_host(repo)
    print("add-host:", dict(counts))
    assert "web = " in (repo / "secrets.nix").read_text()
    assert _opens(repo, "host-old", "a.age") and _opens(repo, "host-old", "b.age")
    assert counts["evaluations"] <= 3, counts
    # Read once when loaded, and once as the transaction's snapshot (its bytes).
    assert counts["agepy.toml reads"] <= 2, counts


def test_rescan_evaluates_at_most_three_times(repo: Path) -> None:
    _add_host(repo)
    with counting() as counts:
        _run(
            "rescan", "web", "--yes", "--key-file", str(repo.parent / "host-new.pub"),
            "-i", str(repo.parent / "admin"), "--rules", str(repo / "secrets.nix"),
        )  # fmt: skip
    print("rescan:", dict(counts))
    new_key = " ".join((repo.parent / "host-new.pub").read_text().split()[:2])
    assert new_key in (repo / "secrets.nix").read_text()
    assert _opens(repo, "host-new", "a.age") and not _opens(repo, "host-old", "a.age")
    assert counts["evaluations"] <= 3, counts


def test_a_failed_write_puts_secrets_nix_and_the_inventory_back(repo: Path) -> None:
    # An entry outside the folder decrypts, but the store refuses to write it: that
    # happens after secrets.nix was edited, inside the transaction.
    outside = repo.parent / "outside.age"
    (repo / "a.age").rename(outside)
    rules = repo / "secrets.nix"
    rules.write_text(rules.read_text().replace('"a.age"', '"../outside.age"'))
    before = {p.name: p.read_bytes() for p in (rules, outside)}
    result = run_agepy([
        "add-host", "web", "127.0.0.1:2222", "--key-file", str(repo.parent / "host-old.pub"),
        "--to", "../outside.age", "-i", str(repo.parent / "admin"), "--rules", str(rules),
    ], text=True)  # fmt: skip
    assert result.returncode == 1
    error = result.stderr
    assert "agepy: error:" in error and "outside" in error and "Traceback" not in error
    assert {p.name: p.read_bytes() for p in (rules, outside)} == before
    assert not (repo / "agepy.toml").exists()
