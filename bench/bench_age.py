"""Benchmark: `agepy encrypt/decrypt` against `age -e/-d` on one large file.

Usage: .venv/bin/python bench/bench_age.py [SIZE] [--runs N] [--dir DIR]
SIZE like 1G (default), 256M, 10M. Both tools run as child processes on the same
ssh-ed25519 key and plaintext; peak RSS is each child's own (wait4 rusage).
Targets: agepy >= 0.9x age's throughput, peak RSS < 64 MiB.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import compile_agepy

CHUNK = 1 << 20


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("IB").removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def run(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + sys) and peak RSS (bytes) of one child process.

    Peak RSS comes from GNU time when installed: wait4's figure for a child forked from
    this Python process can include the pre-exec copy of the parent.
    """
    gnu_time = Path("/usr/bin/time")
    prefix = [str(gnu_time), "-f", "maxrss=%M"] if gnu_time.exists() else []
    start = time.perf_counter()
    process = subprocess.Popen([*prefix, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(args)}\n{stderr}")
    for line in stderr.splitlines():
        if line.startswith("maxrss="):
            return elapsed, cpu, int(line.removeprefix("maxrss=")) * 1024
    return elapsed, cpu, usage.ru_maxrss * 1024  # ru_maxrss is in KiB on Linux


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    compile_agepy()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="?", default="1G", help="plaintext size (default 1G)")
    parser.add_argument("--runs", type=int, default=2, help="runs per measurement; best kept")
    parser.add_argument("--dir", default=None, help="folder for the temp files")
    options = parser.parse_args()
    size = parse_size(options.size)
    age = shutil.which("age")
    keygen = shutil.which("ssh-keygen")
    if not age or not keygen:
        sys.exit("needs age and ssh-keygen (Debian: apt install age openssh-client)")
    agepy = [sys.executable, "-m", "agepy"]

    with tempfile.TemporaryDirectory(dir=options.dir, prefix="bench-age-") as folder:
        tmp = Path(folder)
        key = tmp / "id_ed25519"
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        plain = tmp / "plain"
        with plain.open("wb") as handle:
            remaining = size
            while remaining:
                handle.write(os.urandom(min(CHUNK, remaining)))
                remaining -= min(CHUNK, remaining)
        expected = sha256(plain)
        pub = f"{key}.pub"
        jobs = {
            ("encrypt", "age"): [age, "-e", "-R", pub, "-o", str(tmp / "a.age"), str(plain)],
            ("encrypt", "agepy"): [
                *agepy,
                "encrypt",
                "-R",
                pub,
                "-o",
                str(tmp / "p.age"),
                str(plain),
            ],
            ("decrypt", "age"): [
                age,
                "-d",
                "-i",
                str(key),
                "-o",
                str(tmp / "a.out"),
                str(tmp / "p.age"),
            ],
            ("decrypt", "agepy"): [
                *agepy,
                "decrypt",
                "-i",
                str(key),
                "-o",
                str(tmp / "p.out"),
                str(tmp / "a.age"),
            ],
        }
        results: dict[tuple[str, str], tuple[float, float, int]] = {}
        for _ in range(options.runs):
            for job, args in jobs.items():
                # Both tools start from no output file: freeing the previous 1 GiB is
                # the file system's work, not the tool's.
                Path(args[args.index("-o") + 1]).unlink(missing_ok=True)
                wall, cpu, rss = run(args)
                if job in results:
                    best = results[job]
                    wall, cpu, rss = min(wall, best[0]), min(cpu, best[1]), max(rss, best[2])
                results[job] = (wall, cpu, rss)
        # Each tool decrypted the other's output: both directions interoperate.
        assert sha256(tmp / "a.out") == expected and sha256(tmp / "p.out") == expected

    mib = size / (1 << 20)
    print(f"age vs agepy, {mib:.0f} MiB plaintext, ssh-ed25519, best of {options.runs}")
    print("(CPU = user + sys of the child: steadier than wall time on a busy machine)")
    header = f"{'op':8} {'tool':6} {'wall s':>7} {'MiB/s':>6} {'vs age':>7}"
    print(f"{header} {'CPU s':>6} {'vs age':>7} {'peak RSS':>9}")
    for op in ("encrypt", "decrypt"):
        base_wall, base_cpu, _ = results[(op, "age")]
        for tool in ("age", "agepy"):
            wall, cpu, rss = results[(op, tool)]
            print(
                f"{op:8} {tool:6} {wall:7.2f} {mib / wall:6.0f} {base_wall / wall:6.2f}x"
                f" {cpu:6.2f} {base_cpu / cpu:6.2f}x {rss / (1 << 20):7.1f}Mi"
            )


if __name__ == "__main__":
    main()
