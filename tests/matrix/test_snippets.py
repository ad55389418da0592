"""NixOS snippets: valid Nix (nix-instantiate --parse), and evaluating to what agenix needs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agepy.errors import UsageError
from agepy.matrix.snippets import (
    SnippetOptions,
    module_root,
    nix_attr,
    nix_path,
    nix_string,
    nixos_snippet,
    secret_attr_name,
)

FULL = SnippetOptions(server_name="example.com", owner="@me:example.com")


def _eval(nix_instantiate: str, module: Path, expression: str) -> Any:
    """Apply the module to a stand-in ``config`` and evaluate ``expression`` on it (m)."""
    text = (
        f"let m = import {module} {{ config = {{ age.secrets = {{\n"
        '  "heisenbridge-config".path = "/run/agenix/heisenbridge-config";\n'
        '  "conduit-env".path = "/run/agenix/conduit-env";\n'
        '  "my bridge".path = "/run/agenix/my bridge"; }; }; };\n'
        f"in {expression}\n"
    )
    done = subprocess.run(
        [nix_instantiate, "--eval", "--strict", "--json", "-E", text],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("part", ["heisenbridge", "conduit", "all"])
def test_snippet_parses_as_nix(nix_instantiate: str, tmp_path: Path, part: str) -> None:
    module = tmp_path / "matrix.nix"
    module.write_text(nixos_snippet(part, FULL))  # type: ignore[arg-type]
    done = subprocess.run(
        [nix_instantiate, "--parse", str(module)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_snippet_evaluates_to_the_agenix_wiring(nix_instantiate: str, tmp_path: Path) -> None:
    module = tmp_path / "matrix.nix"
    module.write_text(nixos_snippet("all", FULL))
    got = _eval(
        nix_instantiate,
        module,
        "{ hb = m.services.heisenbridge; hbfile = toString m.age.secrets.heisenbridge-config.file;"
        " hbowner = m.age.secrets.heisenbridge-config.owner;"
        " env = m.systemd.services.conduit.serviceConfig.EnvironmentFile;"
        " envfile = toString m.age.secrets.conduit-env.file;"
        " conduit = m.services.matrix-conduit; }",
    )
    assert got["hb"] == {
        "enable": True,
        "extraArgs": ["--config", "/run/agenix/heisenbridge-config"],
        "homeserver": "http://127.0.0.1:6167",
        "owner": "@me:example.com",
    }
    assert got["hbfile"] == str(tmp_path / "secrets" / "heisenbridge-config.age")
    assert got["hbowner"] == "heisenbridge"
    assert got["env"] == "/run/agenix/conduit-env"
    assert got["envfile"] == str(tmp_path / "secrets" / "conduit-env.age")
    settings = got["conduit"]["settings"]["global"]
    assert settings["server_name"] == "example.com"
    assert "registration_token" not in settings


def test_odd_file_names_still_evaluate(nix_instantiate: str, tmp_path: Path) -> None:
    options = SnippetOptions(heisenbridge_file="matrix/my bridge.age", homeserver="https://m.x")
    module = tmp_path / "matrix.nix"
    module.write_text(nixos_snippet("heisenbridge", options))
    got = _eval(
        nix_instantiate,
        module,
        '{ a = m.services.heisenbridge.extraArgs; f = toString m.age.secrets."my bridge".file; }',
    )
    assert got == {
        "a": ["--config", "/run/agenix/my bridge"],
        "f": str(tmp_path / "matrix" / "my bridge.age"),
    }


def test_heisenbridge_only_needs_no_server_name_conduit_does() -> None:
    assert "services.heisenbridge" in nixos_snippet("heisenbridge", SnippetOptions())
    assert "# owner" in nixos_snippet("heisenbridge", SnippetOptions())
    with pytest.raises(UsageError):
        nixos_snippet("conduit", SnippetOptions())


@pytest.mark.parametrize(
    "options",
    [
        SnippetOptions(server_name="https://x"),
        SnippetOptions(owner="me"),
        SnippetOptions(homeserver="matrix.example.com"),
        SnippetOptions(heisenbridge_file="../outside.age"),
    ],
)
def test_bad_options(options: SnippetOptions) -> None:
    with pytest.raises(UsageError):
        nixos_snippet("heisenbridge", options)


def test_nix_helpers() -> None:
    assert nix_attr("heisenbridge-config") == "heisenbridge-config"
    assert nix_attr("2fa") == '"2fa"'
    assert nix_attr("a.b") == '"a.b"'
    assert nix_attr("in") == '"in"'
    assert nix_string('a"b${c}\\') == '"a\\"b\\${c}\\\\"'
    assert nix_path("secrets/x.age") == "./secrets/x.age"
    assert nix_path("./secrets/x y.age") == '(./. + "/secrets/x y.age")'
    assert secret_attr_name("secrets/heisenbridge-config.age") == "heisenbridge-config"
    assert secret_attr_name("token") == "token"


def test_module_root_prefers_the_flake(tmp_path: Path) -> None:
    rules_dir = tmp_path / "hosts" / "secrets"
    rules_dir.mkdir(parents=True)
    assert module_root(rules_dir) == tmp_path / "hosts"
    (tmp_path / "flake.nix").write_text("{}")
    assert module_root(rules_dir) == tmp_path
