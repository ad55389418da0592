"""The pure parts: exposures from versions and rotations; parsers that read what git
and agepy.toml hold (fuzzed: only agepy's own errors may escape)."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agepy.errors import AgepyError
from agepy.hosts.inventory import Inventory
from agepy.store.exposure import Reader, Rotation, Version, exposures
from agepy.store.gitread import tree_entries
from agepy.store.history import _header_summary
from agepy.store.rotations import add_rotations, load_rotations, rotation_check_enabled

ALICE = Reader("SHA256:alice", "ssh-ed25519", "ssh-ed25519 AAAAalice", "tagAli")
BOB = Reader("SHA256:bob", "ssh-ed25519", "ssh-ed25519 AAAAbob", "tagBob")
CAROL = Reader("age1carol", "x25519", "age1carol")
DAY = 86_400


def _version(secret: str, day: int, *readers: Reader) -> Version:
    return Version(secret, f"blob{day}", f"{day:040x}", day * DAY, readers)


def test_a_key_that_left_is_reported_once_with_its_newest_commit() -> None:
    versions = [
        _version("wifi.age", 1, ALICE, BOB),
        _version("wifi.age", 3, ALICE, BOB, CAROL),
        _version("wifi.age", 5, ALICE),
    ]
    found = exposures(versions, {"wifi.age": [ALICE]}, names={"SHA256:bob": "bob"})
    assert [(e.secret, e.name, e.time) for e in found] == [
        ("wifi.age", "age1carol", 3 * DAY),
        ("wifi.age", "bob", 3 * DAY),
    ]
    assert str(found[1]).startswith("rotate wifi.age: bob (ssh-ed25519 SHA256:bob, last a")


def test_a_current_recipient_matches_by_tag_too() -> None:
    tag_only = Reader("ssh-tag:tagBob", "ssh", "", "tagBob")
    assert exposures([_version("db.age", 1, tag_only)], {"db.age": [BOB]}) == []


def test_a_rotation_answers_for_the_keys_it_names_until_they_read_again() -> None:
    versions = [_version("wifi.age", 1, ALICE, BOB), _version("wifi.age", 2, ALICE)]
    rotated = Rotation("wifi.age", "1970-01-03T00:00:00Z", ("SHA256:bob",))
    assert exposures(versions, {"wifi.age": [ALICE]}, [rotated]) == []
    other = Rotation("db.age", "1970-01-03T00:00:00Z", ("SHA256:bob",))
    assert len(exposures(versions, {"wifi.age": [ALICE]}, [other])) == 1
    # bob was a recipient again after the rotation, then left again: rotate again.
    again = [*versions, _version("wifi.age", 4, ALICE, BOB), _version("wifi.age", 6, ALICE)]
    assert [e.time for e in exposures(again, {"wifi.age": [ALICE]}, [rotated])] == [4 * DAY]


def test_secrets_without_an_entry_today_are_not_reported() -> None:
    assert exposures([_version("gone.age", 1, BOB)], {"wifi.age": [ALICE]}) == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_header_summary_never_raises(data: bytes) -> None:
    summary = _header_summary(b"age-encryption.org/v1\n" + data)
    assert summary is None or isinstance(summary[1], int)
    assert _header_summary(data) is None or data.startswith(b"age-encryption.org/")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_tree_entries_never_raises(data: bytes) -> None:
    for mode, name, object_id in tree_entries(data):
        assert mode and name and len(object_id) == 20


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_agepy_toml_errors_are_agepy_errors(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "agepy.toml").write_text(text)
        rules = Path(folder) / "secrets.nix"
        for read in (load_rotations, rotation_check_enabled):
            with contextlib.suppress(AgepyError):
                read(rules)


@pytest.mark.parametrize(
    "text",
    ["rotations = [1]", "rotations = 1", "history = 1", "[history]\nrotation-check = 1",
     '[[rotations]]\nsecret = 1\ndate = ""\nkeys = []'],
)  # fmt: skip
def test_agepy_toml_of_the_wrong_shape(tmp_path: Path, text: str) -> None:
    (tmp_path / "agepy.toml").write_text(text + "\n")
    rules = tmp_path / "secrets.nix"
    for read in (load_rotations, rotation_check_enabled):
        with contextlib.suppress(AgepyError):
            read(rules)


def test_agepy_toml_shapes(tmp_path: Path) -> None:
    rules = tmp_path / "secrets.nix"
    (tmp_path / "agepy.toml").write_text(
        '[history]\nrotation-check = false\n\n[[rotations]]\nsecret = "a.age"\n'
        'date = "2026-12-01T00:00:00Z"\nkeys = ["SHA256:x"]\n'
    )
    assert rotation_check_enabled(rules) is False
    assert load_rotations(rules) == [Rotation("a.age", "2026-12-01T00:00:00Z", ("SHA256:x",))]
    (tmp_path / "agepy.toml").write_text(
        '[[rotations]]\nsecret = "a.age"\ndate = "soon"\nkeys = []\n'
    )
    try:
        load_rotations(rules)
    except AgepyError as exc:
        assert "bad date" in exc.message
    else:
        raise AssertionError("a bad date must be refused")


def test_agepy_toml_keeps_hosts_and_rotations_side_by_side(tmp_path: Path) -> None:
    rules = tmp_path / "secrets.nix"
    (tmp_path / "agepy.toml").write_text(
        "# my comment\n[history]\nrotation-check = true\n\n"
        '[hosts.web]\naddress = "web.example"\nport = 22\n'
    )
    add_rotations(rules, [Rotation("a.age", "2026-12-01T00:00:00Z", ("SHA256:x",))])
    text = (tmp_path / "agepy.toml").read_text()
    assert text.startswith("# my comment\n") and "[hosts.web]" in text
    inventory = Inventory.load(rules)
    inventory.save()
    assert load_rotations(rules) == [Rotation("a.age", "2026-12-01T00:00:00Z", ("SHA256:x",))]
    assert rotation_check_enabled(rules) is True
    assert Inventory.load(rules).get("web").address == "web.example"
