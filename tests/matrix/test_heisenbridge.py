"""The Heisenbridge registration: same bytes as heisenbridge's own generator, accepted
by heisenbridge's own loader and start-up checks, token rotation that touches nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from agepy.errors import AgepyError, StoreError, UsageError
from agepy.matrix.heisenbridge import (
    RegistrationOptions,
    build_registration,
    check_registration,
    dump_registration,
    generate_registration,
    is_appservice_token,
    parse_registration,
    rotate_tokens,
)

TOKEN_LINE = re.compile(r"^(as_token|hs_token): [A-Za-z0-9]{64}$", re.MULTILINE)


def _mask_tokens(text: str) -> str:
    return TOKEN_LINE.sub(lambda m: f"{m.group(1)}: <token>", text)


GENERATE_FLAGS = [
    ("--generate-compat",),
    ("--generate",),
    ("--generate-compat", "-l", "10.0.0.7", "-p", "9999"),
]


@pytest.fixture(scope="module")
def real_registrations(
    heisenbridge_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, ...], str]:
    """What heisenbridge's own generator writes for each of GENERATE_FLAGS.

    One interpreter runs heisenbridge's entry point (the one its `heisenbridge` script
    calls) once per set of flags, instead of a new interpreter and heisenbridge's imports
    for each.
    """
    with open(heisenbridge_bin, "rb") as script:
        shebang = script.readline().decode().strip()
    assert shebang.startswith("#!") and "python" in shebang, (heisenbridge_bin, shebang)
    assert "from heisenbridge.__main__ import main" in Path(heisenbridge_bin).read_text()
    folder = tmp_path_factory.mktemp("heisenbridge-generate")
    targets = {flags: folder / f"real{i}.yaml" for i, flags in enumerate(GENERATE_FLAGS)}
    runs = [["heisenbridge", *flags, "-c", str(target)] for flags, target in targets.items()]
    code = (
        "import json, sys\n"
        "from heisenbridge.__main__ import main\n"
        "for argv in json.loads(sys.argv[1]):\n"
        "    sys.argv = argv\n"
        "    main()\n"
    )
    subprocess.run(
        [*shebang[2:].split(), "-c", code, json.dumps(runs)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return {flags: target.read_text() for flags, target in targets.items()}


@pytest.mark.parametrize(
    ("flags", "options"),
    [
        (GENERATE_FLAGS[0], RegistrationOptions()),
        (GENERATE_FLAGS[1], RegistrationOptions(compat=False)),
        (GENERATE_FLAGS[2], RegistrationOptions(url="http://10.0.0.7:9999")),
    ],
    ids=["compat", "synapse", "listen"],
)
def test_same_bytes_as_heisenbridge_generate(
    real_registrations: dict[tuple[str, ...], str],
    flags: tuple[str, ...],
    options: RegistrationOptions,
) -> None:
    real = real_registrations[flags]
    ours = generate_registration(options)
    assert len(TOKEN_LINE.findall(ours)) == 2
    assert _mask_tokens(ours) == _mask_tokens(real)


def test_field_order_and_values() -> None:
    registration = build_registration()
    assert list(registration) == [
        "id",
        "url",
        "as_token",
        "hs_token",
        "rate_limited",
        "sender_localpart",
        "namespaces",
    ]
    assert registration["namespaces"] == {
        "users": [
            {"regex": "@irc_.*", "exclusive": True},
            {"regex": "@heisenbridge:.*", "exclusive": True},
        ],
        "aliases": [],
        "rooms": [],
    }
    assert is_appservice_token(registration["as_token"])
    assert is_appservice_token(registration["hs_token"])
    assert registration["as_token"] != registration["hs_token"]


def test_custom_names_follow_through() -> None:
    options = RegistrationOptions(id="irc", sender_localpart="ircbot", prefix="libera/")
    registration = build_registration(options)
    assert registration["namespaces"]["users"] == [
        {"regex": "@libera/.*", "exclusive": True},
        {"regex": "@ircbot:.*", "exclusive": True},
    ]
    assert check_registration(registration) == "libera/"


def _heisenbridge_accepts(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[bool, str]:
    """Run heisenbridge's own loader (load_reg) and start-up checks (BridgeAppService.run).

    The checks come first in run(); past them it prints its version and tries to reach
    the homeserver, here a closed loopback port: it logs that it failed to connect and
    will retry (in seconds). That log line means every check passed; the run is stopped
    there. A failed check calls sys.exit(1) after printing why.
    """
    from heisenbridge.__main__ import BridgeAppService  # type: ignore[import-untyped]

    service = BridgeAppService()
    service.load_reg(str(path))

    async def checked_run() -> object:
        # Caught inside the coroutine: a SystemExit escaping a task would stop the loop.
        try:
            await service.run("127.0.0.1", 0, "http://127.0.0.1:1", None, False, False)
        except SystemExit as exc:
            return exc.code
        return None

    async def start() -> tuple[bool, object]:
        retrying = asyncio.Event()

        class Retrying(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.getMessage().startswith("Failed to connect to HS"):
                    retrying.set()

        handler = Retrying(logging.WARNING)
        logging.getLogger().addHandler(handler)
        run = asyncio.ensure_future(checked_run())
        waiting = asyncio.ensure_future(retrying.wait())
        try:
            await asyncio.wait({run, waiting}, return_when=asyncio.FIRST_COMPLETED, timeout=60)
            assert run.done() or waiting.done(), "heisenbridge neither stopped nor retried"
            if run.done():
                return False, run.result()
            return True, None
        finally:
            logging.getLogger().removeHandler(handler)
            for task in (run, waiting):
                task.cancel()
            await asyncio.gather(run, waiting, return_exceptions=True)
            api = getattr(service, "api", None)
            if api is not None:
                await api.session.close()

    retried, code = asyncio.run(start())
    if retried:
        output = capsys.readouterr().out
        return "Heisenbridge v" in output, output
    return code == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    "options",
    [
        RegistrationOptions(),
        RegistrationOptions(compat=False),
        RegistrationOptions(sender_localpart="bridge", prefix="irc/", id="irc"),
    ],
    ids=["compat", "synapse", "custom"],
)
def test_heisenbridge_own_checks_accept_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: RegistrationOptions
) -> None:
    path = tmp_path / "registration.yaml"
    path.write_text(generate_registration(options))
    accepted, output = _heisenbridge_accepts(path, capsys)
    assert accepted, output


def _mutations() -> list[tuple[str, Any]]:
    def without(key: str) -> Any:
        def mutate(r: dict[str, Any]) -> None:
            del r[key]

        return mutate

    def users(value: list[dict[str, Any]]) -> Any:
        def mutate(r: dict[str, Any]) -> None:
            r["namespaces"]["users"] = value

        return mutate

    return [
        ("no-sender", without("sender_localpart")),
        ("no-namespaces", without("namespaces")),
        ("two-puppet-namespaces", users([{"regex": "@a_.*", "exclusive": True}] * 2)),
        ("not-exclusive", users([{"regex": "@irc_.*", "exclusive": False}])),
        ("exclusive-missing", users([{"regex": "@irc_.*"}])),
        ("no-separator", users([{"regex": "@irc.*", "exclusive": True}])),
        ("only-self", users([{"regex": "@heisenbridge:.*", "exclusive": True}])),
    ]


@pytest.mark.parametrize(("label", "mutate"), _mutations(), ids=[m[0] for m in _mutations()])
def test_check_registration_agrees_with_heisenbridge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], label: str, mutate: Any
) -> None:
    registration = build_registration()
    mutate(registration)
    path = tmp_path / "registration.yaml"
    text = dump_registration(registration)
    path.write_text(text)
    accepted, output = _heisenbridge_accepts(path, capsys)
    assert not accepted, (label, output)
    with pytest.raises(StoreError) as info:
        parse_registration(text, source="heisenbridge-config.age")
    assert info.value.message.startswith("heisenbridge-config.age: ")
    assert info.value.hint


@pytest.mark.parametrize(
    "options",
    [
        RegistrationOptions(url="ftp://x"),
        RegistrationOptions(url="http://"),
        RegistrationOptions(url="http://host:99999"),
        RegistrationOptions(id=""),
        RegistrationOptions(id="a b"),
        RegistrationOptions(sender_localpart="Heisen Bridge"),
        RegistrationOptions(prefix="irc"),
        RegistrationOptions(prefix="_"),
        RegistrationOptions(prefix="i.rc_"),
        RegistrationOptions(prefix="heisenbridge_"),
    ],
)
def test_bad_options_are_usage_errors(options: RegistrationOptions) -> None:
    with pytest.raises(UsageError) as info:
        build_registration(options)
    assert info.value.hint


def test_rotate_changes_exactly_the_two_tokens() -> None:
    original = generate_registration()
    rotated = rotate_tokens(original)
    old_lines, new_lines = original.splitlines(True), rotated.splitlines(True)
    assert len(old_lines) == len(new_lines)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert [old_lines[i].split(":")[0] for i in changed] == ["as_token", "hs_token"]
    before, after = yaml.safe_load(original), yaml.safe_load(rotated)
    for key in ("as_token", "hs_token"):
        assert is_appservice_token(after[key]) and after[key] != before[key]
    assert {k: v for k, v in after.items() if not k.endswith("_token")} == {
        k: v for k, v in before.items() if not k.endswith("_token")
    }


def test_rotate_keeps_comments_quotes_and_extra_settings() -> None:
    plain = generate_registration()
    tokens = yaml.safe_load(plain)
    original = (
        "# my bridge\n"
        + plain.replace(
            f"as_token: {tokens['as_token']}", f"as_token:   '{tokens['as_token']}'"
        ).replace(f"hs_token: {tokens['hs_token']}", f'hs_token: "{tokens["hs_token"]}"  # hs')
        + "heisenbridge:\n    displayname: IRC  # shown in rooms\n"
    )
    rotated = rotate_tokens(original)
    any_token = re.compile(r"[A-Za-z0-9]{64}")
    assert any_token.sub("<token>", rotated) == any_token.sub("<token>", original)
    after = yaml.safe_load(rotated)
    assert after["as_token"] != tokens["as_token"] and after["hs_token"] != tokens["hs_token"]
    assert after["heisenbridge"] == {"displayname": "IRC"}


def test_rotate_flow_style_falls_back_to_reserializing() -> None:
    registration = build_registration()
    flow = yaml.safe_dump(registration, default_flow_style=True, sort_keys=False)
    rotated = rotate_tokens(flow)
    after = yaml.safe_load(rotated)
    assert after["as_token"] != registration["as_token"]
    assert {k: v for k, v in after.items() if not k.endswith("_token")} == {
        k: v for k, v in registration.items() if not k.endswith("_token")
    }


@pytest.mark.parametrize("text", ["", "- a list\n", "key: [unclosed\n", b"\xff\xfe"])
def test_garbage_is_a_store_error(text: str | bytes) -> None:
    with pytest.raises(StoreError):
        parse_registration(text)
    with pytest.raises(StoreError):
        rotate_tokens(text)


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.sampled_from(["2001-13-01"])
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_text_only_agepy_errors(text: str) -> None:
    for parse in (parse_registration, rotate_tokens):
        with contextlib.suppress(AgepyError):
            parse(text)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        ["id", "as_token", "hs_token", "sender_localpart", "namespaces", "url", "extra"]
    ),
    _values,
    st.booleans(),
)
def test_fuzz_mutated_registrations(key: str, value: object, raw: bool) -> None:
    """A valid registration with one value replaced: accepted and rotated, or a StoreError."""
    registration = build_registration()
    registration[key] = value
    text = dump_registration(registration)
    if raw:  # also as hand-written text, with the value's YAML spliced in verbatim
        text = text.replace("rate_limited: false", f"rate_limited: {value}")
    try:
        rotated = rotate_tokens(text)
    except StoreError:
        return
    before, after = yaml.safe_load(text), yaml.safe_load(rotated)
    assert {k: v for k, v in after.items() if k not in ("as_token", "hs_token")} == {
        k: v for k, v in before.items() if k not in ("as_token", "hs_token")
    }
    assert is_appservice_token(after["as_token"]) and is_appservice_token(after["hs_token"])
