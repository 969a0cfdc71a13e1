"""The replay source: recorded GitHub responses in the layout of ``shared/replay`` (and of record mode).

Layout::

    <dir>/<day>/<owner>__<name>/commits_list.json    GET /repos/{o}/{r}/commits?sha=<branch>&since=..&until=..
    <dir>/<day>/<owner>__<name>/commits/<sha>.json   GET /repos/{o}/{r}/commits/{sha}
    <dir>/<day>/<owner>__<name>/issues.json          GET /repos/{o}/{r}/issues?state=all items (optional)
    <dir>/<day>/<owner>__<name>/pulls.json           GET /repos/{o}/{r}/pulls?state=closed items (optional)
    <dir>/<day>/<owner>__<name>/releases.json        GET /repos/{o}/{r}/releases items (optional)

Day membership follows the data, not the folder: a commit belongs to the day of its committer date, an
issue to the day it was created, a pull request to the days it was created and merged, a release to the day
it was published (drafts are never read). Because a
recording made in another timezone, or a commit committed just after midnight, can sit in a neighbouring
folder, the source reads the folders of the day before and after too. An item whose timestamp is unknown
(``created_at: null``) falls back to the folder it was recorded in.

**Absent is not empty.** Only the folder of day D itself decides whether D was recorded: when
``<dir>/<D>/`` or ``<dir>/<D>/<owner>__<name>/`` does not exist, that repository-day was not recorded and its
batch fails with an error naming the missing folder (it never reads as "no activity"). Record mode writes a
folder, with empty lists, for every repository of every day it fetched, so absence always means "not
recorded". Inside a folder that exists, a missing ``commits_list.json``, ``issues.json`` or ``pulls.json``
reads as an empty list (the shared set omits ``issues.json`` where nothing was recovered), and a commit
without ``commits/<sha>.json`` is read from its list item. The neighbouring folders (D-1, D+1) are read only
to borrow items that crossed midnight; their absence changes nothing for D.

Every item is validated (:mod:`infra_digest.sources.validate`); a file that is not valid JSON, not the
expected shape, or holds an item that breaks a rule fails the day of its folder, with an error naming the
file, the item and the field. Paths never come from data: a sha is validated (40 hex) before it names a
file, the repository must be ``owner/name`` of safe characters, and every file read must lie inside the
replay directory once symbolic links are resolved.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from infra_digest.sources import validate
from infra_digest.sources.base import DayBatch, RawEvent, SourceError
from infra_digest.watchlist import RepoSpec

_REPO_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class ReplayFileError(ValueError):
    pass


def _load_json(path: Path, expect: type, root: Path | None = None) -> Any:
    if root is not None and not path.resolve().is_relative_to(root):
        raise ReplayFileError(f"{path} leads outside the replay directory (a symbolic link?); not read")
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
    except RecursionError:
        raise ReplayFileError(f"{path} is nested too deeply to be read") from None
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
        self._resolved_root = self.root.resolve()

    def __repr__(self) -> str:
        return f"ReplaySource({str(self.root)!r})"

    # -- reading one folder ------------------------------------------------------------------
    def _folder(self, day: dt.date, repo: RepoSpec) -> Path:
        return self.root / day.isoformat() / repo.dirname

    def _day(self, ts: dt.datetime | None) -> dt.date | None:
        return ts.astimezone(self.tz).date() if ts else None

    def _read_folder(self, folder: Path, folder_day: dt.date) -> Iterator[tuple[dt.date, RawEvent, list[str]]]:
        """Yield (day, event, notes) for every item recorded in one <day>/<repo> folder (nothing if absent)."""
        if not folder.is_dir():
            return
        root = self._resolved_root
        listing = folder / "commits_list.json"
        if listing.exists():
            for i, item in enumerate(_load_json(listing, list, root)):
                sha = item.get("sha") if isinstance(item, dict) else None
                if not isinstance(sha, str) or not validate.SHA_RE.fullmatch(sha):
                    label = validate.item_label("commit", item, i)
                    raise ReplayFileError(str(validate.Invalid(str(listing), label, "sha",
                                                               "is missing" if sha is None else "is not 40 lower-case hex characters")))
                detail_path = folder / "commits" / f"{sha}.json"
                if detail_path.exists():
                    payload, where = _load_json(detail_path, dict, root), detail_path
                else:
                    payload, where = item, listing
                notes: list[str] = []
                try:
                    payload = validate.commit(payload, str(where), notes=notes, index=i, expect_sha=sha)
                except validate.Invalid as exc:
                    raise ReplayFileError(str(exc)) from None
                day = self._day(validate.safe_ts(payload["commit"]["committer"]["date"]))
                assert day is not None  # validated
                yield day, RawEvent("commit", sha, payload), notes
        for name, kind in (("issues.json", "issue"), ("pulls.json", "pull")):
            path = folder / name
            if not path.exists():
                continue
            for i, item in enumerate(_load_json(path, list, root)):
                notes = []
                try:
                    item = validate.VALIDATORS[kind](item, str(path), notes=notes, index=i)
                except validate.Invalid as exc:
                    raise ReplayFileError(str(exc)) from None
                created = self._day(validate.safe_ts(item.get("created_at")))
                merged_at = item.get("merged_at") if kind == "pull" else (item.get("pull_request") or {}).get("merged_at")
                merged = self._day(validate.safe_ts(merged_at))
                days = {d for d in (created, merged) if d is not None} or {folder_day}
                for day in days:
                    yield day, RawEvent(kind, str(item["number"]), item), notes
        path = folder / "releases.json"
        if path.exists():
            for i, item in enumerate(_load_json(path, list, root)):
                notes = []
                try:
                    item = validate.release(item, str(path), notes=notes, index=i)
                except validate.Invalid as exc:
                    raise ReplayFileError(str(exc)) from None
                if item.get("draft"):
                    continue
                day = self._day(validate.safe_ts(item.get("published_at"))) or folder_day
                yield day, RawEvent("release", item["tag_name"], item), notes

    # -- Source protocol -------------------------------------------------------------------------
    def fetch(self, repo: RepoSpec, days: Sequence[dt.date]) -> Iterator[DayBatch]:
        wanted = set(days)
        batches = {d: DayBatch(repo=repo.repo, day=d) for d in days}
        failed: dict[dt.date, str] = {}
        if not _REPO_RE.fullmatch(repo.repo) or any(p in (".", "..") for p in repo.repo.split("/")):
            failed = {d: f"repository name {repo.repo!r} cannot name a replay folder (owner/name expected)" for d in days}
            folder_days: list[dt.date] = []
        else:
            folder_days = sorted({d + dt.timedelta(days=k) for d in days for k in (-1, 0, 1)})
            for d in wanted:  # absent is not empty: only D's own folder decides whether D was recorded
                day_folder = self.root / d.isoformat()
                if not day_folder.is_dir():
                    failed[d] = f"{repo.repo}: {d} was not recorded: {day_folder} does not exist"
                elif not self._folder(d, repo).is_dir():
                    failed[d] = f"{repo.repo}: {d} was not recorded: {self._folder(d, repo)} does not exist"
        seen: set[tuple[dt.date, str, str]] = set()
        day_notes: dict[dt.date, list[str]] = {d: [] for d in days}
        for folder_day in folder_days:
            folder = self._folder(folder_day, repo)
            try:
                for day, event, notes in self._read_folder(folder, folder_day):
                    key = (day, event.kind, event.id)
                    if day in wanted and key not in seen:
                        seen.add(key)
                        batches[day].events.append(event)
                        day_notes[day].extend(n for n in notes if n not in day_notes[day])
            except ReplayFileError as exc:
                # A broken folder fails the day it was recorded for (its neighbours only borrow
                # the few items that crossed midnight, and keep what the other folders hold).
                if folder_day in wanted:
                    failed.setdefault(folder_day, str(exc))
        for d in days:
            batch = batches[d]
            batch.notes = day_notes[d]
            if d in failed:
                batch.error = failed[d]
                batch.events = []
            batch.stats = {"items": len(batch.events)}
            yield batch
