"""Benchmark: agepy keyscan vs ssh-keyscan over the same 200 loopback endpoints.

Starts 13 throwaway sshd processes (agepy.demo.sshd) that together listen on 200 loopback
addresses (127.0.1.1 … 127.0.1.200; sshd takes at most 16 listen sockets each) on one
port, then scans all of them for ed25519 and rsa keys (400 key exchanges) with:
  - ssh-keyscan -f FILE -p PORT -t ed25519,rsa    (what a user would run instead)
  - agepy.hosts.keyscan(...)                  (the library call, in-process)
  - agepy keyscan -f … (the CLI, one process, import time included)
Runs each a few times, checks that both find the same key lines, and prints the best
wall time of each with the ratio to ssh-keyscan (target: agepy within 1.5x).

Usage: .venv/bin/python bench/bench_keyscan.py [--endpoints N] [--rounds R]
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import compile_agepy

from agepy.demo.sshd import Sshd, free_port
from agepy.hosts import keyscan

PER_SSHD = 16  # sshd's MAX_LISTEN_SOCKS


def _whole(line: str) -> bool:
    """A complete ``host type base64`` line (the key decodes and is a valid key)."""
    from agepy.age.recipients import parse_recipient
    from agepy.errors import RecipientError

    try:
        parse_recipient(line.split(" ", 1)[1])
    except (RecipientError, IndexError):
        return False
    return True


def main() -> int:
    compile_agepy()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ok = True
    for title, extra in SCENARIOS:
        print(f"\n== {title}")
        ok = scenario(args.endpoints, args.rounds, extra) and ok
    return 0 if ok else 1


# ssh-keyscan offers sntrup761x25519 first (post-quantum, ~50 ms of client CPU per
# connection here); asyncssh has no sntrup761 without liboqs, so it takes curve25519.
# The second run makes the server offer curve25519 only, so both do the same work.
SCENARIOS: list[tuple[str, list[str]]] = [
    ("sshd with OpenSSH's default key exchanges", []),
    (
        "sshd offering curve25519-sha256 only (same key exchange for both)",
        ["KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org"],
    ),
]


def scenario(endpoints: int, rounds: int, extra: list[str]) -> bool:

    addresses = [f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(endpoints)]
    port = free_port("127.0.1.1")
    with contextlib.ExitStack() as stack:
        started = time.perf_counter()
        for first in range(0, len(addresses), PER_SSHD):
            group = addresses[first : first + PER_SSHD]
            stack.enter_context(Sshd(addresses=group, ports=(port,), extra_config=extra))
        setup = time.perf_counter() - started
        print(
            f"{len(addresses)} endpoints on port {port}, "
            f"{(len(addresses) + PER_SSHD - 1) // PER_SSHD} sshd, started in {setup:.1f}s"
        )

        hosts_file = Path(tempfile.mkdtemp()) / "hosts"
        hosts_file.write_text("".join(f"{a}\n" for a in addresses))
        targets = [f"{a}:{port}" for a in addresses]
        cli = [sys.executable, "-m", "agepy", "keyscan", "-T", "10", *targets]

        def run_ssh_keyscan() -> list[str]:
            result = subprocess.run(
                [
                    "ssh-keyscan",
                    "-T",
                    "10",
                    "-p",
                    str(port),
                    "-t",
                    "ed25519,rsa",
                    "-f",
                    str(hosts_file),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode < 0:
                deaths.append(f"killed by signal {-result.returncode}")
            # A run that dies mid-write leaves a cut last line: keep only whole keys.
            return sorted(line for line in result.stdout.splitlines() if _whole(line))

        def run_api() -> list[str]:
            results = keyscan(targets, timeout=10.0)
            return sorted(line for r in results for line in r.lines())

        def run_cli() -> list[str]:
            result = subprocess.run(cli, capture_output=True, text=True, check=False)
            return sorted(result.stdout.splitlines())

        deaths: list[str] = []
        timings: dict[str, list[float]] = {"ssh-keyscan": [], "agepy API": [], "agepy CLI": []}
        found: dict[str, list[set[str]]] = {name: [] for name in timings}
        runners = {"ssh-keyscan": run_ssh_keyscan, "agepy API": run_api, "agepy CLI": run_cli}
        for _ in range(rounds):
            for name, runner in runners.items():
                t0 = time.perf_counter()
                lines = runner()
                timings[name].append(time.perf_counter() - t0)
                found[name].append(set(lines))  # "[address]:port type base64" lines

    expected = 2 * len(addresses)
    print(f"\n{'tool':<14} {'best s':>8} {'median s':>9} {'keys found':>12} {'ratio':>7}")
    base = min(timings["ssh-keyscan"])
    for name, values in timings.items():
        counts = sorted(len(keys) for keys in found[name])
        span = f"{counts[0]}" if counts[0] == counts[-1] else f"{counts[0]}-{counts[-1]}"
        values.sort()
        print(
            f"{name:<14} {values[0]:>8.3f} {values[len(values) // 2]:>9.3f} "
            f"{span + '/' + str(expected):>12} {values[0] / base:>6.2f}x"
        )
    complete = all(len(keys) == expected for n in ("agepy API", "agepy CLI") for keys in found[n])
    agree = all(keys <= found["agepy API"][0] for keys in found["ssh-keyscan"])
    print(f"agepy found every key: {complete}; every key ssh-keyscan found, agepy found: {agree}")
    if deaths:
        print(f"ssh-keyscan died in {len(deaths)} of {rounds} rounds ({', '.join(set(deaths))})")
    if any(len(keys) < expected for keys in found["ssh-keyscan"]):
        print("ssh-keyscan missed keys: timeouts while busy with key exchanges, or it died")
    return complete and agree


if __name__ == "__main__":
    raise SystemExit(main())
