"""Benchmark: how long agepy's everyday commands take as whole processes, beside what an
agenix user runs instead.

On a small secrets folder (5 secrets to 2 ssh-ed25519 keys, on tmpfs), each command is run
--runs times (default 7) after one warm-up; the median wall and CPU time are printed, and
the ratio to its counterpart where there is one:
  - `agepy --help`                       vs `age --help`
  - `agepy decrypt -i KEY FILE`          vs `age -d -i KEY FILE`
  - `agepy -d NAME` (agenix's flag)      vs agenix's way: `nix-instantiate` of the rules
                                            for the entry, then `age -d`
  - `agepy check`                        vs `nix-instantiate --eval --strict --json`
                                            of secrets.nix (what agenix evaluates first)
  - `agepy rekey` (nothing stale)        vs the same `nix-instantiate`
  - `agepy list`                         (no counterpart)
A ratio over 1 means agepy takes longer. With --python DIR, agepy is imported from DIR
(another checkout), to compare two versions' start-up.

Usage: .venv/bin/python bench/bench_startup.py [--runs N] [--python DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import ROOT, compile_agepy, tmpfs_folder

SECRETS = ["a.age", "b.age", "c.age", "d.age", "e.age"]


def run_once(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys) of one child process; it must succeed."""
    start = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(args)}\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime


def median_of(args: list[str], cwd: Path, env: dict[str, str], runs: int) -> tuple[float, float]:
    run_once(args, cwd, env)  # warm-up: page cache, bytecode
    samples = [run_once(args, cwd, env) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def make_store(folder: Path, env: dict[str, str], agepy: list[str]) -> Path:
    """secrets.nix with 5 entries for alice and bob, each file encrypted by agepy."""
    for name in ("alice", "bob"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(folder / name)],
            check=True,
        )
    alice = (folder / "alice.pub").read_text().split()[:2]
    bob = (folder / "bob.pub").read_text().split()[:2]
    entries = "\n".join(f'  "{n}".publicKeys = keys;' for n in SECRETS)
    (folder / "secrets.nix").write_text(
        f'let\n  alice = "{" ".join(alice)}";\n  bob = "{" ".join(bob)}";\n'
        f"  keys = [ alice bob ];\nin\n{{\n{entries}\n}}\n"
    )
    for name in SECRETS:
        subprocess.run(
            [*agepy, "edit", name, "-i", str(folder / "alice")],
            cwd=folder,
            env=env,
            input=f"secret {name}\n".encode(),
            check=True,
            capture_output=True,
        )
    return folder / "alice"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="counted runs per command")
    parser.add_argument("--python", type=Path, help="import agepy from this checkout")
    options = parser.parse_args()
    for tool in ("age", "nix-instantiate", "ssh-keygen"):
        if shutil.which(tool) is None:
            sys.exit(f"bench_startup needs {tool} on PATH")
    compile_agepy()
    source = (options.python or ROOT).resolve()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(source / "agepy")], check=True)
    env = {**os.environ, "PYTHONPATH": str(source), "HOME": "/nonexistent"}
    agepy = [sys.executable, "-m", "agepy"]
    with tempfile.TemporaryDirectory(prefix="agepy-bench-startup-", dir=tmpfs_folder()) as temp:
        folder = Path(temp)
        key = make_store(folder, env, agepy)
        nix_eval = ["nix-instantiate", "--eval", "--strict", "--json", "secrets.nix"]
        entry_keys = [
            "nix-instantiate",
            "--eval",
            "--strict",
            "--json",
            "-E",
            f'(import {folder}/secrets.nix)."a.age".publicKeys',
        ]
        cases: list[tuple[str, list[str], list[list[str]] | None]] = [
            ("--help", [*agepy, "--help"], [["age", "--help"]]),
            (
                "decrypt -i KEY FILE",
                [*agepy, "decrypt", "-i", str(key), "a.age"],
                [["age", "-d", "-i", str(key), "a.age"]],
            ),
            (
                "-d NAME (agenix)",
                [*agepy, "-d", "a.age", "-i", str(key)],
                [entry_keys, ["age", "-d", "-i", str(key), "a.age"]],
            ),
            ("check", [*agepy, "check"], [nix_eval]),
            ("rekey (none stale)", [*agepy, "rekey", "-i", str(key)], [nix_eval]),
            ("list", [*agepy, "list"], None),
        ]
        print(f"median of {options.runs} runs, agepy from {source}, load {os.getloadavg()[0]:.1f}")
        print(f"{'command':<22} {'agepy wall':>10} {'cpu':>7} {'other wall':>11} {'ratio':>6}")
        for label, command, others in cases:
            wall, cpu = median_of(command, folder, env, options.runs)
            line = f"{label:<22} {wall:>9.3f}s {cpu:>6.3f}s"
            if others:
                other = sum(median_of(o, folder, env, options.runs)[0] for o in others)
                line += f" {other:>10.3f}s {wall / other:>6.2f}"
            print(line)


if __name__ == "__main__":
    main()
