"""The replay source: recorded GitHub responses in the layout of ``shared/replay`` (and of record mode).

Layout::

    <dir>/<day>/<owner>__<name>/commits_list.json    GET /repos/{o}/{r}/commits?sha=<branch>&since=..&until=..
    <dir>/<day>/<owner>__<name>/commits/<sha>.json   GET /repos/{o}/{r}/commits/{sha}
    <dir>/<day>/<owner>__<name>/issues.json          GET /repos/{o}/{r}/issues?state=all items (optional)
    <dir>/<day>/<owner>__<name>/pulls.json           GET /repos/{o}/{r}/pulls?state=closed items (optional)

Day membership follows the data, not the folder: a commit belongs to the day of its committer date, an
issue to the day it was created, a pull request to the days it was created and merged. Because a
recording made in another timezone, or a commit committed just after midnight, can sit in a neighbouring
folder, the source reads the folders of the day before and after too. An item whose timestamp is unknown
(``created_at: null``) falls back to the folder it was recorded in.

Missing days and repositories mean "no activity". A file that is not valid JSON, or not the expected shape,
fails that repository/day with an error naming the file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from infra_digest.sources.base import DayBatch, RawEvent, SourceError, day_of
from infra_digest.watchlist import RepoSpec


class ReplayFileError(ValueError):
    pass


def _load_json(path: Path, expect: type) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReplayFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ReplayFileError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ReplayFileError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, expect):
        raise ReplayFileError(f"{path}: expected a JSON {expect.__name__}, found {type(data).__name__}")
    return data


class ReplaySource:
    """Reads a replay directory. ``name`` is "replay"."""

    name = "replay"

    def __init__(self, root: str | Path, tz: dt.tzinfo = dt.timezone.utc):
        self.root = Path(root)
        self.tz = tz
        if not self.root.is_dir():
            raise SourceError(f"replay directory {self.root} does not exist or is not a directory")

    def __repr__(self) -> str:
        return f"ReplaySource({str(self.root)!r})"

    # -- reading one folder ------------------------------------------------------------------
    def _folder(self, day: dt.date, repo: RepoSpec) -> Path:
        return self.root / day.isoformat() / repo.dirname

    def _read_folder(self, folder: Path, folder_day: dt.date) -> Iterator[tuple[dt.date, RawEvent]]:
        """Yield (day, event) for every item recorded in one <day>/<repo> folder."""
        if not folder.is_dir():
            return
        listing = folder / "commits_list.json"
        if listing.exists():
            for i, item in enumerate(_load_json(listing, list)):
                sha = item.get("sha") if isinstance(item, dict) else None
                if not isinstance(sha, str) or not sha:
                    raise ReplayFileError(f"{listing}: item {i} has no 'sha'")
                detail_path = folder / "commits" / f"{sha}.json"
                payload = _load_json(detail_path, dict) if detail_path.exists() else item
                try:
                    committed = (payload.get("commit") or {}).get("committer", {}).get("date")
                    day = day_of(committed, self.tz)
                except (AttributeError, ValueError):
                    raise ReplayFileError(f"{detail_path if detail_path.exists() else listing}: commit {sha} has no valid commit.committer.date") from None
                if day is None:
                    raise ReplayFileError(f"{listing}: commit {sha} has no commit.committer.date")
                yield day, RawEvent("commit", sha, payload)
        for name, kind in (("issues.json", "issue"), ("pulls.json", "pull")):
            path = folder / name
            if not path.exists():
                continue
            for i, item in enumerate(_load_json(path, list)):
                if not isinstance(item, dict) or not isinstance(item.get("number"), int):
                    raise ReplayFileError(f"{path}: item {i} has no integer 'number'")
                try:
                    created = day_of(item.get("created_at"), self.tz)
                    merged_at = item.get("merged_at") if kind == "pull" else (item.get("pull_request") or {}).get("merged_at")
                    merged = day_of(merged_at, self.tz)
                except ValueError as exc:
                    raise ReplayFileError(f"{path}: item #{item['number']} has a bad timestamp: {exc}") from None
                days = {d for d in (created, merged) if d is not None} or {folder_day}
                for day in days:
                    yield day, RawEvent(kind, str(item["number"]), item)

    # -- Source protocol -------------------------------------------------------------------------
    def fetch(self, repo: RepoSpec, days: Sequence[dt.date]) -> Iterator[DayBatch]:
        wanted = set(days)
        batches = {d: DayBatch(repo=repo.repo, day=d) for d in days}
        folder_days = sorted({d + dt.timedelta(days=k) for d in days for k in (-1, 0, 1)})
        failed: dict[dt.date, str] = {}
        seen: set[tuple[dt.date, str, str]] = set()
        for folder_day in folder_days:
            folder = self._folder(folder_day, repo)
            try:
                for day, event in self._read_folder(folder, folder_day):
                    key = (day, event.kind, event.id)
                    if day in wanted and key not in seen:
                        seen.add(key)
                        batches[day].events.append(event)
            except ReplayFileError as exc:
                # A broken folder fails the day it was recorded for (its neighbours only borrow
                # the few items that crossed midnight, and keep what the other folders hold).
                if folder_day in wanted:
                    failed.setdefault(folder_day, str(exc))
        for d in days:
            batch = batches[d]
            if d in failed:
                batch.error = failed[d]
                batch.events = []
            batch.stats = {"items": len(batch.events)}
            yield batch
