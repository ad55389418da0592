"""The agenix command line as agenix's main branch (b027ee2) parses it, under the name
`agenix` (every command line is agenix's) and through `alias agenix=agepy`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agepy.cli.compat import AgenixHelp, translate_agenix_args
from agepy.errors import UsageError


def as_agenix(*args: str, editor: str | None = None) -> list[str]:
    environ = {} if editor is None else {"EDITOR": editor}
    return translate_agenix_args(list(args), as_agenix=True, environ=environ, stdin_tty=False)


def test_the_flags_of_agenix_main() -> None:
    assert as_agenix("-e", "a.age") == ["edit", "--", "a.age"]
    assert as_agenix("--decrypt", "-x.age", "--identity", "k") == [
        "decrypt",
        "-i",
        "k",
        "--",
        "-x.age",
    ]
    assert as_agenix("-v", "-r", "-i", "k") == ["rekey", "--force", "-i", "k"]
    assert as_agenix("-e", "a.age", "--editor", "-") == ["edit", "--editor", "-", "--", "a.age"]
    assert as_agenix("--debug", "-d", "a.age") == ["decrypt", "--debug", "--", "a.age"]


def test_editor_colon_reencrypts_one_file_as_agenix_does() -> None:
    # agenix's script skips the editor (and piped stdin) when EDITOR is ':' and always
    # re-encrypts: `EDITOR=: agenix -e FILE` is how scripts rekey one secret.
    assert as_agenix("-e", "-x.age", "-i", "k", editor=":") == [
        "rekey",
        "--force",
        "-i",
        "k",
        "--",
        "-x.age",
    ]
    assert as_agenix("-e", "a.age", editor=": ") == ["edit", "--", "a.age"]  # exact, as agenix
    assert as_agenix("-d", "a.age", editor=":") == ["decrypt", "--", "a.age"]
    assert as_agenix("-e", "a.age", "--editor", "vi", editor=":")[0] == "edit"  # asked for
    assert translate_agenix_args(["-e", "a.age"], environ={"EDITOR": ":"})[0] == "rekey"


def test_in_a_terminal_edit_runs_editor_not_visual() -> None:
    # agenix's script runs $EDITOR and knows no $VISUAL; piped stdin is the content.
    t = translate_agenix_args
    env = {"EDITOR": "cat", "VISUAL": "vim"}
    assert t(["-e", "a.age"], environ=env, stdin_tty=True) == [
        "edit",
        "--editor",
        "cat",
        "--",
        "a.age",
    ]
    assert t(["-e", "a.age"], environ=env, stdin_tty=False) == ["edit", "--", "a.age"]
    assert t(["-e", "a.age"], environ={"VISUAL": "vim"}, stdin_tty=True) == ["edit", "--", "a.age"]
    given = t(["-e", "a.age", "--editor", "nano"], environ=env, stdin_tty=True)
    assert given == ["edit", "--editor", "nano", "--", "a.age"]
    assert t(["-d", "a.age"], environ=env, stdin_tty=True) == ["decrypt", "--", "a.age"]


def test_with_rules_names_are_relative_to_the_current_folder() -> None:
    # agenix's script reads $RULES for the keys and the file relative to where it runs.
    rules = {"RULES": "./secrets/secrets.nix"}
    t = translate_agenix_args
    assert t(["-e", "s/a.age"], environ=rules) == ["edit", "--files-from-cwd", "--", "s/a.age"]
    assert t(["-r"], environ=rules) == ["rekey", "--force", "--files-from-cwd"]
    assert t(["-e", "a.age"], environ={**rules, "EDITOR": ":"})[-3:] == [
        "--files-from-cwd",
        "--",
        "a.age",
    ]
    assert t(["-d", "a.age"], environ=rules) == ["decrypt", "--", "a.age"]  # cwd first anyway
    assert t(["-r"], environ={"RULES": ""}) == ["rekey", "--force"]  # empty: ./secrets.nix
    assert "--files-from-cwd" not in t(["-r", "--rules", "x.nix"], environ=rules)  # ragenix's


@pytest.mark.parametrize(
    "args",
    [["-h"], ["--help"], ["-d", "a.age", "-h"], ["-r", "--help", "-x"]],
)
def test_help_at_the_first_h_whatever_follows(args: list[str]) -> None:
    with pytest.raises(AgenixHelp):
        as_agenix(*args)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-x", "-h"], "no such option: -x"),  # agenix fails at -x before it sees -h
        (["-c"], "not an agenix option"),
        (["--check"], "not an agenix option"),
        (["-r", "age1xyz"], "unexpected argument"),
        (["list"], "unexpected argument"),
        (["-e"], "needs a FILE"),
        (["-i", "k"], "no action"),
    ],
)
def test_usage_errors(args: list[str], words: str) -> None:
    with pytest.raises(UsageError, match=words):
        as_agenix(*args)


def test_without_the_name_other_command_lines_are_agepys() -> None:
    assert translate_agenix_args(["list", "-c"]) == ["list", "-c"]
    assert translate_agenix_args(["-h"]) == ["-h"]  # agepy's own help
    with pytest.raises(UsageError, match="not an agenix option"):
        translate_agenix_args(["-c"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["-e", "-r", "-d", "-i", "-v", "-h", "-c", "--rules", "--", "-x.age"]),
            st.text(max_size=6),
        ),
        max_size=8,
    )
)
def test_fuzz_only_usage_errors_or_help(args: list[str]) -> None:
    try:
        result = as_agenix(*args)
    except (UsageError, AgenixHelp):
        return
    assert all(isinstance(a, str) for a in result)
    if result and result[0] in ("edit", "decrypt") and result[-1] != "--help":
        assert result[-2] == "--"  # FILE always after --
