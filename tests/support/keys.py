"""The tests' keys: real key pairs made by the real ssh-keygen and age-keygen.

One set serves every test folder (the ``keys`` fixture of tests/conftest.py). It is made
once per pytest run: under xdist the first worker makes it in a folder all workers share
(beside their own temporary folders, under a file lock) and the others read it, so the
RSA keys, which take seconds to find, are found once. Tests must treat the key files as
read-only; a test that needs a key of its own makes one with :func:`make_ssh_key` or
:func:`make_age_key`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PASSPHRASE = "correct horse battery staple"


@dataclass(frozen=True)
class Key:
    """A key pair on disk: ``private`` is an identity file (mode 0600), ``public`` the
    file holding its recipient, ``public_text`` that recipient as one line (what a
    secrets.nix binds; an SSH key's comment included)."""

    name: str
    kind: str  # "ed25519", "rsa", ... (ssh-keygen's -t), or "x25519" (age-keygen)
    private: Path
    public: Path
    public_text: str

    @property
    def ssh(self) -> bool:
        return self.kind != "x25519"


@dataclass(frozen=True)
class _Spec:
    kind: str
    bits: int | None = None
    comment: str | None = None
    passphrase: str = ""
    pem: bool = False


# name -> how it is made. The names are what tests index ``keys`` with.
SPECS: Mapping[str, _Spec] = {
    # Of every shape age reads (the age-layer tests).
    "ed25519": _Spec("ed25519", comment="alice@laptop"),
    "rsa2048": _Spec("rsa", bits=2048, comment="bob"),
    "rsa3072": _Spec("rsa", bits=3072),
    "rsa4096": _Spec("rsa", bits=4096, comment=""),
    "rsa-pem": _Spec("rsa", bits=2048, pem=True),
    "ed25519-pass": _Spec("ed25519", passphrase=PASSPHRASE),
    "x25519": _Spec("x25519"),
    # People and hosts of a secrets folder.
    "alice": _Spec("ed25519", comment="alice@test"),
    "bob": _Spec("ed25519", comment="bob@test"),
    "carol": _Spec("ed25519", comment="carol@test"),
    "host": _Spec("x25519"),
    "host2": _Spec("x25519"),
    # An admin and a server key with no comment (a secrets.nix line is then exactly
    # "ssh-ed25519 AAAA…").
    "admin": _Spec("ed25519", comment=""),
    "server": _Spec("ed25519", comment=""),
}


def _paths(folder: Path, name: str, kind: str) -> tuple[Path, Path]:
    if kind == "x25519":
        return folder / f"{name}.key", folder / f"{name}.pub"
    return folder / name, folder / f"{name}.pub"


def _load(folder: Path, name: str, kind: str) -> Key:
    private, public = _paths(folder, name, kind)
    return Key(name, kind, private, public, public.read_text().strip())


def _ssh_keygen_args(ssh_keygen: str, path: Path, spec: _Spec) -> list[str]:
    args = [ssh_keygen, "-q", "-t", spec.kind, "-N", spec.passphrase, "-f", str(path)]
    if spec.bits:
        args += ["-b", str(spec.bits)]
    if spec.comment is not None:
        args += ["-C", spec.comment]
    if spec.pem:
        args += ["-m", "PEM"]
    return args


def _age_keygen(age_keygen: str, private: Path, public: Path) -> None:
    subprocess.run([age_keygen, "-o", str(private)], check=True, capture_output=True)
    recipient = subprocess.run(
        [age_keygen, "-y", str(private)], check=True, capture_output=True, text=True
    ).stdout
    public.write_text(recipient)


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
) -> Key:
    """A new SSH key pair ``folder/name`` (and ``name.pub``), made by ssh-keygen."""
    spec = _Spec(keytype, bits=bits, comment=comment, passphrase=passphrase, pem=pem)
    args = _ssh_keygen_args(ssh_keygen, folder / name, spec)
    subprocess.run(args, check=True, capture_output=True)
    return _load(folder, name, keytype)


def make_age_key(age_keygen: str, folder: Path, name: str) -> Key:
    """A new X25519 identity ``folder/name.key`` (recipient in ``name.pub``), by age-keygen."""
    private, public = _paths(folder, name, "x25519")
    _age_keygen(age_keygen, private, public)
    return _load(folder, name, "x25519")


def _make_all(folder: Path, ssh_keygen: str, age_keygen: str) -> None:
    """Every key of SPECS in ``folder``: the ssh-keygen runs side by side (the RSA prime
    searches are the cost), the age-keygen ones meanwhile."""
    running = []
    for name, spec in SPECS.items():
        if spec.kind != "x25519":
            args = _ssh_keygen_args(ssh_keygen, folder / name, spec)
            running.append(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    for name, spec in SPECS.items():
        if spec.kind == "x25519":
            _age_keygen(age_keygen, *_paths(folder, name, spec.kind))
    for process in running:
        out, err = process.communicate()
        if process.returncode != 0:
            raise subprocess.CalledProcessError(process.returncode, process.args, out, err)
    for name, spec in SPECS.items():
        private, _ = _paths(folder, name, spec.kind)
        private.chmod(0o600)


def shared_keys(base: Path, ssh_keygen: str, age_keygen: str) -> dict[str, Key]:
    """The keys of SPECS in ``base/keys``, made there by the first caller of this pytest
    run (``base`` is shared by the xdist workers); the others wait on the lock, then read."""
    folder = base / "keys"
    with (base / "keys.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / "made.json"
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir(mode=0o700)
            _make_all(folder, ssh_keygen, age_keygen)
            done.write_text(json.dumps(sorted(SPECS)) + "\n")
    made = {name: _load(folder, name, spec.kind) for name, spec in SPECS.items()}
    for key in made.values():
        assert stat.S_IMODE(key.private.stat().st_mode) == 0o600, key.private
    return made


def current_umask() -> int:
    """The process umask (read by setting it, then put back)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return umask
