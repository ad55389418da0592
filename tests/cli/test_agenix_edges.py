"""agenix's behaviours beyond its own tests that scripts and Makefiles rely on, run against
agepy called as `agenix` (and, with AGEPY_AGENIX_REFERENCE set, against that `agenix` too:
tests/cli/agenix_world.py). Each was checked against agenix's script (main, b027ee2); see
docs/agenix-compat.md, "Checked against the real script"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.agenix_world import EXAMPLE, IMPLEMENTATIONS, AgenixWorld, make_world

NAMES = [
    "secret1.age",
    "secret2.age",
    "passwordfile-user1.age",
    "-leading-hyphen-filename.age",
    "armored-secret.age",
]


@pytest.fixture(params=IMPLEMENTATIONS)
def agenix(request: pytest.FixtureRequest, tmp_path: Path) -> AgenixWorld:
    return make_world(tmp_path, request.param)


def _system1_key(world: AgenixWorld) -> Path:
    """system1's key: it opens every example but secret2.age and armored-secret.age."""
    key = world.home / "system1"
    shutil.copyfile(EXAMPLE / "example_keys" / "system1", key)
    key.chmod(0o600)
    return key


def test_editor_colon_reencrypts_one_file(agenix: AgenixWorld) -> None:
    # agenix skips the editor, and piped stdin, when EDITOR is ':' and always re-encrypts:
    # `EDITOR=: agenix -e FILE` rekeys one secret.
    before = agenix.hashes()
    piped = agenix.run("-e", "secret1.age", input=b"not the new content", EDITOR=":")
    assert piped.returncode == 0, piped.stderr
    after = agenix.hashes()
    assert [n for n in before if after[n] != before[n]] == ["secret1.age"]
    assert agenix.age_decrypt("secret1.age") == b"hello"

    hyphen = "-leading-hyphen-filename.age"
    keyed = agenix.run("-e", hyphen, "-i", str(agenix.key), tty=True, EDITOR=":")
    assert keyed.returncode == 0, keyed.stderr
    assert agenix.hashes()[hyphen] != after[hyphen]
    assert agenix.age_decrypt(hyphen) == b"a name that starts with a hyphen"

    unknown = agenix.run("-e", "not-in-rules.age", tty=True, EDITOR=":")
    assert unknown.returncode == 1
    assert not (agenix.folder / "not-in-rules.age").exists()


def test_rules_elsewhere_names_are_relative_to_the_current_folder(agenix: AgenixWorld) -> None:
    # As in `RULES=./secrets/secrets.nix agenix -e secrets/token.age < token`: agenix
    # looks the name up in $RULES and reads and writes it relative to the current folder.
    root = agenix.folder.parent
    text = (agenix.folder / "secrets.nix").read_text()
    for name in NAMES:
        text = text.replace(f'"{name}"', f'"secrets/{name}"')
    (root / "nix").mkdir()
    (root / "nix" / "rules.nix").write_text(text)
    rules = {"RULES": "./nix/rules.nix"}

    shown = agenix.run("-d", "secrets/secret1.age", cwd=root, **rules)
    assert (shown.returncode, shown.stdout) == (0, b"hello"), shown.stderr
    before = agenix.hashes()
    rekeyed = agenix.run("-r", cwd=root, **rules)
    assert rekeyed.returncode == 0, rekeyed.stderr
    after = agenix.hashes()
    assert all(after[name] != before[name] for name in NAMES)
    piped = agenix.run("-e", "secrets/secret2.age", input=b"token\n", cwd=root, **rules)
    assert piped.returncode == 0, piped.stderr
    assert agenix.age_decrypt("secret2.age") == b"token\n"
    one = agenix.run("-e", "secrets/secret1.age", cwd=root, EDITOR=":", **rules)
    assert one.returncode == 0, one.stderr
    assert agenix.hashes()["secret1.age"] != after["secret1.age"]
    assert not (root / "nix" / "secrets").exists()  # nothing beside the rules file

    # from the secrets folder, RULES naming a rules file elsewhere by its absolute path
    (agenix.folder / "secrets.nix").rename(root / "nix" / "plain.nix")
    absolute = {"RULES": str(root / "nix" / "plain.nix")}
    again = agenix.run("-r", **absolute)
    assert again.returncode == 0, again.stderr
    assert all(agenix.hashes()[name] != after[name] for name in NAMES)
    assert sorted(p.name for p in (root / "nix").iterdir()) == ["plain.nix", "rules.nix"]


def test_identities_as_agenix_passes_them_to_age(agenix: AgenixWorld) -> None:
    system1 = _system1_key(agenix)
    run = agenix.run
    assert run("-d", "secret1.age", "-i", str(system1)).stdout == b"hello"
    cannot = run("-d", "secret2.age", "-i", str(system1))
    assert (cannot.returncode, cannot.stdout) == (1, b"")
    both = run("-d", "secret2.age", "-i", str(system1), "-i", str(agenix.key))
    assert (both.returncode, both.stdout) == (0, b"world!")
    first = run("-i", str(agenix.key), "-d", "secret2.age")
    assert (first.returncode, first.stdout) == (0, b"world!")
    missing = run("-d", "secret2.age", "-i", str(agenix.home / "nope"), "-i", str(agenix.key))
    assert (missing.returncode, missing.stdout) == (1, b"")  # age refuses a missing -i

    # -r with a key that cannot open some files: exit 1, those files untouched
    before = agenix.hashes()
    partial = run("-r", "-i", str(system1))
    assert partial.returncode == 1
    after = agenix.hashes()
    for name in ("secret2.age", "armored-secret.age"):
        assert after[name] == before[name]
    assert agenix.age_decrypt("armored-secret.age") == b"an armored secret"


def test_names_flags_and_editor_cases(agenix: AgenixWorld) -> None:
    run = agenix.run
    unknown = run("-d", "not-in-rules.age")
    assert (unknown.returncode, unknown.stdout) == (1, b"")
    verbose = run("-v", "-d", "secret1.age")
    assert (verbose.returncode, verbose.stdout) == (0, b"hello")
    assert run("--decrypt", "secret1.age", "--identity", str(agenix.key)).stdout == b"hello"
    assert run("-e", "secret1.age", "-d", "secret2.age").stdout == b"world!"  # -d wins

    before = agenix.hashes()
    no_editor = run("-e", "passwordfile-user1.age", tty=True)  # EDITOR unset, a terminal
    assert no_editor.returncode == 1
    assert agenix.hashes() == before
    # in a terminal, $EDITOR runs: agenix knows no $VISUAL
    shown = run("-e", "secret1.age", tty=True, EDITOR="cat", VISUAL="false")
    assert (shown.returncode, shown.stdout) == (0, b"hello"), shown.stderr
    assert agenix.hashes() == before
    # stdin that is not a terminal is the new content, whatever $EDITOR says
    piped = run("-e", "passwordfile-user1.age", input=b"piped\n", EDITOR="vi")
    assert piped.returncode == 0, piped.stderr
    assert agenix.age_decrypt("passwordfile-user1.age") == b"piped\n"
    # an editor given arguments (split as the shell splits $EDITOR)
    sed = run("-e", "secret1.age", tty=True, EDITOR="sed -i s/h/j/")
    assert sed.returncode == 0, sed.stderr
    assert agenix.age_decrypt("secret1.age") == b"jello"
    # an editor that removes the file: nothing is written
    removed = run("-e", "secret2.age", tty=True, EDITOR="rm -f")
    assert removed.returncode == 0, removed.stderr
    assert agenix.age_decrypt("secret2.age") == b"world!"
    # a new file (an entry of secrets.nix without one)
    (agenix.folder / "secret2.age").unlink()
    created = run("-e", "secret2.age", input=b"fresh\n")
    assert created.returncode == 0, created.stderr
    assert agenix.age_decrypt("secret2.age") == b"fresh\n"

    # no secrets.nix: nothing can be encrypted, nothing is written
    (agenix.folder / "secrets.nix").unlink()
    before = agenix.hashes()
    assert run("-e", "secret1.age", input=b"x").returncode == 1
    assert agenix.hashes() == before
