"""Keys for the age-layer tests, made once per session with the real ssh-keygen/age-keygen."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI, require_tool
from tests.support.cli import AGEPY

VECTORS = Path(__file__).parent / "vectors"
PASSPHRASE = "correct horse battery staple"


@dataclass(frozen=True)
class KeyPair:
    name: str
    private: Path
    public: Path

    @property
    def public_text(self) -> str:
        return self.public.read_text().strip()


def current_umask() -> int:
    """The process umask (read by setting it, then put back)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def make_ssh_key(
    ssh_keygen: str,
    folder: Path,
    name: str,
    keytype: str,
    *,
    bits: int | None = None,
    passphrase: str = "",
    comment: str | None = None,
    pem: bool = False,
) -> KeyPair:
    path = folder / name
    args = [ssh_keygen, "-q", "-t", keytype, "-N", passphrase, "-f", str(path)]
    if bits:
        args += ["-b", str(bits)]
    if comment is not None:
        args += ["-C", comment]
    if pem:
        args += ["-m", "PEM"]
    subprocess.run(args, check=True, capture_output=True)
    return KeyPair(name, path, path.with_name(name + ".pub"))


@pytest.fixture(scope="session")
def keys(
    tmp_path_factory: pytest.TempPathFactory, ssh_keygen_bin: str, age_keygen_bin: str
) -> dict[str, KeyPair]:
    """ed25519, rsa2048, rsa3072, rsa4096, rsa-pem, ed25519-pass (passphrase-protected),
    x25519."""
    folder = tmp_path_factory.mktemp("keys")
    made = {
        "ed25519": make_ssh_key(
            ssh_keygen_bin, folder, "ed25519", "ed25519", comment="alice@laptop"
        ),
        "rsa2048": make_ssh_key(ssh_keygen_bin, folder, "rsa2048", "rsa", bits=2048, comment="bob"),
        "rsa3072": make_ssh_key(ssh_keygen_bin, folder, "rsa3072", "rsa", bits=3072),
        "rsa4096": make_ssh_key(ssh_keygen_bin, folder, "rsa4096", "rsa", bits=4096, comment=""),
        "rsa-pem": make_ssh_key(ssh_keygen_bin, folder, "rsa-pem", "rsa", bits=2048, pem=True),
        "ed25519-pass": make_ssh_key(
            ssh_keygen_bin, folder, "ed25519-pass", "ed25519", passphrase=PASSPHRASE
        ),
    }
    x25519 = folder / "x25519.key"
    subprocess.run([age_keygen_bin, "-o", str(x25519)], check=True, capture_output=True)
    public = folder / "x25519.pub"
    recipient = subprocess.run(
        [age_keygen_bin, "-y", str(x25519)], check=True, capture_output=True, text=True
    ).stdout
    public.write_text(recipient)
    made["x25519"] = KeyPair("x25519", x25519, public)
    return made


@pytest.fixture(scope="session")
def agepy_cmd() -> list[str]:
    """The agepy command line, run as a real subprocess."""
    return list(AGEPY)


REPO = Path(__file__).resolve().parents[2]
TYPAGE_MODULES = REPO / ".cache" / "typage" / "node_modules"
TYPAGE_SCRIPT = Path(__file__).parent / "typage.mjs"


@dataclass(frozen=True)
class Typage:
    """typage (npm age-encryption 0.3.1) under node: the post-quantum oracle."""

    node: str

    def run(self, *args: str, data: bytes = b"") -> bytes:
        command = [self.node, str(TYPAGE_SCRIPT), str(TYPAGE_MODULES), *args]
        result = subprocess.run(command, input=data, capture_output=True, check=False)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        return result.stdout


@pytest.fixture(scope="session")
def typage() -> Typage:
    node = require_tool("node")
    if not (TYPAGE_MODULES / "age-encryption" / "package.json").is_file():
        message = (
            f"typage is not installed in {TYPAGE_MODULES} "
            "(npm install --prefix .cache/typage age-encryption@0.3.1)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return Typage(node)
