"""Record mode: write what the GitHub source fetched in the replay layout, so a day replays offline.

Layout (the same as ``shared/replay/``, plus ``pulls.json``)::

    <record_dir>/<day>/<owner>__<name>/
        commits_list.json    list items of GET /repos/{o}/{r}/commits whose committer date is in the day
        commits/<sha>.json   GET /repos/{o}/{r}/commits/{sha} (file pages merged), one per listed commit
        issues.json          items of GET /repos/{o}/{r}/issues (issues and PRs) created in the day
        pulls.json           items of GET /repos/{o}/{r}/pulls merged in the day
    <record_dir>/manifest.json   days_utc, and per repository its branch and per-day counts

Only response bodies are written: no headers, no URLs with credentials, no token. Every file of a
recorded (repo, day) is rewritten, and commit files of commits no longer listed are removed, so
re-recording a day gives exactly the new capture. Files are written atomically (temp file + rename).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def day_dir(record_dir: str | Path, day: dt.date, repo: str) -> Path:
    return Path(record_dir) / day.isoformat() / repo.replace("/", "__")


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
) -> Path:
    """Write one (repo, day) in the replay layout; returns its folder."""
    folder = day_dir(record_dir, day, repo)
    commits_dir = folder / "commits"
    commits_dir.mkdir(parents=True, exist_ok=True)
    _write_json(folder / "commits_list.json", list(commits_list))
    keep = set()
    for sha, detail in commit_details.items():
        _write_json(commits_dir / f"{sha}.json", detail)
        keep.add(f"{sha}.json")
    for stale in commits_dir.glob("*.json"):
        if stale.name not in keep:
            stale.unlink()
    _write_json(folder / "issues.json", list(issues))
    _write_json(folder / "pulls.json", list(pulls))
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
