"""Benchmark: `agepy generate` against the manual commands it replaces.

Usage: .venv/bin/python bench/bench_generate.py [--runs N]
Rows (best of N wall times, child processes on a throwaway repository):
  password-hash  `agepy generate pw.age --kind password-hash` vs `mkpasswd -m sha-512 P > F`,
                 `age -e -R host.pub -o pw.age F`, `rm F` (agenix -e stands in as age)
  wireguard      `agepy generate wg.age --kind wireguard` vs `wg genkey > F`, `age -e …`,
                 `rm F`
  sha-crypt      agepy's SHA-512 crypt (on cryptography) vs glibc's crypt(3), per hash
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from _setup import best, compile_agepy

from agepy.generators.sha_crypt import new_salt, sha512_crypt

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

BIN = Path(sys.executable).parent


def sh(*argv: str | Path, cwd: Path | None = None, stdout: Path | None = None) -> None:
    if stdout is None:
        subprocess.run([str(a) for a in argv], check=True, capture_output=True, cwd=cwd)
        return
    with stdout.open("wb") as out:
        subprocess.run([str(a) for a in argv], check=True, stdout=out, cwd=cwd)


def main() -> None:
    compile_agepy()
    os.umask(0o077)  # as a careful admin runs wg genkey (it warns otherwise)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement; best kept")
    options = parser.parse_args()
    for tool in ("mkpasswd", "wg", "age", "ssh-keygen"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed for this benchmark")
    agepy = BIN / "agepy"

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", root / "host")
        host = " ".join((root / "host.pub").read_text().split()[:2])
        (root / "secrets.nix").write_text(
            f'let host = "{host}"; in {{ "pw.age".publicKeys = [ host ];'
            ' "wg.age".publicKeys = [ host ]; }\n'
        )
        plain = root / "plain"

        def clean() -> None:
            for name in ("pw.age", "wg.age", "plain"):
                (root / name).unlink(missing_ok=True)

        def manual(make: list[str], secret: str) -> Callable[[], None]:
            def run() -> None:
                sh(*make, stdout=plain)
                sh("age", "-e", "-R", root / "host.pub", "-o", root / secret, plain)
                plain.unlink()

            return run

        def ours(kind: str, secret: str) -> Callable[[], None]:
            return lambda: sh(agepy, "generate", secret, "--kind", kind, "-q", cwd=root)

        password = "correct-horse-battery"
        rows = [
            (
                "password-hash",
                best(
                    options.runs, manual(["mkpasswd", "-m", "sha-512", password], "pw.age"), clean
                ),
                best(options.runs, ours("password-hash", "pw.age"), clean),
            ),
            (
                "wireguard",
                best(options.runs, manual(["wg", "genkey"], "wg.age"), clean),
                best(options.runs, ours("wireguard", "wg.age"), clean),
            ),
        ]
    salt = new_salt()
    calls = 50
    theirs = best(3, lambda: [crypt.crypt(password, f"$6${salt}") for _ in range(calls)]) / calls
    mine = best(3, lambda: [sha512_crypt(password, salt) for _ in range(calls)]) / calls
    rows.append(("sha-crypt", theirs, mine))

    print(f"{'task':<15}{'manual (s)':>12}{'agepy (s)':>12}{'agepy/manual':>14}")
    for name, manual_time, agepy_time in rows:
        ratio = agepy_time / manual_time
        print(f"{name:<15}{manual_time:>12.4f}{agepy_time:>12.4f}{ratio:>13.2f}x")


if __name__ == "__main__":
    main()
