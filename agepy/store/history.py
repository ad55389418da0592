"""Every committed version of each secret's file, and the keys that could read it.

Read from git alone, with no private key: an SSH stanza's tag names its key; X25519,
plugin and post-quantum stanzas name nobody, so for those the secrets.nix of the commit
that made the version says who they were for. Everything read is cached by git object
id under the repository's git folder (``agepy/history-v1.json``): a second scan of the
same HEAD costs one ``git rev-parse``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agepy.age import dearmor, looks_armored, parse_header
from agepy.errors import AgepyError
from agepy.store.exposure import Reader, Version, iso_date
from agepy.store.gitread import ZERO, Change, GitRepo, History, ObjectReader
from agepy.store.history_cache import CACHE_VERSION, HistoryCache, valid_summary
from agepy.store.past_rules import PastRules, RulesState, parse_key

if TYPE_CHECKING:
    from agepy.age.recipients import Recipient
    from agepy.store.store import Store

__all__ = ["HistoryScan", "reader_of", "scan_history"]

_RULES_NAMES = ("secrets.nix",)
_SSH = ("ssh-ed25519", "ssh-rsa")
_NOT_IN_GIT = "not in a git repository: old versions of the secrets cannot be checked"


@dataclass
class HistoryScan:
    """What a scan found: the versions, the names past secrets.nix files gave keys, and
    a one-line ``notice`` when the history could not be read (fully)."""

    checked: bool
    versions: list[Version] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    notice: str = ""
    problems: list[str] = field(default_factory=list)
    commits: int = 0
    evaluations: int = 0
    cached: bool = False


def reader_of(recipient: Recipient) -> Reader:
    """The reader a recipient of today's rules is."""
    ident = recipient.fingerprint if recipient.is_ssh else recipient.text
    return Reader(ident, recipient.kind, recipient.text, recipient.tag or "")


def _header_summary(data: bytes) -> list[Any] | None:
    """[SSH tags, number of stanzas that name nobody] of an age file; None if not one."""
    try:
        if looks_armored(data[:64]):
            data = dearmor(data)
        header = parse_header(data)
    except (AgepyError, ValueError):
        return None
    tags = [s.tag for s in header.stanzas if s.tag is not None]
    unnamed = sum(
        1
        for s in header.stanzas
        if s.type not in _SSH and s.type != "scrypt" and not s.type.endswith("-grease")
    )
    return [tags, unnamed]


def _result_key(head: str, since: str | None, store: Store, rules_rel: str) -> str:
    rules = store.rules
    today = sorted((s.name, sorted(r.text for r in s.recipients)) for s in rules)
    text = json.dumps([CACHE_VERSION, head, since, rules_rel, store.evaluator, today])
    return hashlib.sha256(text.encode()).hexdigest()


def _shallow_notice(history: History) -> str:
    if not history.commits:
        return ""
    oldest = min(history.commits.values(), key=lambda c: c.time)
    return (
        f"shallow clone: history checked back to {oldest.id[:7]}, "
        f"{iso_date(oldest.time)[:10]} only (git fetch --unshallow to check all of it)"
    )


def scan_history(store: Store, since: str | None = None) -> HistoryScan:
    """The committed versions of every secret of ``store`` (from ``since`` on, if given)."""
    repo = GitRepo.find(store.rules_path.parent)
    if repo is None:
        return HistoryScan(checked=False, notice=_NOT_IN_GIT)
    if repo.head is None:
        return HistoryScan(checked=True)
    since_id = repo.resolve(since) if since else None
    rules_rel = os.path.relpath(store.rules_path.resolve(), repo.root.resolve())
    cache = HistoryCache(repo)
    key = _result_key(repo.head, since_id, store, rules_rel)
    if cache.result.get("key") == key:
        # A damaged cache file is no error: the scan runs again and rewrites it.
        with contextlib.suppress(KeyError, TypeError, ValueError, IndexError):
            return _from_cached(cache.result)
    history = repo.log(since_id)
    with ObjectReader(repo) as objects:
        past = PastRules(objects, store.evaluator, cache.states, cache.trees)
        scan = _Scanner(repo, store, history, past, cache, Path(rules_rel).name).run()
        scan.evaluations = past.evaluations
    if repo.shallow:
        scan.notice = _shallow_notice(history)
    cache.result = {"key": key, **_to_cached(scan)}
    cache.save()
    return scan


def _to_cached(scan: HistoryScan) -> dict[str, Any]:
    # Readers once in a table, versions refer to them by index: a few keys read
    # thousands of versions, and the cached path's cost is mostly this file's size.
    table: dict[Reader, int] = {}
    versions = []
    for v in scan.versions:
        indices = [table.setdefault(r, len(table)) for r in v.readers]
        versions.append([v.secret, v.blob, v.commit, v.time, indices])
    return {
        "readers": [r.to_cache() for r in table],
        "versions": versions,
        "names": scan.names,
        "notice": scan.notice,
        "problems": scan.problems,
        "commits": scan.commits,
    }


def _from_cached(data: dict[str, Any]) -> HistoryScan:
    table = [Reader.from_cache(r) for r in data["readers"]]
    versions = [
        Version(v[0], v[1], v[2], int(v[3]), tuple(table[i] for i in v[4]))
        for v in data["versions"]
    ]
    return HistoryScan(
        checked=True,
        versions=versions,
        names=dict(data["names"]),
        notice=str(data["notice"]),
        problems=list(data["problems"]),
        commits=int(data["commits"]),
        cached=True,
    )


class _Scanner:
    def __init__(
        self,
        repo: GitRepo,
        store: Store,
        history: History,
        past: PastRules,
        cache: HistoryCache,
        rules_name: str,
    ) -> None:
        self.repo = repo
        self.store = store
        self.history = history
        self.past = past
        self.cache = cache
        self.rules_names = tuple(dict.fromkeys((rules_name, *_RULES_NAMES)))
        self.scan = HistoryScan(checked=True, commits=len(history.commits))
        self.known = self._known_keys()

    def _known_keys(self) -> dict[str, Reader]:
        """SSH tag → reader, for every key today's rules and the inventory know."""
        keys = [r for s in self.store.rules for r in s.recipients]
        for text, name in self.store.known_keys():
            recipient = parse_key(text)
            if recipient is not None:
                keys.append(recipient)
                self.scan.names.setdefault(reader_of(recipient).id, name)
        return {r.tag: reader_of(r) for r in keys if r.tag}

    def run(self) -> HistoryScan:
        wanted = set(self.store.rules.secrets)
        changes = [c for c in self.history.changes if c.path.endswith(".age") and c.blob != ZERO]
        where = self._rules_folders(changes)
        found: list[tuple[Change, str, str, str]] = []  # change, entry, rules folder, name
        for change in changes:
            located = where.get((change.commit, posixpath.dirname(change.path)))
            if located is None:
                continue
            folder, name = located
            entry = posixpath.relpath(change.path, folder or ".")
            if entry in wanted:
                found.append((change, entry, folder, name))
        self._read_headers(c.blob for c, *_ in found)
        last = self._last_seen()
        # Age files only: a blob git could not hand out (shallow) has no usable summary.
        found = [
            f
            for f in found
            if (summary := self.cache.headers.get(f[0].blob, 0)) is not None
            and valid_summary(summary)
        ]
        needing = [f for f in found if self._needs_rules(self.cache.headers[f[0].blob])]
        trees = self.repo.object_ids(_tree_name(c.commit, folder) for c, _, folder, _ in needing)
        # The folders' trees are read in one git call: one call per tree costs more.
        self.past.prefetch(
            self.repo.read_objects(
                t[0]
                for (c, _, folder, name) in needing
                if (t := trees.get(_tree_name(c.commit, folder))) and self.past.needs(t[0], name)
            )
        )
        for change, entry, folder, name in found:
            summary = self.cache.headers[change.blob]
            tree = trees.get(_tree_name(change.commit, folder))
            readers = self._readers(
                entry, summary, tree[0] if tree else None, (folder, name), change
            )
            commit, time = last.get(change.blob) or self._head_or(change.commit)
            self.scan.versions.append(Version(entry, change.blob, commit, time, readers))
        return self.scan

    def _head_or(self, commit: str) -> tuple[str, int]:
        # A version no commit replaced is still in HEAD.
        head = self.history.commits.get(self.repo.head or "")
        return (head.id, head.time) if head else (commit, self.history.commits[commit].time)

    def _rules_folders(self, changes: list[Change]) -> dict[tuple[str, str], tuple[str, str]]:
        """(commit, folder of an .age file) → (folder of the rules file, its name): the
        nearest folder up that had a rules file in that commit."""
        pairs = {(c.commit, posixpath.dirname(c.path)) for c in changes}
        queries: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for commit, folder in pairs:
            chain = []
            current = folder
            while True:
                for name in self.rules_names:
                    path = posixpath.join(current, name) if current else name
                    chain.append((f"{commit}:{path}", current, name))
                if not current:
                    break
                current = posixpath.dirname(current)
            queries[(commit, folder)] = chain
        exists = self.repo.object_ids(q for chain in queries.values() for q, _, _ in chain)
        where = {}
        for pair, chain in queries.items():
            for query, folder, name in chain:
                if exists.get(query):
                    where[pair] = (folder, name)
                    break
        return where

    def _read_headers(self, blobs: Iterable[str]) -> None:
        known = self.cache.headers
        missing = [b for b in dict.fromkeys(blobs) if not valid_summary(known.get(b, 0))]
        for blob, data in self.repo.read_objects(missing):
            self.cache.headers[blob] = _header_summary(data)

    def _last_seen(self) -> dict[str, tuple[str, int]]:
        """Blob → the newest commit that still had it: the parent of a commit that
        replaced it (in ordinary commits; a merge's parents had it in their own)."""
        commits = self.history.commits
        last: dict[str, tuple[str, int]] = {}
        for change in self.history.changes:
            if len(change.before) != 1 or change.before[0] == ZERO:
                continue
            parents = commits[change.commit].parents
            parent = commits.get(parents[0]) if parents else None
            if parent is None:
                continue
            seen = last.get(change.before[0])
            if seen is None or parent.time > seen[1]:
                last[change.before[0]] = (parent.id, parent.time)
        return last

    def _needs_rules(self, summary: list[Any]) -> bool:
        """Whether a header has stanzas only that version's secrets.nix can name."""
        tags, unnamed = summary
        return bool(unnamed) or any(t not in self.known for t in tags)

    def _state(self, tree: str, where: tuple[str, str], commit: str) -> RulesState:
        """That commit's rules: from its folder alone, else (a file that imports from
        outside its folder) from the whole commit."""
        folder, name = where
        state = self.past.state(tree, name)
        if state.error and folder:
            root = self.repo.object_ids([f"{commit}^{{tree}}"]).get(f"{commit}^{{tree}}")
            if root is not None:
                whole = self.past.state(root[0], posixpath.join(folder, name))
                state = state if whole.error else whole
        if state.error:
            problem = f"{name} at {commit[:7]} could not be evaluated: {state.error}"
            if problem not in self.scan.problems:
                self.scan.problems.append(problem)
        return state

    def _readers(
        self,
        entry: str,
        summary: list[Any],
        tree: str | None,
        where: tuple[str, str],
        change: Change,
    ) -> tuple[Reader, ...]:
        tags, unnamed = summary
        state: RulesState | None = None
        if self._needs_rules(summary) and tree is not None:
            state = self._state(tree, where, change.commit)
        past_keys = state.keys_by_tag if state is not None else {}
        readers: list[Reader] = []
        for tag in tags:
            reader = self.known.get(tag)
            if reader is None and tag in past_keys:
                reader = reader_of(past_keys[tag])
            readers.append(reader or Reader(f"ssh-tag:{tag}", "ssh", "", tag))
        if unnamed and state is not None:
            readers.extend(reader_of(key) for key in state.unnamed_keys(entry))
        if state is not None:
            for reader in readers:
                if reader.text in state.names:
                    self.scan.names.setdefault(reader.id, state.names[reader.text])
        return tuple(readers)


def _tree_name(commit: str, folder: str) -> str:
    return f"{commit}:{folder}" if folder else f"{commit}^{{tree}}"
