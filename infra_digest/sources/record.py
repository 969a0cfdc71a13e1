"""Record mode: write what any source fetched in the replay layout, so a day replays offline.

:class:`RecordingSource` wraps a source (``RecordingSource(GitHubSource(...), "captured")``): every batch
passes through unchanged, and every batch that is ``ok`` is written, empty lists included, so a folder exists
for every repository of every day that was fetched and answered. A failed batch is not written: in the replay
layout an absent folder means "not recorded", never "no activity".

Layout (the same as ``shared/replay/``, plus ``pulls.json``)::

    <record_dir>/<day>/<owner>__<name>/
        commits_list.json    list items of GET /repos/{o}/{r}/commits whose committer date is in the day
        commits/<sha>.json   GET /repos/{o}/{r}/commits/{sha} (file pages merged), one per listed commit
        issues.json          items of GET /repos/{o}/{r}/issues (issues and PRs) created in the day
        pulls.json           items of GET /repos/{o}/{r}/pulls merged in the day
        releases.json        items of GET /repos/{o}/{r}/releases published in the day (written when the
                             source yields releases for that day)
    <record_dir>/manifest.json   days_utc, and per repository its branch and per-day counts

``commits_list.json`` holds each commit's detail without ``stats`` and ``files`` (which is what the list
endpoint returns for it), in the order the source gave. Only payloads are written (validated by the source):
no headers, no URLs with credentials, no token. Every file of a recorded (repo, day) is rewritten, and commit
files of commits no longer listed are removed, so re-recording a day gives exactly the new capture. Files are
written atomically (temp file + rename). Paths never come from data unchecked: the repository must be
``owner/name`` of safe characters and every sha 40 hex characters, and every path written is checked to lie
inside the record directory.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import threading
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from infra_digest.sources.base import DayBatch, Source
from infra_digest.watchlist import RepoSpec

_REPO_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SHA_RE = re.compile(r"[0-9a-f]{40}")


class UnsafePath(ValueError):
    """A name from data that would leave the record directory."""


def day_dir(record_dir: str | Path, day: dt.date, repo: str) -> Path:
    if not _REPO_RE.fullmatch(repo) or any(part in (".", "..") for part in repo.split("/")):
        raise UnsafePath(f"repository name {repo!r} is not owner/name")
    return Path(record_dir) / day.isoformat() / repo.replace("/", "__")


def _inside(root: Path, path: Path) -> Path:
    if not path.resolve().is_relative_to(root.resolve()):
        raise UnsafePath(f"{path} is outside {root}")
    return path


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_day(
    record_dir: str | Path,
    repo: str,
    day: dt.date,
    *,
    commits_list: Sequence[Mapping[str, Any]],
    commit_details: Mapping[str, Mapping[str, Any]],
    issues: Sequence[Mapping[str, Any]],
    pulls: Sequence[Mapping[str, Any]],
    releases: Sequence[Mapping[str, Any]] | None = None,
) -> Path:
    """Write one (repo, day) in the replay layout; returns its folder."""
    root = Path(record_dir)
    folder = _inside(root, day_dir(root, day, repo))
    for sha in commit_details:
        if not isinstance(sha, str) or not _SHA_RE.fullmatch(sha):
            raise UnsafePath(f"commit sha {str(sha)[:60]!r} is not 40 hex characters; not used as a file name")
    commits_dir = folder / "commits"
    commits_dir.mkdir(parents=True, exist_ok=True)
    _write_json(folder / "commits_list.json", list(commits_list))
    keep = set()
    for sha, detail in commit_details.items():
        _write_json(_inside(root, commits_dir / f"{sha}.json"), detail)
        keep.add(f"{sha}.json")
    for stale in commits_dir.glob("*.json"):
        if stale.name not in keep:
            stale.unlink()
    _write_json(folder / "issues.json", list(issues))
    _write_json(folder / "pulls.json", list(pulls))
    if releases:
        _write_json(folder / "releases.json", list(releases))
    else:
        (folder / "releases.json").unlink(missing_ok=True)
    return folder


_MANIFEST_LOCK = threading.Lock()


def update_manifest(record_dir: str | Path, repo: str, branch: str, day: dt.date, counts: Mapping[str, int]) -> None:
    """Merge one recorded (repo, day) into ``<record_dir>/manifest.json`` (same keys as the shared replay set)."""
    path = Path(record_dir) / "manifest.json"
    with _MANIFEST_LOCK:
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        data.setdefault("set", "recorded by infra-digest (github source, record mode)")
        data["days_utc"] = sorted(set(data.get("days_utc") or []) | {day.isoformat()})
        entry = data.setdefault("repos", {}).setdefault(repo, {})
        entry.setdefault("source", {}).update({"default_branch": branch, "snapshot": "GitHub REST API"})
        entry.setdefault("per_day", {})[day.isoformat()] = dict(counts)
        _write_json(path, data)


def write_batch(record_dir: str | Path, repo: RepoSpec, batch: DayBatch) -> Path:
    """Write one ok batch (its events) in the replay layout and merge it into the manifest."""
    details = {e.id: e.payload for e in batch.events if e.kind == "commit"}
    listing = [{k: v for k, v in p.items() if k not in ("stats", "files")} for p in details.values()]
    issues = [e.payload for e in batch.events if e.kind == "issue"]
    pulls = [e.payload for e in batch.events if e.kind == "pull"]
    releases = [e.payload for e in batch.events if e.kind == "release"]
    folder = write_day(record_dir, repo.repo, batch.day, commits_list=listing, commit_details=details, issues=issues,
                       pulls=pulls, releases=releases)
    update_manifest(record_dir, repo.repo, repo.branch, batch.day,
                    {"commits": len(details), "issues_json_items": len(issues), "pulls_json_items": len(pulls)})
    return folder


def record_batches(batches: Iterator[DayBatch], record_dir: str | Path, repo: RepoSpec,
                   log: Callable[[str], None] | None = None) -> Iterator[DayBatch]:
    """Pass ``batches`` through, writing each ok one; a write that fails becomes a note of its batch."""
    for batch in batches:
        if batch.ok:
            try:
                write_batch(record_dir, repo, batch)
            except (OSError, UnsafePath) as exc:
                note = f"record mode: could not write {batch.day} to {record_dir}: {exc}"
                batch.notes.append(note)
                if log is not None:
                    log(note)
        yield batch


class RecordingSource:
    """Any source, with what it fetched also written in the replay layout under ``record_dir``."""

    def __init__(self, source: Source, record_dir: str | Path, log: Callable[[str], None] | None = None) -> None:
        self.source = source
        self.record_dir = Path(record_dir)
        self.name = source.name
        self.log = log

    def __repr__(self) -> str:
        return f"RecordingSource({self.source!r}, {str(self.record_dir)!r})"

    def fetch(self, repo: RepoSpec, days: Sequence[dt.date]) -> Iterator[DayBatch]:
        return record_batches(self.source.fetch(repo, days), self.record_dir, repo, self.log)

    def close(self) -> None:
        close = getattr(self.source, "close", None)
        if close is not None:
            close()


def read_day(record_dir: str | Path, repo: str, day: dt.date) -> dict[str, Any]:
    """Read one recorded (repo, day) back: {"commits_list", "commits": {sha: detail}, "issues", "pulls"}.

    Missing ``issues.json`` / ``pulls.json`` read as empty lists (the shared replay set omits them).
    """
    folder = day_dir(record_dir, day, repo)

    def load(name: str) -> Any:
        p = folder / name
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else []

    commits = {}
    if (folder / "commits").is_dir():
        for p in sorted((folder / "commits").glob("*.json")):
            commits[p.stem] = json.loads(p.read_text(encoding="utf-8"))
    return {"commits_list": load("commits_list.json"), "commits": commits, "issues": load("issues.json"), "pulls": load("pulls.json")}
