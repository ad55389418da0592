"""Benchmark: the rotation check over a history of 1,000 commits × 500 secrets.

The repository is built with `git fast-import` (real age files, encrypted by agepy):
  - commit 1: secrets.nix (alice, bob, carol: ssh-ed25519; host1: X25519) and 500 secrets
    for all four;
  - commits 2…N: each re-encrypts 2 secrets (a new value, as people edit them);
  - at N/3 bob is removed and all 500 are rekeyed; at 2N/3 host1 (X25519: found only
    through that era's secrets.nix) is removed and all 500 rekeyed again.
Timed (best of R rounds where it makes sense):
  - first scan: no cache (agepy's cache file removed), library call, today's rules loaded;
  - cached scan: the same call again (same HEAD);
  - `agepy check` CLI, first and cached (process start-up and secrets.nix included);
  - baseline: what a script without agepy would do, per commit `git ls-tree -r` and the
    header of every .age blob through one `git cat-file --batch` (no cache): timed over
    S commits and extrapolated to all of them.
Targets (2 cores): first scan < 10 s, cached < 0.5 s.

Usage: .venv/bin/python bench/bench_history.py [--commits N] [--secrets M] [--sample S]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import compile_agepy

from agepy.age import parse_header
from agepy.store import Store
from agepy.store.history import scan_history
from agepy.store.rotation import exposure_report

NAMES = ("alice", "bob", "carol", "host1")
GIT_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def keygen(folder: Path) -> dict[str, str]:
    publics = {}
    for name in NAMES[:3]:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(folder / name)],
            check=True,
        )
        publics[name] = (folder / f"{name}.pub").read_text().strip()
    out = subprocess.run(
        ["age-keygen", "-o", str(folder / "host1.key")], capture_output=True, text=True, check=True
    )
    publics["host1"] = out.stderr.strip().split(": ")[1]
    return publics


def rules_text(publics: dict[str, str], members: list[str], files: list[str]) -> bytes:
    lines = ["let"] + [f'  {n} = "{publics[n]}";' for n in NAMES if n in members]
    lines += ["  all = [ " + " ".join(members) + " ];", "in", "{"]
    lines += [f'  "{f}".publicKeys = all;' for f in files]
    return ("\n".join(lines) + "\n}\n").encode()


def era_store(folder: Path, text: bytes) -> Store:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "secrets.nix").write_bytes(text)
    return Store(folder / "secrets.nix")


def build(repo: Path, commits: int, count: int, keys: Path) -> None:
    publics = keygen(keys)
    files = [f"secret-{i:04}.age" for i in range(count)]
    eras = [list(NAMES), ["alice", "carol", "host1"], ["alice", "carol"]]
    texts = [rules_text(publics, members, files) for members in eras]
    stores = [era_store(keys / f"era{i}", t) for i, t in enumerate(texts)]
    rng = random.Random(7)
    stream = bytearray()

    def blob_line(path: str, data: bytes) -> None:
        stream.extend(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

    def encrypted(era: int, name: str) -> bytes:
        store = stores[era]
        return store.encrypt_secret(store.secret(name), os.urandom(24).hex().encode())

    for number in range(1, commits + 1):
        era = 0 if number <= commits // 3 else 1 if number <= 2 * commits // 3 else 2
        when = 1_780_000_000 + number * 3600
        message = f"commit {number}".encode()
        stream.extend(b"commit refs/heads/main\n")
        stream.extend(f"committer bench <bench@example.invalid> {when} +0000\n".encode())
        stream.extend(f"data {len(message)}\n".encode() + message + b"\n")
        era_starts = number in (1, commits // 3 + 1, 2 * commits // 3 + 1)
        if era_starts:
            blob_line("secrets/secrets.nix", texts[era])
        for name in files if era_starts else rng.sample(files, 2):
            blob_line(f"secrets/{name}", encrypted(era, name))
        stream.extend(b"\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=GIT_ENV)
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo, input=bytes(stream), check=True, env=GIT_ENV
    )
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True, env=GIT_ENV)


def baseline(repo: Path, sample: int) -> tuple[float, int]:
    """Seconds for ``sample`` commits of the naive per-commit scan, and all commits."""
    ids = subprocess.run(
        ["git", "rev-list", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.split()
    start = time.perf_counter()
    for commit in ids[:sample]:
        listing = subprocess.run(
            ["git", "ls-tree", "-r", commit], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.splitlines()
        blobs = [line.split()[2] for line in listing if line.endswith(".age")]
        data = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=repo,
            input="".join(b + "\n" for b in blobs).encode(),
            capture_output=True,
            check=True,
        ).stdout
        pos = 0
        while pos < len(data):
            end = data.index(b"\n", pos)
            size = int(data[pos:end].split()[2])
            parse_header(data[end + 1 : end + 1 + size])
            pos = end + 2 + size
    return time.perf_counter() - start, len(ids)


def timed_cli(rules: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "agepy", "check", "-q", "--rules", str(rules)],
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--secrets", type=int, default=500)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    compile_agepy()
    with tempfile.TemporaryDirectory(prefix="agepy-bench-history-") as folder:
        root = Path(folder)
        repo = root / "repo"
        start = time.perf_counter()
        build(repo, args.commits, args.secrets, root)
        print(f"built {args.commits} commits × {args.secrets} secrets "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        rules = repo / "secrets" / "secrets.nix"
        cache = repo / ".git" / "agepy"
        store = Store(rules)
        start = time.perf_counter()
        store.rules  # noqa: B018 - today's rules, which check has loaded anyway
        rules_time = time.perf_counter() - start
        firsts = []
        for _ in range(args.rounds):
            shutil.rmtree(cache, ignore_errors=True)
            fresh = Store(rules)
            fresh.rules  # noqa: B018
            start = time.perf_counter()
            report = exposure_report(fresh)
            firsts.append(time.perf_counter() - start)
        first = min(firsts)
        scan = scan_history(store)
        cached_times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            exposure_report(store)
            cached_times.append(time.perf_counter() - start)
        cached = min(cached_times)
        shutil.rmtree(cache, ignore_errors=True)
        cli_first = timed_cli(rules)
        cli_cached = min(timed_cli(rules) for _ in range(args.rounds))
        naive, total = baseline(repo, args.sample)
        naive_all = naive / args.sample * total
        print(f"versions found: {len(scan.versions)}, exposures: {len(report.exposures)} "
              f"({len(report.secrets)} secrets), past secrets.nix evaluated: "
              f"{report.scan.evaluations}")  # fmt: skip
        print(f"today's secrets.nix (load, not in the scan times): {rules_time:.2f} s")
        print(f"first scan (library, no cache): {first:.2f} s   target < 10 s")
        print(f"cached scan (library):          {cached * 1000:.0f} ms   target < 500 ms")
        print(f"agepy check CLI: first {cli_first:.2f} s, cached {cli_cached:.2f} s")
        print(f"baseline, per-commit ls-tree + headers: {naive:.2f} s for {args.sample} "
              f"commits, ≈ {naive_all:.1f} s for {total}")  # fmt: skip
        print(f"ratio baseline / first scan: {naive_all / first:.1f}×, "
              f"baseline / cached scan: {naive_all / cached:.0f}×")  # fmt: skip


if __name__ == "__main__":
    main()
