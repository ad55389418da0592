"""add-host and rescan as operations: secrets.nix and agepy.toml are loaded once and
reloaded only after a write; a failure after the first write puts every file back.

Counts, in-process, every evaluation of a Nix file (``agepy.nix.evaluate_file``, which
every evaluation of secrets.nix goes through), every parse and every read of agepy.toml,
for whole commands run through ``agepy.cli.main`` with ``--key-file`` (no network).
"""

from __future__ import annotations

import contextlib
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
from tests.support.keys import Key, make_ssh_key
from tests.support.repo import MakeRepo, Repo

SECRETS = {"a.age": b"alpha\n", "b.age": b"beta\n"}


@pytest.fixture
def repo(
    make_repo: MakeRepo, keys: dict[str, Key], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Repo:
    """An admin key and two secrets (by the real age) in tmp_path/repo, host keys
    host-old and host-new beside it; HOME is the repository's, with no $RULES."""
    made = make_repo(
        {name: ["admin"] for name in SECRETS},
        bind={"admin": keys["admin"]},
        plaintexts=SECRETS,
        dotted=True,
        with_age=True,
        folder="repo",
    )
    monkeypatch.setenv("HOME", str(made.home))
    monkeypatch.delenv("RULES", raising=False)
    for host in ("host-old", "host-new"):
        make_ssh_key(require_tool("ssh-keygen"), tmp_path, host, "ed25519", comment="")
    return made


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


def _opens(repo: Repo, identity: str, name: str) -> bool:
    return repo.opens(repo.dir.parent / identity, name)


def _admin(repo: Repo) -> str:
    return str(repo.keys["admin"].private)


def _run(*args: str) -> None:
    result = run_agepy(args, text=True)
    assert result.returncode == 0, result.stderr


def _add_host(repo: Repo) -> None:
    _run(
        "add-host", "web", "127.0.0.1:2222", "--key-file", str(repo.dir.parent / "host-old.pub"),
        "--to", "a.age", "--to", "b.age", "-i", _admin(repo),
        "--rules", str(repo.dir / "secrets.nix"),
    )  # fmt: skip


def test_add_host_evaluates_at_most_three_times(repo: Repo) -> None:
    with counting() as counts:
        _add_host(repo)
    print("add-host:", dict(counts))
    assert "web = " in (repo.dir / "secrets.nix").read_text()
    assert _opens(repo, "host-old", "a.age") and _opens(repo, "host-old", "b.age")
    assert counts["evaluations"] <= 3, counts
    # Read once when loaded, and once as the transaction's snapshot (its bytes).
    assert counts["agepy.toml reads"] <= 2, counts


def test_rescan_evaluates_at_most_three_times(repo: Repo) -> None:
    _add_host(repo)
    with counting() as counts:
        _run(
            "rescan", "web", "--yes", "--key-file", str(repo.dir.parent / "host-new.pub"),
            "-i", _admin(repo), "--rules", str(repo.dir / "secrets.nix"),
        )  # fmt: skip
    print("rescan:", dict(counts))
    new_key = " ".join((repo.dir.parent / "host-new.pub").read_text().split()[:2])
    assert new_key in (repo.dir / "secrets.nix").read_text()
    assert _opens(repo, "host-new", "a.age") and not _opens(repo, "host-old", "a.age")
    assert counts["evaluations"] <= 3, counts


def test_a_failed_write_puts_secrets_nix_and_the_inventory_back(repo: Repo) -> None:
    # An entry outside the folder decrypts, but the store refuses to write it: that
    # happens after secrets.nix was edited, inside the transaction.
    outside = repo.dir.parent / "outside.age"
    (repo.dir / "a.age").rename(outside)
    rules = repo.rules
    rules.write_text(rules.read_text().replace('"a.age"', '"../outside.age"'))
    before = {p.name: p.read_bytes() for p in (rules, outside)}
    result = run_agepy([
        "add-host", "web", "127.0.0.1:2222", "--key-file", str(repo.dir.parent / "host-old.pub"),
        "--to", "../outside.age", "-i", _admin(repo), "--rules", str(rules),
    ], text=True)  # fmt: skip
    assert result.returncode == 1
    error = result.stderr
    assert "agepy: error:" in error and "outside" in error and "Traceback" not in error
    assert {p.name: p.read_bytes() for p in (rules, outside)} == before
    assert not (repo.dir / "agepy.toml").exists()
