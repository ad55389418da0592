"""Benchmark: agepy's Matrix secrets against the walkthrough's manual commands.

Usage: .venv/bin/python bench/bench_matrix.py [--runs N]
Rows (best of N wall times, child processes on a throwaway repository):
  token         `agepy generate token`   vs `openssl rand -hex 16`
  registration  `agepy encrypt heisenbridge-config` (generate + encrypt, no plaintext
                on disk) vs `heisenbridge --generate-compat -c F` then `age -e -R … F`
                then `rm F` (the walkthrough, with age standing in for agenix -e)
  in-process    agepy.matrix.generate_registration() per call (for scale)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import best, compile_agepy

BIN = Path(sys.executable).parent


def sh(*argv: str | Path, cwd: Path | None = None) -> None:
    subprocess.run([str(a) for a in argv], check=True, capture_output=True, cwd=cwd)


def main() -> None:
    compile_agepy()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement; best kept")
    options = parser.parse_args()
    for tool in ("openssl", "age", "ssh-keygen"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed for this benchmark")
    agepy, heisenbridge = BIN / "agepy", BIN / "heisenbridge"

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", root / "host")
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", root / "admin")
        host = " ".join((root / "host.pub").read_text().split()[:2])
        rules = root / "secrets.nix"
        rules.write_text(
            f'let matrix = "{host}"; in {{ "heisenbridge-config.age".publicKeys = [ matrix ]; }}\n'
        )
        secret = root / "heisenbridge-config.age"
        plain = root / "heisenbridge-cfg.yml"

        def clean() -> None:
            secret.unlink(missing_ok=True)
            plain.unlink(missing_ok=True)

        def manual() -> None:
            sh(heisenbridge, "--generate-compat", "-c", plain)
            sh("age", "-e", "-R", root / "host.pub", "-o", secret, plain)
            plain.unlink()

        def ours() -> None:
            sh(agepy, "encrypt", "heisenbridge-config", "-q", "--rules", rules, cwd=root)

        rows = [
            (
                "token",
                best(options.runs, lambda: sh("openssl", "rand", "-hex", "16")),
                best(options.runs, lambda: sh(agepy, "generate", "token")),
            ),
            ("registration", best(options.runs, manual, clean), best(options.runs, ours, clean)),
        ]
        from agepy.matrix import generate_registration

        calls = 1000
        start = time.perf_counter()
        for _ in range(calls):
            generate_registration()
        per_call = (time.perf_counter() - start) / calls

    print(f"{'task':<14}{'manual (s)':>12}{'agepy (s)':>12}{'agepy/manual':>14}")
    for name, theirs, mine in rows:
        print(f"{name:<14}{theirs:>12.3f}{mine:>12.3f}{mine / theirs:>13.2f}x")
    print(f"{'in-process':<14}{'':>12}{per_call:>12.6f}{'(per call)':>14}")


if __name__ == "__main__":
    main()
