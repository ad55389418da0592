"""Every --json output validates against its schema in docs/schema/ (Draft 2020-12).

On real data: a copy of secrets.example/ whose .age files are made with the real `age`
(one up to date, one stale, one missing, an armored orphan, a broken orphan), keys/alice
as identity, a real loopback sshd for keyscan/add-host/hosts, and nix-instantiate for
the keys `list` must print.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from agepy.demo.sshd import Sshd, free_port
from tests.conftest import SSHD, require_tool
from tests.support.cli import run_agepy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "secrets.example"
SCHEMAS = ROOT / "docs" / "schema"
DOC = ROOT / "docs" / "json.md"
REPORTING = ["list", "check", "inspect", "hosts", "keyscan", "rekey"]


def schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMAS / f"{name}.json").read_text()))


def assert_valid(name: str, document: Any) -> None:
    errors = sorted(schema(name).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


class Run:
    def __init__(self, result: subprocess.CompletedProcess[str]) -> None:
        self.code = result.returncode
        self.stdout = result.stdout
        self.stderr = result.stderr

    @property
    def json(self) -> Any:
        assert "Traceback" not in self.stderr, self.stderr
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"stdout is not one JSON document:\n{self.stdout}\nstderr:\n{self.stderr}")


def agepy(*args: str, cwd: Path) -> Run:
    return Run(
        run_agepy(
            args, text=True, cwd=cwd, set_env={"RULES": None, "HOME": str(cwd), "NO_COLOR": "1"}
        )
    )


@pytest.fixture
def repo(tmp_path: Path, age_bin: str) -> Path:
    """secrets.example/ (rules, agepy.toml, keys) with heisenbridge-config.age up to
    date, conduit-env.age stale (made again with age, not encrypted to matrix),
    restic-password.age missing, old.age an armored orphan and broken.age an orphan that
    is no age file."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    keys = repo / "keys"

    def encrypt(name: str, pubs: list[str], *extra: str) -> None:
        argv = [age_bin, *extra, "-o", str(repo / name)]
        for pub in pubs:
            argv += ["-R", str(keys / pub)]
        subprocess.run(argv, input=f"{name} plaintext\n".encode(), check=True, timeout=30)

    if not (repo / "heisenbridge-config.age").exists():
        encrypt("heisenbridge-config.age", ["alice.pub", "matrix_ssh_host_rsa_key.pub"])
    encrypt("conduit-env.age", ["alice.pub"])
    (repo / "restic-password.age").unlink(missing_ok=True)
    encrypt("old.age", ["alice.pub"], "-a")
    (repo / "broken.age").write_bytes(b"age-encryption.org/v1\n-> nonsense\n")
    return repo


@pytest.fixture(scope="module")
def sshd() -> Iterator[Sshd]:
    require_tool(SSHD)
    require_tool("ssh-keygen")
    with Sshd(key_types=("ed25519", "rsa")) as server:
        yield server


# --- the schemas themselves --------------------------------------------------------------


@pytest.mark.parametrize("name", REPORTING)
def test_schema_is_draft_2020_12_and_documented(name: str) -> None:
    path = SCHEMAS / f"{name}.json"
    assert path.is_file(), f"no schema for `agepy {name} --json`"
    document = json.loads(path.read_text())
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"].endswith(f"/schema/{name}.json")
    assert f"schema/{name}.json" in DOC.read_text(), f"docs/json.md does not cover {name}"


def test_every_schema_is_for_a_reporting_command() -> None:
    assert sorted(p.stem for p in SCHEMAS.glob("*.json")) == sorted(REPORTING)


@pytest.mark.parametrize(
    "args",
    [["list"], ["check"], ["hosts"], ["rekey", "--dry-run"], ["inspect", "x.age"]],
    ids=" ".join,
)
def test_no_json_when_nothing_to_report(args: list[str], tmp_path: Path) -> None:
    """A command that fails before it has a report prints no (half) JSON: stderr only."""
    run = agepy(*args, "--json", "--rules", "nope.nix", cwd=tmp_path)
    assert run.code == 1
    assert run.stdout == ""
    assert run.stderr.startswith("agepy: error: ")
    assert "Traceback" not in run.stderr


# --- list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("evaluator", ["auto", "builtin", "nix"])
def test_list(repo: Path, evaluator: str, nix_instantiate: str) -> None:
    run = agepy("list", "--json", "--evaluator", evaluator, cwd=repo)
    assert run.code == 0, run.stderr
    document = run.json
    assert_valid("list", document)
    evaluated = json.loads(
        subprocess.run(
            [nix_instantiate, "--eval", "--strict", "--json", "secrets.nix"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    )
    assert document["rules"] == "secrets.nix"
    rows = {row["name"]: row for row in document["secrets"]}
    assert sorted(rows) == sorted(evaluated)
    for name, row in rows.items():
        assert row["publicKeys"] == evaluated[name]["publicKeys"]
        assert row["file"] == name
    assert [rows[n]["status"] for n in sorted(rows)] == ["stale", "ok", "missing"]
    assert [rows[n]["exists"] for n in sorted(rows)] == [True, True, False]


def test_list_names_recipients_by_their_let_binding(repo: Path) -> None:
    """The issue's example: recipients are the let bindings the keys came from.

    secrets.example/secrets.nix starts with comments, then `let alice = …; matrix = …;`.
    """
    rows = {row["name"]: row for row in agepy("list", "--json", cwd=repo).json["secrets"]}
    assert rows["heisenbridge-config.age"]["recipients"] == ["alice", "matrix"]
    assert rows["restic-password.age"]["recipients"] == ["alice", "backup"]


def test_list_names_unbound_keys_by_fingerprint(repo: Path) -> None:
    rules = repo / "secrets.nix"
    key = (repo / "keys" / "backup_ssh_host_ed25519_key.pub").read_text().split()
    rules.write_text(rules.read_text().replace("[ backup ]", f'[ "{key[0]} {key[1]}" ]'))
    rules.write_text(re.sub(r"\n  backup = [^\n]*", "", rules.read_text()))
    (repo / "agepy.toml").unlink()  # the inventory would name it too
    row = agepy("list", "--json", cwd=repo).json["secrets"][2]
    assert row["name"] == "restic-password.age"
    assert row["recipients"][1] == "SHA256:OITo2bBRQjFeO9N9ZEmVPxdZ3QybVAwbj1i0QGvRuhw"


# --- check ---------------------------------------------------------------------------------


def test_check(repo: Path) -> None:
    run = agepy("check", "--json", cwd=repo)
    assert run.code == 1, "findings exit 1"
    document = run.json
    assert_valid("check", document)
    assert document["ok"] is False
    found = [(f["kind"], f["file"]) for f in document["findings"]]
    assert found == [
        ("stale", "conduit-env.age"),
        ("missing", "restic-password.age"),
        ("orphan", "broken.age"),
        ("orphan", "old.age"),
    ]


def test_check_clean(repo: Path) -> None:
    (repo / "broken.age").unlink()
    (repo / "old.age").unlink()
    rules = repo / "secrets.nix"
    text = rules.read_text()
    rules.write_text(text[: text.index("  # restic")] + "}\n")
    assert agepy("rekey", "-q", "-i", "keys/alice", cwd=repo).code == 0
    run = agepy("check", "--json", cwd=repo)
    assert run.code == 0, run.stdout
    assert_valid("check", run.json)
    assert run.json == {"rules": "secrets.nix", "ok": True, "findings": []}


# --- rekey ---------------------------------------------------------------------------------


def test_rekey_dry_run(repo: Path) -> None:
    before = {p.name: p.read_bytes() for p in repo.glob("*.age")}
    run = agepy("rekey", "--dry-run", "--json", cwd=repo)
    assert run.code == 0, run.stderr
    assert_valid("rekey", run.json)
    assert run.json["dryRun"] is True
    actions = {f["name"]: f["action"] for f in run.json["files"]}
    assert actions == {
        "conduit-env.age": "would-rekey",
        "heisenbridge-config.age": "skipped",
        "restic-password.age": "missing",
    }
    assert {p.name: p.read_bytes() for p in repo.glob("*.age")} == before


def test_rekey_report(repo: Path, age_bin: str) -> None:
    run = agepy("rekey", "--json", "-i", "keys/alice", cwd=repo)
    assert run.code == 0, run.stderr
    assert_valid("rekey", run.json)
    assert run.json["dryRun"] is False
    assert run.json["ok"] is True
    actions = {f["name"]: f["action"] for f in run.json["files"]}
    assert actions["conduit-env.age"] == "rekeyed"
    opened = subprocess.run(
        [age_bin, "-d", "-i", "keys/matrix_ssh_host_rsa_key", "conduit-env.age"],
        cwd=repo,
        capture_output=True,
        check=True,
        timeout=30,
    )
    assert opened.stdout == b"conduit-env.age plaintext\n"


def test_rekey_report_with_a_failure(repo: Path) -> None:
    before = (repo / "conduit-env.age").read_bytes()
    run = agepy("rekey", "--json", "-i", "keys/backup_ssh_host_ed25519_key", cwd=repo)
    assert run.code == 1, "a file that cannot be rekeyed exits 1"
    assert_valid("rekey", run.json)
    assert run.json["ok"] is False
    failed = [f for f in run.json["files"] if f["action"] == "failed"]
    assert [f["name"] for f in failed] == ["conduit-env.age"]
    assert failed[0]["error"]
    assert (repo / "conduit-env.age").read_bytes() == before


# --- inspect -------------------------------------------------------------------------------


def test_inspect(repo: Path) -> None:
    run = agepy("inspect", "--json", "heisenbridge-config.age", "old.age", cwd=repo)
    assert run.code == 0, run.stderr
    assert_valid("inspect", run.json)
    first, second = run.json["files"]
    assert first["file"] == "heisenbridge-config.age"
    # rage (so pyrage, so agepy) adds a random *-grease stanza; age ignores it.
    stanzas = [s for s in first["stanzas"] if not s["type"].endswith("-grease")]
    assert [s["type"] for s in stanzas] == ["ssh-ed25519", "ssh-rsa"]
    assert {k: v for k, v in first["counts"].items() if k in ("ssh-ed25519", "ssh-rsa")} == {
        "ssh-ed25519": 1,
        "ssh-rsa": 1,
    }
    assert (first["armored"], second["armored"]) == (False, True)


def test_inspect_with_a_broken_file(repo: Path) -> None:
    run = agepy("inspect", "--json", "conduit-env.age", "broken.age", cwd=repo)
    assert run.code == 1
    assert_valid("inspect", run.json)
    assert "error" not in run.json["files"][0]
    assert run.json["files"][1]["file"] == "broken.age"
    assert run.json["files"][1]["kind"] == "header failure"
    assert "broken.age" in run.stderr


def test_inspect_names_stanzas_from_the_rules(repo: Path) -> None:
    run = agepy("inspect", "--json", "heisenbridge-config.age", cwd=repo)
    named = [s["key"] for s in run.json["files"][0]["stanzas"] if s["tag"] is not None]
    assert named == ["alice", "matrix"]


# --- keyscan, add-host, hosts ------------------------------------------------------------


def test_keyscan(sshd: Sshd, tmp_path: Path) -> None:
    closed = free_port()
    run = agepy(
        "keyscan",
        "--json",
        f"127.0.0.1:{sshd.port}",
        f"127.0.0.1:{closed}",
        "-T",
        "5",
        cwd=tmp_path,
    )
    assert run.code == 1, "a host that fails exits 1, the JSON still lists it"
    assert_valid("keyscan", run.json)
    good, bad = run.json["hosts"]
    assert (good["host"], good["port"], good["error"]) == ("127.0.0.1", sshd.port, None)
    assert sorted(k["key"] for k in good["keys"]) == sorted(
        sshd.public_key(t) for t in ("ed25519", "rsa")
    )
    assert all(k["usable"] for k in good["keys"])
    assert bad["port"] == closed
    assert bad["keys"] == []
    assert bad["error"]["reason"] == "refused"
    assert "agepy: error:" in run.stderr


def test_hosts(repo: Path, sshd: Sshd) -> None:
    recorded = agepy("hosts", "--json", cwd=repo)
    assert recorded.code == 0, recorded.stderr
    assert_valid("hosts", recorded.json)
    assert [(h["name"], h["status"]) for h in recorded.json["hosts"]] == [
        ("backup", "ok"),
        ("matrix", "ok"),
    ]

    added = agepy(
        "add-host", "vps", f"127.0.0.1:{sshd.port}", "--to", "conduit-env.age", "--yes",
        "-i", "keys/alice", cwd=repo,
    )  # fmt: skip
    assert added.code == 0, added.stderr
    run = agepy("hosts", "--json", cwd=repo)
    assert run.code == 0, run.stderr
    assert_valid("hosts", run.json)
    host = run.json["hosts"][-1]
    assert (host["name"], host["port"], host["status"]) == ("vps", sshd.port, "ok")
    assert host["key"] == sshd.public_key("ed25519")

    rules = repo / "secrets.nix"
    rules.write_text(rules.read_text().replace(sshd.public_key("ed25519"), sshd.public_key("rsa")))
    differs = agepy("hosts", "--json", cwd=repo)
    assert differs.code == 1, "a host that is not ok exits 1"
    assert_valid("hosts", differs.json)
    assert differs.json["hosts"][-1]["status"] == "differs"


def test_hosts_without_inventory(repo: Path) -> None:
    (repo / "agepy.toml").unlink()
    run = agepy("hosts", "--json", cwd=repo)
    assert run.code == 0, run.stderr
    assert_valid("hosts", run.json)
    assert run.json == {"hosts": []}
