"""Benchmark: rekey of 500 secrets × 6 recipients, agepy vs agenix-style vs bare pyrage.

agepy runs its own age engine; pyrage (rage) appears only as a baseline here.

One store of N secrets (default 500), each encrypted to 6 recipients (3 ssh-ed25519, 1
ssh-rsa 3072, 2 X25519), about 1 KiB each, decrypted with an ed25519 key. Timed, in one
run:
  - agenix-style: per file `nix-instantiate` for its keys, `age -d`, `age -e`, `mv` (the
    core of what `agenix -r` does), over all N files (with --sample S, over S files,
    extrapolated). agenix's script does more per file (a second `nix-instantiate` for
    `armor`, `jq`, two `mktemp -d`, `cp`, `mkdir -p`, `rm -rf`), so against agenix itself
    the ratios below are understated.
  - bare pyrage loop: read, pyrage.decrypt, pyrage.encrypt, write (no header checks, no
    atomic write, no rules): the floor.
  - agepy rekey --force: the library call (Store.rekey) and the CLI (one process,
    start-up and secrets.nix evaluation included).
  - agepy check: library call and CLI (headers only).
Two key sets: with one ssh-rsa 3072 recipient, and without.
Targets: agepy ≥ 30× faster than agenix-style, within 2× of the bare loop; check < 0.5 s.

Usage: .venv/bin/python bench/bench_store.py [--secrets N] [--sample S] [--rounds R] [--dir D]

Where the store lives matters: on this project's CI machine (ext4 mounted with `discard`)
creating, fsyncing and replacing each of 500 files costs 0.15-0.3 ms of kernel time, for
agepy and the baseline alike; so by default the store is in a temp folder on a tmpfs
(found in the mount table), which shows the cost of the work itself; --dir picks another
place.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyrage
from _setup import best, compile_agepy, tmpfs_folder

from agepy.store import Store
from agepy.store.parallel import default_jobs


def keygen(folder: Path, rsa: bool) -> tuple[list[str], Path]:
    """Six recipients' public keys, and the private key file of the first (alice)."""
    publics = []
    for name, kind in (
        ("alice", "ed25519"),
        ("bob", "ed25519"),
        ("backup", "ed25519"),
        ("matrix", "rsa" if rsa else "ed25519"),
    ):
        args = ["-t", kind] + (["-b", "3072"] if kind == "rsa" else [])
        subprocess.run(
            ["ssh-keygen", "-q", *args, "-N", "", "-C", name, "-f", str(folder / name)],
            check=True,
        )
        publics.append((folder / f"{name}.pub").read_text().strip())
    for _ in range(2):
        publics.append(str(pyrage.x25519.Identity.generate().to_public()))
    return publics, folder / "alice"


def make_store(folder: Path, publics: list[str], count: int) -> list[str]:
    names = ["alice", "bob", "backup", "matrix", "host1", "host2"]
    lines = ["let"] + [f'  {n} = "{k}";' for n, k in zip(names, publics, strict=True)]
    lines += ["  all = [ " + " ".join(names) + " ];", "in", "{"]
    files = [f"secret-{i:04}.age" for i in range(count)]
    lines += [f'  "{f}".publicKeys = all;' for f in files]
    (folder / "secrets.nix").write_text("\n".join(lines) + "\n}\n")
    store = Store(folder / "secrets.nix")
    payload = os.urandom(512).hex().encode()
    for name in files:
        store.write(name, payload)
    return files


def agenix_style(folder: Path, files: list[str], identity: Path) -> float:
    """What `agenix -r` does per file; returns seconds for these files."""
    work = Path(tempfile.mkdtemp(prefix="bench-agenix-", dir=folder.parent))
    env = dict(os.environ, RULES=str(folder / "secrets.nix"))
    began = time.perf_counter()
    for name in files:
        expr = f'(let rules = import ./secrets.nix; in rules."{name}".publicKeys)'
        keys = subprocess.run(
            ["nix-instantiate", "--json", "--eval", "--strict", "-E", expr],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        import json

        recipients = [a for k in json.loads(keys) for a in ("--recipient", k)]
        clear, out = work / "clear", work / "out"
        subprocess.run(
            ["age", "--decrypt", "--identity", str(identity), "-o", str(clear), name],
            cwd=folder,
            check=True,
        )
        subprocess.run(["age", *recipients, "-o", str(out)], stdin=clear.open("rb"), check=True)
        shutil.move(str(out), folder / name)
        clear.unlink()
    elapsed = time.perf_counter() - began
    shutil.rmtree(work)
    return elapsed


def bare_loop(folder: Path, files: list[str], identity: Path, publics: list[str]) -> None:
    ident = pyrage.ssh.Identity.from_buffer(identity.read_bytes())
    recipients = [
        pyrage.ssh.Recipient.from_str(k)
        if k.startswith("ssh-")
        else pyrage.x25519.Recipient.from_str(k)
        for k in publics
    ]
    for name in files:
        path = folder / name
        plaintext = pyrage.decrypt(path.read_bytes(), [ident])
        path.write_bytes(pyrage.encrypt(plaintext, recipients))


def main() -> int:
    compile_agepy()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=500)
    parser.add_argument("--sample", type=int, default=None, help="baseline on S files only")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--dir", help="where the store lives (default: a temp folder on a tmpfs, if any)"
    )
    args = parser.parse_args()
    if args.dir is None:
        args.dir = tmpfs_folder()  # only a fresh temp folder is made there
    ok = True
    for title, rsa in SCENARIOS:
        print(f"\n== {title}")
        ok = scenario(args, rsa) and ok
    return 0 if ok else 1


# rage's ssh-rsa is slow (about 1 ms to wrap, and about 1 ms more to decrypt any file
# that has an ssh-rsa stanza, even with an ed25519 key), so it sets the floor.
SCENARIOS = [
    ("3 ssh-ed25519 + 1 ssh-rsa 3072 (like the walkthrough's host) + 2 X25519", True),
    ("4 ssh-ed25519 + 2 X25519", False),
]


def scenario(args: argparse.Namespace, rsa: bool) -> bool:
    with tempfile.TemporaryDirectory(prefix="bench-store-", dir=args.dir) as tmp:
        folder = Path(tmp)
        publics, identity = keygen(folder, rsa)
        files = make_store(folder, publics, args.secrets)
        n = len(files)
        rules = folder / "secrets.nix"
        agepy_cli = [sys.executable, "-m", "agepy"]
        cli_env = dict(os.environ, NO_COLOR="1")

        sample = files[: args.sample or n]
        agenix_sample = agenix_style(folder, sample, identity)
        agenix_total = agenix_sample / len(sample) * n

        bare = best(args.rounds, lambda: bare_loop(folder, files, identity, publics))

        def library_rekey() -> None:
            report = Store(rules, identities=[identity]).rekey(force=True)
            assert len(report.rekeyed) == n, report.failed[:1]

        lib = best(args.rounds, library_rekey)

        def library_serial() -> None:
            report = Store(rules, identities=[identity]).rekey(force=True, jobs=1)
            assert len(report.rekeyed) == n, report.failed[:1]

        serial = best(args.rounds, library_serial)

        def cli_rekey() -> None:
            subprocess.run(
                [*agepy_cli, "rekey", "--force", "-q", "-i", str(identity), "--rules", str(rules)],
                env=cli_env,
                check=True,
            )

        cli = best(args.rounds, cli_rekey)

        def library_check() -> None:
            assert Store(rules).check() == []

        check_lib = best(args.rounds, library_check)

        def cli_check() -> None:
            subprocess.run(
                [*agepy_cli, "check", "-q", "--rules", str(rules)], env=cli_env, check=True
            )

        check_cli = best(args.rounds, cli_check)

        print(f"\nrekey --force of {n} secrets x 6 recipients (best of {args.rounds}):")
        print(f"{'what':<44}{'seconds':>9}{'per file':>11}{'vs agepy':>10}")
        rows = [
            (
                "agenix-style (all files)"
                if len(sample) == n
                else f"agenix-style (extrapolated from {len(sample)})",
                agenix_total,
            ),
            ("bare pyrage loop (floor)", bare),
            ("agepy rekey, library, one process (jobs=1)", serial),
            (f"agepy rekey, library, {default_jobs(n)} crypto worker(s)", lib),
            ("agepy rekey, CLI (one process)", cli),
        ]
        for label, seconds in rows:
            print(f"{label:<44}{seconds:>9.3f}{seconds / n * 1000:>9.2f}ms{seconds / lib:>9.1f}x")
        print(f"\n{'check of the same store':<44}{'seconds':>9}")
        print(f"{'agepy check, library (Store.check)':<44}{check_lib:>9.3f}")
        print(f"{'agepy check, CLI (one process)':<44}{check_cli:>9.3f}")

        speedup, speedup_cli = agenix_total / lib, agenix_total / cli
        floor, floor_cli = lib / bare, cli / bare
        print("\nratios:")
        print(f"  agenix-style / agepy:  {speedup:6.1f}x library, {speedup_cli:.1f}x CLI", end="")
        print(f", {agenix_total / serial:.1f}x one process  (target >= 30x)")
        print(f"  agepy / bare loop:     {floor:6.2f}x library, {floor_cli:.2f}x CLI", end="")
        print(f", {serial / bare:.2f}x one process  (target <= 2x)")
        print(f"  check:                 {check_lib:6.3f}s library, {check_cli:.3f}s CLI", end="")
        print("  (target < 0.5 s)")
        ok = speedup >= 30 and floor <= 2 and check_lib < 0.5
        print("\nall targets met" if ok else "\nsome target missed")
    return ok


if __name__ == "__main__":
    sys.exit(main())
