"""One command line: the shared options exist where they must and behave the same.

The first half introspects the click commands (as the root group loads them) against the
table of issue #8; the second runs the real `agepy` on a copy of secrets.example/ to
check rules lookup (--rules, else $RULES, else ./secrets.nix), exit codes, streams,
colour (never in a pipe, never with NO_COLOR; on a terminal via `script`) and --debug.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from agepy.cli import ENCRYPT_GENERATORS, SECRET_COMMANDS, cli
from tests.support.cli import run_agepy
from tests.support.forkserver import popen_agepy_on_terminal

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "secrets.example"
ANSI = re.compile(r"\x1b\[")

# --- the table of issue #8 ---------------------------------------------------------------

TAKES_RULES = {
    "list",
    "edit",
    "rekey",
    "check",
    "inspect",
    "add-host",
    "rescan",
    "hosts",
    "show heisenbridge-config",
    "nixos-snippet",
    "encrypt heisenbridge-config",
    "encrypt conduit-registration-token",
    "generate NAME",
    "show NAME",
    "nixos-snippet NAME",
}
DECRYPTS = {  # each takes -i/--identity PATH, repeatable
    "decrypt",
    "edit",
    "rekey",
    "add-host",  # add-host --to re-encrypts the secrets it joins
    "rescan",
    "show heisenbridge-config",
    "encrypt heisenbridge-config",  # --rotate
    "encrypt conduit-registration-token",  # --rotate
    "show NAME",  # without --public
}
REPORTS = {"list", "check", "inspect", "hosts", "keyscan", "rekey"}  # each takes --json
CONFIRMS = {"add-host", "rescan"}  # each asks a question, so each takes -y/--yes
EVALUATES = {  # each evaluates secrets.nix, so each takes --evaluator auto|builtin|nix
    "decrypt",  # a rules name, and key names for its errors
    "inspect",  # key names
    "list",
    "edit",
    "rekey",
    "check",
    "add-host",
    "rescan",
    "show heisenbridge-config",
    "encrypt heisenbridge-config",
    "encrypt conduit-registration-token",
    "generate NAME",
    "show NAME",
    "nixos-snippet NAME",
}


def _commands() -> dict[str, click.Command]:
    """Every command path ("show heisenbridge-config", …) and its click command."""
    ctx = click.Context(cli)
    found: dict[str, click.Command] = {"": cli}
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None, name
        found[name] = command
        if isinstance(command, click.Group):
            for sub in command.list_commands(ctx):
                found[f"{name} {sub}"] = command.commands[sub]
    for generator in ENCRYPT_GENERATORS:
        _, command, _ = cli.resolve_command(ctx, ["encrypt", generator])
        assert command is not None, generator
        found[f"encrypt {generator}"] = command
    for name in SECRET_COMMANDS:  # the any-secret forms: `agepy show NAME`, …
        _, command, _ = cli.resolve_command(ctx, [name, "NAME"])
        assert command is not None, name
        found[f"{name} NAME"] = command
    return found


COMMANDS = _commands()
LEAVES = {p: c for p, c in COMMANDS.items() if p and not isinstance(c, click.Group)}


def _option(command: click.Command, flag: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and flag in (*param.opts, *param.secondary_opts):
            return param
    return None


def test_the_table_names_real_commands() -> None:
    for table in (TAKES_RULES, DECRYPTS, REPORTS, CONFIRMS, EVALUATES):
        assert table <= set(LEAVES), table - set(LEAVES)


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=lambda p: p or "agepy")
def test_debug_and_quiet_everywhere(path: str) -> None:
    command = COMMANDS[path]
    for flag in ("--debug", "-q", "--quiet"):
        option = _option(command, flag)
        assert option is not None, f"`agepy {path}` has no {flag}"
        assert option.is_flag, flag
    assert _option(command, "-q") is _option(command, "--quiet")


@pytest.mark.parametrize("path", sorted(TAKES_RULES))
def test_rules_option(path: str) -> None:
    option = _option(LEAVES[path], "--rules")
    assert option is not None, f"`agepy {path}` has no --rules PATH"
    assert option.opts == ["--rules"]
    assert option.default is None, "the default must come from $RULES, else ./secrets.nix"
    assert not option.multiple
    assert option.metavar == "PATH"


@pytest.mark.parametrize("path", sorted(DECRYPTS))
def test_identity_option(path: str) -> None:
    option = _option(LEAVES[path], "-i")
    assert option is not None, f"`agepy {path}` decrypts but has no -i/--identity PATH"
    assert "--identity" in option.opts
    assert option.multiple, "-i must be repeatable, as in age"
    assert option.metavar == "PATH"


@pytest.mark.parametrize("path", sorted(REPORTS))
def test_json_option(path: str) -> None:
    option = _option(LEAVES[path], "--json")
    assert option is not None, f"`agepy {path}` reports but has no --json"
    assert option.is_flag
    assert "docs/json.md" in (option.help or "")


@pytest.mark.parametrize("path", sorted(CONFIRMS))
def test_yes_option(path: str) -> None:
    option = _option(LEAVES[path], "--yes")
    assert option is not None, f"`agepy {path}` asks a question but has no --yes"
    assert option.is_flag
    assert "-y" in option.opts


@pytest.mark.parametrize("path", sorted(EVALUATES))
def test_evaluator_option(path: str) -> None:
    option = _option(LEAVES[path], "--evaluator")
    assert option is not None, f"`agepy {path}` evaluates secrets.nix but has no --evaluator"
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == ["auto", "builtin", "nix"]
    assert option.default == "auto"


# Where the tool agepy stands in for gives a short flag its own meaning, it keeps it:
# `agepy encrypt -p` is age's --passphrase, `agepy keyscan -p` is ssh-keyscan's port.
BORROWED = {("keyscan", "-p")}


def test_a_flag_means_the_same_everywhere() -> None:
    """`-o` is --output in every command that has it, `-i` is --identity, and so on."""
    meaning: dict[str, tuple[str, str]] = {}
    for path, command in LEAVES.items():
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            longs = sorted(o for o in param.opts if o.startswith("--"))
            shorts = [o for o in param.opts if not o.startswith("--")]
            for short in shorts:
                if (path, short) in BORROWED:
                    continue
                seen = meaning.setdefault(short, (longs[0] if longs else short, path))
                assert seen[0] == (longs[0] if longs else short), (
                    f"{short} is {seen[0]} in `agepy {seen[1]}` but {longs} in `agepy {path}`"
                )


# --- behaviour, on the real command line ------------------------------------------------


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`agepy ARGS` in ``cwd`` (in-process), NO_COLOR and the rules variables unset unless
    ``env`` sets them."""
    full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "RULES", "AGENIX_RULES")}
    full.update(HOME=str(cwd), **(env or {}))
    return run_agepy(args, text=True, cwd=cwd, env=full)


@pytest.fixture
def repo(tmp_path: Path, age_bin: str) -> Path:
    """secrets.example/ in tmp_path/repo, its files made with the real age: one up to
    date (heisenbridge-config.age), one stale (conduit-env.age lacks matrix), one missing."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    keys = repo / "keys"
    (repo / "restic-password.age").unlink(missing_ok=True)
    for name, pubs in (
        ("heisenbridge-config.age", ["alice.pub", "matrix_ssh_host_rsa_key.pub"]),
        ("conduit-env.age", ["alice.pub"]),
    ):
        argv = [age_bin, "-o", str(repo / name)]
        for pub in pubs:
            argv += ["-R", str(keys / pub)]
        subprocess.run(argv, input=b"secret\n", check=True, timeout=30)
    return repo


def _rules_found(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert '"heisenbridge-config.age"' in result.stdout


def test_rules_from_cwd_then_env_then_option(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rules = str(repo / "secrets.nix")
    _rules_found(run(["list", "--json"], cwd=repo))  # ./secrets.nix
    _rules_found(run(["list", "--json"], cwd=elsewhere, env={"RULES": rules}))
    _rules_found(
        run(["list", "--json", "--rules", rules], cwd=elsewhere, env={"RULES": "nope.nix"})
    )
    lost = run(["list", "--json"], cwd=elsewhere)
    assert lost.returncode == 1
    assert lost.stdout == ""
    assert lost.stderr.startswith("agepy: error: ")
    assert "agepy: hint: " in lost.stderr
    assert "Traceback" not in lost.stderr


def test_rules_found_from_a_flake_root_and_below(repo: Path, tmp_path: Path) -> None:
    """agenix reads $RULES or ./secrets.nix only; agepy also finds secrets/secrets.nix
    below the current folder (a flake's root) and secrets.nix in parent folders up to
    the repository root, and says on stderr which file it uses. agenix-rules.nix and
    $AGENIX_RULES (an unmerged agenix PR) mean nothing."""
    flake = tmp_path / "flake"
    flake.mkdir()
    repo.rename(flake / "secrets")
    _rules_found(quiet := run(["list", "--json"], cwd=flake / "secrets"))
    assert "using the rules" not in quiet.stderr  # ./secrets.nix: nothing to say
    from_root = run(["list", "--json"], cwd=flake)
    assert from_root.returncode == 0, from_root.stderr
    assert "agepy: using the rules in secrets/secrets.nix" in from_root.stderr
    below = flake / "hosts" / "deep"
    below.mkdir(parents=True)
    lost = run(["list", "--json"], cwd=below)  # no .git: parents are not searched
    assert lost.returncode == 1 and "no rules file" in lost.stderr
    (flake / ".git").mkdir()
    found = run(["list", "--json"], cwd=below)
    _rules_found(found)
    assert "using the rules in ../../secrets/secrets.nix" in found.stderr
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "agenix-rules.nix").write_text((flake / "secrets" / "secrets.nix").read_text())
    env = {"AGENIX_RULES": str(flake / "secrets" / "secrets.nix")}
    assert run(["list", "--json"], cwd=outside, env=env).returncode == 1
    _rules_found(run(["list", "--json", "--rules", str(flake / "secrets")], cwd=outside))


@pytest.mark.parametrize("path", ["list", "check", "hosts", "rekey --dry-run"])
def test_every_rules_command_reads_rules_env(path: str, repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    by_env = run([*path.split(), "--json"], cwd=elsewhere, env={"RULES": str(repo / "secrets.nix")})
    assert "agepy: error:" not in by_env.stderr, by_env.stderr
    by_cwd = run([*path.split(), "--json"], cwd=repo)
    assert by_env.returncode == by_cwd.returncode


def test_inspect_names_keys_from_rules_env(repo: Path, tmp_path: Path) -> None:
    """inspect names SSH stanzas from $RULES exactly as it does from --rules."""
    rules = repo / "secrets.nix"
    # Start at `let`, so this checks $RULES alone, whatever the naming of commented files.
    text = rules.read_text()
    rules.write_text(text[text.index("let\n") :])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = str(repo / "heisenbridge-config.age")
    by_option = run(["inspect", "--json", "--rules", str(rules), target], cwd=elsewhere)
    by_env = run(["inspect", "--json", target], cwd=elsewhere, env={"RULES": str(rules)})
    assert by_option.returncode == by_env.returncode == 0, (by_option.stderr, by_env.stderr)
    assert '"alice"' in by_option.stdout, by_option.stdout
    assert by_env.stdout == by_option.stdout


def test_exit_codes_and_streams(repo: Path) -> None:
    stale = run(["check"], cwd=repo)
    assert stale.returncode == 1, "findings exit 1"
    assert "stale: conduit-env.age" in stale.stdout
    assert "agepy: error" not in stale.stdout

    rekeyed = run(["rekey", "-i", "keys/alice"], cwd=repo)
    assert rekeyed.returncode == 0, rekeyed.stderr
    assert "rekey:" in rekeyed.stderr, "the summary is progress: stderr"
    after = run(["check"], cwd=repo, env={"NO_COLOR": "1"})
    # restic-password.age is still missing: exit 1, its one finding on stdout.
    assert after.returncode == 1
    assert after.stdout.splitlines() == ["missing: restic-password.age: the file does not exist"]

    usage = run(["check", "--evaluator", "sometimes"], cwd=repo)
    assert usage.returncode == 2
    assert usage.stdout == ""


def test_a_clean_check_exits_zero_and_quiet_is_silent(repo: Path) -> None:
    rules = repo / "secrets.nix"
    text = rules.read_text()
    rules.write_text(text[: text.index("  # restic")] + "}\n")
    assert run(["rekey", "-q", "-i", "keys/alice"], cwd=repo).returncode == 0
    clean = run(["check"], cwd=repo)
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout == ""
    assert "check:" in clean.stderr
    quiet = run(["check", "-q"], cwd=repo)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    quiet_first = run(["-q", "check"], cwd=repo)
    assert (quiet_first.returncode, quiet_first.stdout, quiet_first.stderr) == (0, "", "")


def test_quiet_never_silences_json(repo: Path) -> None:
    loud = run(["check", "--json"], cwd=repo)
    quiet = run(["check", "--json", "-q"], cwd=repo)
    assert quiet.stdout == loud.stdout != ""
    assert quiet.returncode == loud.returncode == 1


def test_debug_shows_the_traceback_only_when_asked(repo: Path) -> None:
    plain = run(["list", "--rules", "nope.nix"], cwd=repo)
    debug = run(["list", "--debug", "--rules", "nope.nix"], cwd=repo)
    assert plain.returncode == debug.returncode == 1
    assert "Traceback" not in plain.stderr
    assert "Traceback" in debug.stderr
    assert debug.stderr.rstrip().splitlines()[-2].startswith("agepy: error: ")


def test_no_colour_in_a_pipe(repo: Path) -> None:
    for args in (["list"], ["check"], ["hosts"], ["list", "--rules", "nope.nix"]):
        result = run(args, cwd=repo)  # NO_COLOR unset: the pipe alone must say no colour
        assert not ANSI.search(result.stdout + result.stderr), args


def _in_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """What `agepy ARGS` writes to a pseudo-terminal: its controlling terminal, in a
    session of its own, as in a terminal window."""
    full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "RULES")}
    full.update(HOME=str(cwd), TERM="xterm", **env)
    agepy, leader = popen_agepy_on_terminal(args, cwd=cwd, env=full)
    output = b""
    with agepy:
        while True:  # until the terminal closes: agepy ended
            assert select.select([leader], [], [], 60)[0], output
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: no process holds the terminal any more
                break
            if not chunk:
                break
            output += chunk
    os.close(leader)
    return output.decode(errors="replace")


def test_colour_on_a_terminal_unless_no_color(repo: Path) -> None:
    assert ANSI.search(_in_a_terminal(["list"], repo, {})), "status should be coloured on a tty"
    assert not ANSI.search(_in_a_terminal(["list"], repo, {"NO_COLOR": "1"}))


@pytest.mark.parametrize(
    "args",
    [
        ["encrypt", "-R", "keys/alice.pub", "-o", "out.age", "nope.txt"],
        ["decrypt", "-i", "keys/alice", "nope.age"],
        ["inspect", "nope.age"],
        ["decrypt", "-i", "nope", "heisenbridge-config.age"],
        ["rekey", "nope.age"],
    ],
    ids=lambda a: " ".join(a[:1] + a[-1:]),
)
def test_a_missing_file_is_a_failure_not_usage(args: list[str], repo: Path) -> None:
    """Exit 2 is for a wrong command line; a file that is not there exits 1, as in age."""
    result = run(args, cwd=repo)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("agepy: error: ")
    assert "agepy: hint: " in result.stderr
