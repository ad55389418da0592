"""Reading a git repository's history through the `git` command, and nothing else.

Only plumbing and log output meant for scripts: ``rev-parse``, ``log -z --raw`` and
``cat-file --batch``. Every object is read by id, so a result can be cached by id.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agepy.errors import AgepyError

__all__ = [
    "ZERO",
    "Change",
    "Commit",
    "GitError",
    "GitRepo",
    "History",
    "ObjectReader",
    "tree_entries",
]

ZERO = "0" * 40
_REV_PARSE = ("git", "rev-parse", "--show-toplevel", "--git-common-dir")


class GitError(AgepyError):
    """git failed on a repository agepy expected it to read."""


@dataclass(frozen=True)
class Commit:
    id: str
    time: int  # committer time, seconds since the epoch
    parents: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """One path a commit changed: its new blob (ZERO when deleted) and the blobs it had
    in the parents (one for an ordinary commit, one per parent for a merge)."""

    commit: str
    path: str
    blob: str
    before: tuple[str, ...]


@dataclass
class History:
    """The commits of a log, newest first, and the paths each changed."""

    commits: dict[str, Commit] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)


def _git_env() -> dict[str, str]:
    # Plumbing output must not depend on the user's locale or pager.
    return {**os.environ, "LC_ALL": "C", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"}


def _may_be_in_repository(folder: Path) -> bool:
    """False when git would surely find no work tree from ``folder``: $GIT_DIR is unset
    and no ``.git`` (a folder, or the file of a linked work tree or submodule) is in it
    or above it. Most agepy runs outside git then start no git process to learn that."""
    if os.environ.get("GIT_DIR"):
        return True
    try:
        here = Path(folder).resolve()
    except (OSError, RuntimeError):
        return True
    return any(os.path.lexists(place / ".git") for place in (here, *here.parents))


class GitRepo:
    """One work tree's repository. Made by :meth:`find`, which returns None outside git."""

    def __init__(self, root: Path, git_dir: Path, shallow: bool, head: str | None) -> None:
        self.root = root
        self.git_dir = git_dir
        self.shallow = shallow
        self.head = head

    @classmethod
    def find(cls, folder: Path) -> GitRepo | None:
        """The repository ``folder`` is in; None outside one or without a git command."""
        if not _may_be_in_repository(folder):
            return None
        try:
            proc = subprocess.run(
                [*_REV_PARSE, "--is-shallow-repository", "--verify", "-q", "HEAD"],
                cwd=folder,
                capture_output=True,
                env=_git_env(),
                timeout=60,
                check=False,
            )
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            return None
        lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
        if b"dubious ownership" in proc.stderr:
            raise GitError(
                "git refuses to read this repository: it belongs to another user",
                hint="mark it safe (git config --global --add safe.directory PATH), "
                "or turn the history check off",
            )
        if len(lines) < 3:
            return None  # not a repository (or a bare one: no work tree to compare with)
        root = Path(lines[0])
        git_dir = Path(lines[1])
        if not git_dir.is_absolute():
            git_dir = Path(folder) / git_dir
        head = lines[3] if len(lines) > 3 and proc.returncode == 0 else None
        return cls(root, git_dir, lines[2] == "true", head)

    def run(self, *args: str, stdin: bytes | None = None) -> bytes:
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=self.root,
                input=stdin,
                capture_output=True,
                env=_git_env(),
                timeout=600,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GitError(f"cannot run git {args[0]}: {exc}", hint="check git") from None
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(
                f"git {args[0]} failed: {message[-1] if message else proc.returncode}",
                hint="check the repository with git status",
            )
        return proc.stdout

    def resolve(self, rev: str) -> str:
        """The commit id of ``rev``; GitError when it names none."""
        try:
            return self.run("rev-parse", "--verify", "-q", rev + "^{commit}").decode().strip()
        except GitError:
            raise GitError(
                f"{rev!r} is not a commit of this repository",
                hint="give a commit id, tag or branch (git log shows them)",
            ) from None

    def log(self, since: str | None = None) -> History:
        """Every commit reachable from HEAD (after ``since`` when given), and the paths
        each changed; merges list only what differs from every parent (an evil merge),
        since what they take from a parent was already seen in that parent's history."""
        history = History()
        if self.head is None:
            return history
        revs = [self.head] + ([f"^{since}"] if since else [])
        raw = self.run(
            "log", "--raw", "--no-abbrev", "-c", "--no-renames", "-z",
            "--format=%x01%H%x00%ct%x00%P", *revs, "--",
        )  # fmt: skip
        for record in raw.split(b"\x01")[1:]:
            tokens = record.split(b"\x00")
            commit_id = tokens[0].decode()
            parents = tuple(tokens[2].decode().split())
            history.commits[commit_id] = Commit(commit_id, int(tokens[1]), parents)
            rest = tokens[3:]
            for meta, path in zip(rest[0::2], rest[1::2], strict=False):
                fields = meta.strip().decode().split()
                if len(fields) < 4:
                    continue
                # Object ids: 40 hex digits, 64 in a SHA-256 repository; all zeros for none.
                shas = [ZERO if f.strip("0") == "" else f for f in fields if len(f) in (40, 64)]
                history.changes.append(
                    Change(
                        commit=commit_id,
                        path=path.decode("utf-8", "surrogateescape"),
                        blob=shas[-1],
                        before=tuple(shas[:-1]),
                    )
                )
        return history

    def object_ids(self, names: Iterable[str]) -> dict[str, tuple[str, str] | None]:
        """``rev:path`` (or any object name) → (id, type), None when it does not exist."""
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return {}
        out = self.run(
            "cat-file",
            "--batch-check=%(objectname) %(objecttype)",
            stdin="".join(n + "\n" for n in wanted).encode("utf-8", "surrogateescape"),
        )
        found: dict[str, tuple[str, str] | None] = {}
        for name, line in zip(wanted, out.decode().splitlines(), strict=True):
            fields = line.split()
            ok = len(fields) == 2 and fields[1] != "missing" and not line.endswith(" missing")
            found[name] = (fields[0], fields[1]) if ok else None
        return found

    def read_objects(self, ids: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """The content of each object id (missing ones are skipped)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return
        out = self.run("cat-file", "--batch", stdin="".join(i + "\n" for i in wanted).encode())
        pos = 0
        while pos < len(out):
            end = out.index(b"\n", pos)
            fields = out[pos:end].split()
            pos = end + 1
            if len(fields) != 3:
                continue  # "<id> missing"
            size = int(fields[2])
            yield fields[0].decode(), out[pos : pos + size]
            pos += size + 1


class ObjectReader:
    """One long-lived ``git cat-file --batch``, for many small reads one after another."""

    def __init__(self, repo: GitRepo) -> None:
        self._proc = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=repo.root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_git_env(),
        )

    def read(self, name: str) -> bytes | None:
        """The content of object ``name`` (an id or ``rev:path``); None if missing."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
        self._proc.stdin.flush()
        fields = self._proc.stdout.readline().split()
        if len(fields) != 3:
            return None
        data = self._proc.stdout.read(int(fields[2]) + 1)
        return data[:-1]

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait()

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# One entry of a raw tree object: the entries follow each other with nothing between,
# so consecutive matches walk the tree at the speed of the regex engine.
_TREE_ENTRY = re.compile(rb"([0-7]+) ([^\x00]+)\x00(.{20})", re.DOTALL)


def tree_entries(data: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """(mode, name, raw 20-byte id) of each entry of a raw tree object."""
    return _TREE_ENTRY.findall(data)
