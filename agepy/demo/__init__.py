"""``agepy demo``: the Matrix + Heisenbridge walkthrough, played end to end.

Everything happens in a temporary copy of ``secrets.example/`` with a temporary HOME
(the example admin key as ``~/.ssh/id_ed25519``), so nothing of the user's is read or
changed. Each step runs the real command line in a subprocess and prints it as the user
would type it, then checks what it answered.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from agepy.age.recipients import key_canonical
from agepy.demo.sshd import SSHD, Sshd
from agepy.errors import AgepyError, HostError

__all__ = ["DemoError", "example_dir", "run_demo"]

SERVER_NAME = "example.com"
# The walkthrough's starting point: the admin and an existing backup host, no Matrix yet.
START_RULES = """\
# agepy demo: the repository before the Matrix setup. PUBLIC TEST KEYS only.
let
  # People who may read and edit the secrets.
  alice = "{alice}";
  users = [ alice ];

  # Hosts.
  backup = "{backup}";
in
{{
  # restic's repository password, for the backup host only.
  "restic-password.age".publicKeys = users ++ [ backup ];
}}
"""


class DemoError(AgepyError):
    """A demo step did not give the outcome it should have."""


def example_dir() -> Path:
    """The example repository the demo starts from: package data, so the demo also runs
    from an installed wheel (``secrets.example/`` of a checkout links to it)."""
    found = Path(__file__).resolve().parent / "example"
    if not (found / "secrets.nix").is_file():
        raise DemoError(
            f"the demo's example repository is missing ({found})",
            hint="reinstall agepy: its package data is incomplete",
        )
    return found


@dataclass
class Demo:
    """The state of one demo run: its folders, environment, and printer."""

    root: Path
    say: Callable[[str], None]
    repo: Path = field(init=False)
    home: Path = field(init=False)
    env: dict[str, str] = field(init=False)
    step_number: int = 0

    def __post_init__(self) -> None:
        self.repo = self.root / "secrets"
        self.home = self.root / "home"
        env = dict(os.environ)
        for name in ("AGENIX_RULES", "RULES", "VISUAL", "EDITOR", "AGEPY_DEBUG"):
            env.pop(name, None)
        env.update(HOME=str(self.home), NO_COLOR="1", PYTHONUNBUFFERED="1")
        self.env = env

    def step(self, title: str) -> None:
        self.step_number += 1
        self.say(f"\n== {self.step_number}. {title}")

    def ok(self, message: str) -> None:
        self.say(f"   ok: {message}")

    def agepy(self, *args: str, stdin: str | None = None) -> str:
        """Run `agepy ARGS` in the repository, print it and its answer, return stdout."""
        return self.run(["agepy", *args], stdin=stdin)

    def run(self, argv: Sequence[str], *, stdin: str | None = None, show: bool = True) -> str:
        shown = " ".join(shlex.quote(a) for a in argv)
        real = [sys.executable, "-m", "agepy", *argv[1:]] if argv[0] == "agepy" else list(argv)
        if show:
            self.say(f"$ {shown}")
        result = subprocess.run(
            real,
            cwd=self.repo,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if show:
            for line in (result.stdout + result.stderr).rstrip().splitlines():
                self.say(f"  {line}")
        if result.returncode != 0:
            raise DemoError(
                f"`{shown}` failed with exit code {result.returncode}",
                hint="rerun ./run demo; report it if it fails again",
            )
        return result.stdout

    def decrypts(self, identity: Path, name: str) -> bool:
        """Does ``identity`` open ``name``? (`age -d`, or agepy when age is missing.)"""
        if shutil.which("age"):
            argv = ["age", "-d", "-i", str(identity), name]
        else:
            argv = [sys.executable, "-m", "agepy", "decrypt", "-i", str(identity), name]
        result = subprocess.run(
            argv, cwd=self.repo, env=self.env, capture_output=True, check=False, timeout=60
        )
        return result.returncode == 0


def _prepare(demo: Demo) -> None:
    example = example_dir()
    shutil.copytree(example, demo.repo)
    keys = demo.repo / "keys"
    ssh = demo.home / ".ssh"
    ssh.mkdir(parents=True, mode=0o700)
    shutil.copy(keys / "alice", ssh / "id_ed25519")
    shutil.copy(keys / "alice.pub", ssh / "id_ed25519.pub")
    (ssh / "id_ed25519").chmod(0o600)

    def public(name: str) -> str:
        return key_canonical((keys / f"{name}.pub").read_text())

    # Back to the walkthrough's starting point: no matrix host and no Matrix secrets yet.
    for name in ("heisenbridge-config.age", "conduit-env.age", "agepy.toml"):
        (demo.repo / name).unlink(missing_ok=True)
    (demo.repo / "secrets.nix").write_text(
        START_RULES.format(
            alice=public("alice") + " alice@laptop",
            backup=public("backup_ssh_host_ed25519_key"),
        )
    )


@contextlib.contextmanager
def _server(demo: Demo) -> Iterator[object | None]:
    """A throwaway sshd for matrix.example.com, or None when none can be started."""

    try:
        # AGEPY_SSHD: where sshd lives when it is not /usr/sbin/sshd (NixOS, macOS).
        server = Sshd(key_types=("rsa",), sshd=os.environ.get("AGEPY_SSHD", SSHD))
    except HostError as exc:
        demo.say(f"   (no sshd: {exc.message}; using the example's recorded host key)")
        yield None
        return
    try:
        server.start()
    except HostError as exc:
        demo.say(f"   (sshd could not start: {exc.message}; using the recorded host key)")
        server.close()
        yield None
        return
    try:
        yield server
    finally:
        server.close()


def _new_rsa_key(path: Path) -> Path:
    """A fresh RSA key pair at ``path`` and ``path``.pub (OpenSSH format, no passphrase)."""

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    path.write_bytes(private)
    path.chmod(0o600)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    path.with_name(path.name + ".pub").write_bytes(public + b"\n")
    return path


def _play(demo: Demo) -> None:
    _prepare(demo)
    demo.say(f"A copy of secrets.example/ in {demo.repo}, HOME={demo.home}")
    demo.agepy("list")

    demo.step("a throwaway sshd on 127.0.0.1 stands in for matrix.example.com")
    with _server(demo) as server:
        if server is not None:
            assert isinstance(server, Sshd)
            demo.ok(f"sshd listening on 127.0.0.1:{server.port} with a fresh RSA host key")
            host_key: Path = server.host_key_path("rsa")
            target = f"127.0.0.1:{server.port}"
        else:
            host_key = demo.repo / "keys" / "matrix_ssh_host_rsa_key"
            target = "matrix.example.com"

        demo.step("agepy add-host: keyscan, fingerprint, secrets.nix")
        if server is not None:
            demo.agepy("add-host", "matrix", target, "--type", "rsa", "--yes")
        else:
            demo.agepy(
                "add-host", "matrix", target, "--key-file", f"keys/{host_key.name}.pub", "--yes"
            )
        if "matrix = " not in (demo.repo / "secrets.nix").read_text():
            raise DemoError("add-host did not add `matrix = …;` to secrets.nix")
        demo.ok("secrets.nix now binds matrix to the host's key; agepy.toml records it")

        demo.step("the Matrix secrets: Conduit's token, Heisenbridge's registration")
        demo.agepy("encrypt", "conduit-registration-token", "--host", "matrix")
        demo.agepy("encrypt", "heisenbridge-config", "--host", "matrix")
        message = demo.agepy(
            "show", "heisenbridge-config", "--register-command", "--server-name", SERVER_NAME
        )
        lines = message.splitlines()
        if lines[:2] != [f"@conduit:{SERVER_NAME}: register-appservice", "```"] or (
            lines[-1] != "```"
        ):
            raise DemoError("the Conduit admin-room command is not in Conduit's format")
        demo.ok("paste that message into Conduit's admin room")

        demo.step("agepy check; the host decrypts both secrets with `age -d`")
        demo.agepy("check")
        secrets = ["heisenbridge-config.age", "conduit-env.age"]
        for name in secrets:
            if not demo.decrypts(host_key, name):
                raise DemoError(f"the matrix host key does not decrypt {name}")
            demo.ok(f"age -d -i <matrix host key> {name}: decrypts")

        demo.step("the host is reinstalled: new host keys; agepy rescan rekeys")
        old_key = demo.root / "old_host_key"
        shutil.copy(host_key, old_key)
        restic_before = (demo.repo / "restic-password.age").read_bytes()
        if server is not None:
            server.reinstall()
            demo.ok("sshd restarted with new host keys")
            new_key = server.host_key_path("rsa")
            demo.agepy("rescan", "matrix", "--yes")
        else:
            new_key = _new_rsa_key(demo.root / "new_host_key")
            demo.ok("a new RSA host key, as the reinstalled host would have")
            demo.agepy("rescan", "matrix", "--key-file", f"../{new_key.name}.pub", "--yes")
        for name in secrets:
            if demo.decrypts(old_key, name):
                raise DemoError(f"the old host key still decrypts {name}")
            if not demo.decrypts(new_key, name):
                raise DemoError(f"the new host key does not decrypt {name}")
        demo.ok("the old host key decrypts nothing, the new one both secrets")
        if (demo.repo / "restic-password.age").read_bytes() != restic_before:
            raise DemoError("rescan touched a secret the host does not hold")
        demo.ok("restic-password.age, which matrix does not hold, is untouched")
        demo.agepy("check")

        demo.step("clean up")
    if server is not None:
        demo.ok("sshd stopped")


def run_demo(say: Callable[[str], None] = print, keep: bool = False) -> Path | None:
    """Play the walkthrough; return the folder when ``keep``, else remove everything."""
    root = Path(tempfile.mkdtemp(prefix="agepy-demo-"))
    demo = Demo(root=root, say=say)
    try:
        _play(demo)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    if keep:
        say(f"   kept: {root}")
        return root
    demo.ok(f"removed {root}")
    say("\nThe demo is over. Point agepy at your own repository with --rules PATH.")
    return None
