"""A YubiKey-style user, end to end: `agepy` run as a user runs it, with an age plugin.

The plugin is tests/age/plugin/age-plugin-agepytest (written from the C2SP spec), first
on PATH; secrets.nix lists its `age1agepytest1…` recipient next to an ssh-ed25519 and an
X25519 key. The real `age` command reads what agepy writes and the other way round.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path

import pytest

from agepy.age.pq import HybridIdentity
from tests.age.plugin import ANSWER, MODE_VARIABLES, PluginKey, make_plugin_key, plugin_search_path
from tests.support.cli import run_agepy
from tests.support.forkserver import popen_agepy_on_terminal
from tests.support.keys import Key

ROOT = Path(__file__).resolve().parents[2]
# A well-formed recipient of a plugin that is not installed here.
YUBIKEY = "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t"
SECRET = b"hunter2 from a YubiKey user\n"


def rules_text(*entries: tuple[str, list[str]], keys: dict[str, str]) -> str:
    bindings = "".join(f'  {name} = "{key}";\n' for name, key in keys.items())
    body = "".join(f'  "{file}".publicKeys = [ {" ".join(names)} ];\n' for file, names in entries)
    return f"let\n{bindings}in {{\n{body}}}\n"


# One key per module (made by the plugin's --generate, a Python start): tests only read it.
@pytest.fixture(scope="module")
def plugin_key(tmp_path_factory: pytest.TempPathFactory) -> PluginKey:
    return make_plugin_key(tmp_path_factory.mktemp("plugin-key"), "yubikey-style")


@pytest.fixture
def repo(tmp_path: Path, keys: dict[str, Key], plugin_key: PluginKey) -> Path:
    """A secrets folder: db.age for the plugin key, an ssh-ed25519 and an X25519 key."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    recipients = {
        "yk": plugin_key.recipient,
        "alice": keys["ed25519"].public_text,
        "backup": keys["x25519"].public_text,
    }
    text = rules_text(("db.age", ["yk", "alice", "backup"]), keys=recipients)
    (folder / "secrets.nix").write_text(text)
    return folder


def environment(mode: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RULES", *MODE_VARIABLES)}
    env.update(PATH=plugin_search_path(), PYTHONPATH=str(ROOT), NO_COLOR="1")
    env["AGEPY_TEST_PLUGIN_ANSWER"] = ANSWER
    if mode is not None:
        env["AGEPY_TEST_PLUGIN_MODE"] = mode
    return env


def agepy(
    *args: str | Path, cwd: Path, stdin: bytes = b"", mode: str | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`agepy …` with no controlling terminal, as under cron/CI (tests/support/cli)."""
    return run_agepy(
        args,
        input=stdin,
        cwd=cwd,
        env={**environment(mode), "HOME": str(cwd)},
        no_terminal=True,
    )


def age(age_bin: str, *args: str | Path, stdin: bytes = b"") -> bytes:
    result = subprocess.run(
        [age_bin, *map(str, args)], input=stdin, capture_output=True, env=environment()
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    return result.stdout.decode()


def one_error(result: subprocess.CompletedProcess[bytes]) -> str:
    """The single `agepy: error:` line of a failed run (exit 1), followed by a hint."""
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("agepy: error:")]
    assert len(errors) == 1, stderr
    assert lines[errors[0] + 1].startswith("agepy: hint: "), stderr
    return lines[errors[0]]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- the happy path --------------------------------------------------------------------


def test_a_plugin_user_works_through_the_secrets_folder(
    repo: Path, keys: dict[str, Key], plugin_key: PluginKey, age_bin: str
) -> None:
    ed = keys["ed25519"].private
    # A new secret, piped in: one file with ssh-ed25519, X25519 and plugin stanzas.
    assert "saved" in agepy("edit", "db.age", "-i", ed, cwd=repo, stdin=SECRET).stderr.decode()
    shown = ok(agepy("inspect", "db.age", cwd=repo))
    assert "3 stanzas" in shown and "ssh-ed25519" in shown and "X25519" in shown
    assert "agepytest    (plugin stanza, opened by age-plugin-agepytest (on PATH))" in shown
    assert "yk" in ok(agepy("list", cwd=repo))
    ok(agepy("check", cwd=repo))
    # The plugin identity opens it through agepy, and through the real age.
    by_plugin = ["-i", plugin_key.identity_file]
    assert agepy("decrypt", "db.age", *by_plugin, cwd=repo).stdout == SECRET
    assert age(age_bin, "-d", *by_plugin, repo / "db.age") == SECRET
    assert age(age_bin, "-d", "-i", keys["x25519"].private, repo / "db.age") == SECRET
    # By entry name from another folder, as `agenix -d NAME` (the rules found by --rules).
    rules = ["--rules", repo / "secrets.nix"]
    elsewhere = agepy("decrypt", *rules, "db.age", *by_plugin, cwd=repo.parent)
    assert ok(elsewhere).encode() == SECRET
    # rekey with only the plugin identity at hand: the store decrypts through the plugin.
    before = (repo / "db.age").read_bytes()
    assert "1 rekeyed" in agepy("rekey", "--force", *by_plugin, cwd=repo).stderr.decode()
    assert (repo / "db.age").read_bytes() != before
    assert age(age_bin, "-d", *by_plugin, repo / "db.age") == SECRET
    assert age(age_bin, "-d", "-i", ed, repo / "db.age") == SECRET
    ok(agepy("check", cwd=repo))


def test_agepy_decrypts_what_age_wrote_to_a_plugin_recipient(
    tmp_path: Path, keys: dict[str, Key], plugin_key: PluginKey, age_bin: str
) -> None:
    secret = tmp_path / "from-age.age"
    recipients = ["-r", keys["x25519"].public_text, "-r", plugin_key.recipient]
    age(age_bin, *recipients, "-o", secret, stdin=SECRET)
    shown = ok(agepy("inspect", secret, cwd=tmp_path))
    assert "opened by age-plugin-agepytest" in shown and "X25519" in shown
    decrypted = agepy("decrypt", "-i", plugin_key.identity_file, secret, cwd=tmp_path)
    assert ok(decrypted).encode() == SECRET


def test_standalone_encrypt_and_decrypt(
    tmp_path: Path, plugin_key: PluginKey, age_bin: str
) -> None:
    out = tmp_path / "out.age"
    ok(agepy("encrypt", "-r", plugin_key.recipient, "-o", out, cwd=tmp_path, stdin=SECRET))
    assert agepy("decrypt", "-i", plugin_key.identity_file, out, cwd=tmp_path).stdout == SECRET
    assert age(age_bin, "-d", "-i", plugin_key.identity_file, out) == SECRET
    # Encrypting to the plugin identity itself (as age -e -i) works too.
    armored = agepy("encrypt", "-a", "-i", plugin_key.identity_file, cwd=tmp_path, stdin=SECRET)
    assert age(age_bin, "-d", "-i", plugin_key.identity_file, stdin=armored.stdout) == SECRET


# --- bad input: one line, exit 1, nothing written ---------------------------------------


def test_a_plugin_that_is_not_installed(
    repo: Path, keys: dict[str, Key], plugin_key: PluginKey
) -> None:
    ed = keys["ed25519"].private
    ok(agepy("edit", "db.age", "-i", ed, cwd=repo, stdin=SECRET))
    recipients = {"yk": plugin_key.recipient, "alice": keys["ed25519"].public_text}
    text = rules_text(
        ("db.age", ["yk", "alice", "yubi"]),
        ("new.age", ["alice", "yubi"]),
        keys={**recipients, "yubi": YUBIKEY},
    )
    (repo / "secrets.nix").write_text(text)
    before = snapshot(repo)
    for args, stdin in [
        (("edit", "new.age", "-i", ed), SECRET),
        (("rekey", "--force", "-i", ed), b""),
        (("encrypt", "-r", YUBIKEY, "-o", repo / "standalone.age"), SECRET),
    ]:
        line = one_error(agepy(*args, cwd=repo, stdin=stdin))
        assert line.endswith("age-plugin-yubikey not found on PATH"), line
        assert snapshot(repo) == before


def test_a_pin_request_without_a_terminal(repo: Path, plugin_key: PluginKey) -> None:
    ok(agepy("encrypt", "-r", plugin_key.recipient, "-o", repo / "db.age", cwd=repo, stdin=SECRET))
    before = snapshot(repo)
    edit = agepy("edit", "db.age", cwd=repo, stdin=SECRET, mode="prompt-secret")
    for result in [
        edit,
        agepy("decrypt", "-i", plugin_key.identity_file, "db.age", cwd=repo, mode="prompt-secret"),
    ]:
        line = one_error(result)
        assert "asks 'prompt-secret for agepytest' but there is no terminal" in line, line
        assert result.stdout == b""
    assert snapshot(repo) == before


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("crash", "age-plugin-agepytest exited with status 3 before finishing"),
        ("garbage", "age-plugin-agepytest does not speak the age plugin protocol"),
        ("error", "age-plugin-agepytest: refusing on purpose"),
    ],
)
def test_a_broken_plugin(
    mode: str, says: str, repo: Path, keys: dict[str, Key], plugin_key: PluginKey
) -> None:
    ok(agepy("edit", "db.age", "-i", keys["ed25519"].private, cwd=repo, stdin=SECRET))
    before = snapshot(repo)
    rekey = agepy("rekey", "--force", "-i", keys["ed25519"].private, cwd=repo, mode=mode)
    decrypt = agepy("decrypt", "db.age", "-i", plugin_key.identity_file, cwd=repo, mode=mode)
    for result in (rekey, decrypt):
        assert says in one_error(result)
    assert snapshot(repo) == before


def test_post_quantum_and_plugin_recipients_do_not_mix(
    repo: Path, keys: dict[str, Key], plugin_key: PluginKey
) -> None:
    pq = str(HybridIdentity.generate().recipient())
    out = repo / "mixed.age"
    line = one_error(
        agepy("encrypt", "-r", pq, "-r", plugin_key.recipient, "-o", out, cwd=repo, stdin=SECRET)
    )
    assert "post-quantum" in line
    text = rules_text(("pq.age", ["yk", "pq"]), keys={"yk": plugin_key.recipient, "pq": pq})
    (repo / "secrets.nix").write_text(text)
    before = snapshot(repo)
    ed = keys["ed25519"].private
    assert "post-quantum" in one_error(agepy("edit", "pq.age", "-i", ed, cwd=repo, stdin=SECRET))
    assert snapshot(repo) == before


# --- prompts through a real terminal ----------------------------------------------------


def on_terminal(
    args: list[str], cwd: Path, answer_when: bytes, answer: bytes
) -> tuple[bytes, bytes]:
    """Run agepy with a pseudo-terminal as its controlling terminal (and stdin); answer
    each time ``answer_when`` shows. Returns (stdout, what the terminal showed). agepy is
    a real `python -m agepy` process (tests.support.forkserver), in a session of its own
    whose controlling terminal the pty becomes; the plugin is a program it starts."""
    env = {**environment("prompt-secret"), "HOME": str(cwd)}
    screen = b""
    answered = 0
    child, leader = popen_agepy_on_terminal(args, stdout=subprocess.PIPE, cwd=cwd, env=env)
    with child:
        give_up = time.monotonic() + 120  # a safety net against a hung test, not a measure
        while child.poll() is None and time.monotonic() < give_up:
            if select.select([leader], [], [], 0.1)[0]:
                try:
                    screen += os.read(leader, 4096)
                except OSError:  # the terminal closed
                    continue
                if screen.count(answer_when) > answered:
                    os.write(leader, answer)
                    answered += 1
        child.kill()
        assert child.stdout is not None
        output = child.stdout.read()
    os.close(leader)
    return output, screen


def test_the_pin_is_asked_on_the_terminal(
    tmp_path: Path, plugin_key: PluginKey, age_bin: str
) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_bytes(SECRET)
    out = tmp_path / "out.age"
    pin = ANSWER.encode() + b"\n"
    prompt = b"[agepytest] prompt-secret for agepytest"
    args = ["encrypt", "-r", plugin_key.recipient, "-o", str(out), str(plain)]
    _, screen = on_terminal(args, tmp_path, prompt, pin)
    assert prompt in screen and ANSWER.encode() not in screen, screen
    assert age(age_bin, "-d", "-i", plugin_key.identity_file, out) == SECRET
    args = ["decrypt", "-i", str(plugin_key.identity_file), str(out)]
    output, screen = on_terminal(args, tmp_path, prompt, pin)
    assert output == SECRET, screen
    assert ANSWER.encode() not in screen
    # A wrong PIN: the plugin says no, agepy says so in one line.
    output, screen = on_terminal(args, tmp_path, prompt, b"0000\n")
    assert output == b""
    assert b"agepy: error: age-plugin-agepytest: wrong answer to prompt-secret" in screen, screen


def test_rekey_asks_the_pin_for_each_use_of_the_plugin_key(
    repo: Path, keys: dict[str, Key], plugin_key: PluginKey, age_bin: str
) -> None:
    recipients = {"yk": plugin_key.recipient, "alice": keys["ed25519"].public_text}
    entries = [("db.age", ["yk", "alice"]), ("api.age", ["yk"])]
    (repo / "secrets.nix").write_text(rules_text(*entries, keys=recipients))
    for name, _ in entries:
        ok(agepy("edit", name, "-i", keys["ed25519"].private, cwd=repo, stdin=SECRET))
    before = snapshot(repo)
    prompt = b"[agepytest] prompt-secret for agepytest"
    args = ["rekey", "--force", "-i", str(plugin_key.identity_file)]
    _, screen = on_terminal(args, repo, prompt, ANSWER.encode() + b"\n")
    # Per file: the plugin unwraps (one process, one PIN), then wraps (one more).
    assert screen.count(prompt) == 4, screen
    assert b"2 rekeyed" in screen and ANSWER.encode() not in screen, screen
    for name, _ in entries:
        assert (repo / name).read_bytes() != before[name]
        assert age(age_bin, "-d", "-i", plugin_key.identity_file, repo / name) == SECRET
