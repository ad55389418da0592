"""The public names of agepy and its packages resolve (imported eagerly), except keyscan's:
a program that only reads secrets (check, rekey) does not pay for asyncio or asyncssh."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["agepy", "agepy.hosts", "agepy.rules", "agepy.store"])
def test_every_public_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    with pytest.raises(AttributeError):
        _ = module.no_such_name


def test_star_import_works() -> None:
    namespace: dict[str, object] = {}
    exec("from agepy.hosts import *\nfrom agepy.rules import *", namespace)
    assert "keyscan" in namespace and "replace_key" in namespace


def test_package_root_is_light() -> None:
    """`import agepy` (and so every command's start-up) loads only the errors."""
    code = "import sys, agepy\nprint(sorted(m for m in sys.modules if m.startswith('agepy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['agepy', 'agepy.errors']"
    heavy = "{'cryptography', 'agepy.rules', 'yaml'}"
    code = f"import sys, agepy.cli\nprint(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_reading_secrets_does_not_import_keyscan() -> None:
    code = (
        "import sys\n"
        "from agepy.store import Store\n"
        "import agepy, agepy.hosts, agepy.rules\n"
        "heavy = {'asyncio', 'asyncssh', 'agepy.hosts.scan', 'agepy.hosts._probe'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
