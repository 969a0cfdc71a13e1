"""The GitHub source: the listings of one repository over a range of days, split into one DayBatch per day.

Per repository and requested days, one listing per endpoint for the whole range ``[first day 00:00, last day + 1
00:00)`` (see :mod:`.listings`), then one commit detail per kept commit. Day membership (UTC by default):

- a commit belongs to the day of its *committer* date;
- an issue listing item (issue or pull request) to the day of its ``created_at`` (items without one, seen
  only in recorded data, are placed by :mod:`infra_digest.sources.placement`, with a note);
- a pull listing item to the day of its ``merged_at``;
- a release to the day of its ``published_at`` (``releases=True``; drafts never);
- an item of the updated-issue listing (``hot=True``: issues and PRs updated in the range, new or not, with their
  ``comments`` and ``reactions``) to the day of its ``updated_at``, as a ``discussion`` event. The batch's
  ``stats["discussions"]`` is present exactly when that listing was read.

Every item is validated (:mod:`infra_digest.sources.validate`) before it is kept: an item that breaks a rule
fails the day it belongs to (every requested day when its day cannot be told), with a message naming the URL,
the item and the field; the other days go on. A request error ends the repository: every requested day fails
(a commit detail's error fails its day and the later ones). A day that has not begun cannot be answered: it
fails. Notes reach the days one way: each step appends to its day's notes (``_Day.notes``), in the order the
steps run (commit listing, issue listing, pull listing, commit details).

Stats per batch (``DayBatch.stats``): the client's request stats (``requests``, ``not_modified``, ``retries``,
``cache_hits``, ``rate_limit_waits``) for the listings in the first batch yielded and for each commit detail in
its own day, plus ``commits``, ``issues``, ``pulls`` (events in the batch), ``releases`` (with ``releases=True``) and
``discussions`` (with ``hot=True``; absent otherwise, so readers can tell "not recorded" from "none"): summing the
batches gives the repository's total.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra_digest.sources import validate
from infra_digest.sources.base import DayBatch, RawEvent, day_bounds
from infra_digest.sources.github import listings
from infra_digest.sources.github.client import GitHubClient, GitHubFetchError, GitHubHTTPError, RateLimitError
from infra_digest.sources.placement import place_items
from infra_digest.watchlist import RepoSpec

_logger = logging.getLogger("infra_digest.sources.github")

TRUNCATION_NOTE = "commit {sha}: file list truncated by GitHub at 3000 files"
TRUNCATION_NOTE_RE = re.compile(r"^commit ([0-9a-f]{7,40}): file list truncated by GitHub")
ERROR_LIMIT = 600  # characters of an error message (after redaction)


@dataclass
class _Day:
    day: dt.date
    commits_list: list[dict[str, Any]] = field(default_factory=list)  # validated list items
    details: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha -> validated detail
    issues: list[dict[str, Any]] = field(default_factory=list)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    releases: list[dict[str, Any]] = field(default_factory=list)
    discussions: list[dict[str, Any]] = field(default_factory=list)  # issues and PRs updated in the day
    notes: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    error: str | None = None


class GitHubSource:
    """:class:`~infra_digest.sources.base.Source` reading github.com (or GitHub Enterprise, or a fake) over REST.

    ``GitHubSource(GitHubClient(GitHubConfig(api_url, ...), token, http_cache=..., log=...), per_page=100)``.
    Record mode is a wrapper: ``RecordingSource(GitHubSource(...), record_dir)``.

    Transitional: the keyword form ``GitHubSource(api_url=..., token=..., http_cache=..., record_dir=...,
    max_rate_limit_wait=..., log=...)`` that ``defs/resources.py`` still uses builds the client with
    :meth:`GitHubClient.from_options` and records through the same wrapper code.
    """

    name = "github"

    def __init__(self, client: GitHubClient | None = None, *, per_page: int = 100, tz: dt.tzinfo = dt.timezone.utc,
                 releases: bool = False, hot: bool = False, **legacy: Any) -> None:
        record_dir = legacy.pop("record_dir", None)
        if client is None:
            client = GitHubClient.from_options(**legacy)
        elif legacy:
            raise TypeError(f"GitHubSource got a client and client options {sorted(legacy)}")
        self.client = client
        self.api_url = client.api_url
        self.per_page = max(1, min(100, int(per_page)))
        self.tz = tz
        self.releases = releases  # also list releases (one more listing per repository)
        self.hot = hot  # also list the issues and PRs updated in the range (one more listing per repository)
        self._record_dir = Path(record_dir) if record_dir else None

    def __repr__(self) -> str:  # never shows the token
        return f"GitHubSource(api_url={self.api_url!r}, token={'***' if self.client.has_token else None})"

    def close(self) -> None:
        self.client.close()

    # -- the Source interface --------------------------------------------------------------------------
    def fetch(self, repo: RepoSpec, days: Sequence[dt.date]) -> Iterator[DayBatch]:
        batches = self._batches(repo, list(days))
        if self._record_dir is not None:
            from infra_digest.sources.record import record_batches

            batches = record_batches(batches, self._record_dir, repo, log=self.client.log)
        return batches

    def _batches(self, repo: RepoSpec, days: list[dt.date]) -> Iterator[DayBatch]:
        if not days:
            return
        redact = self.client.redact
        try:
            per_day, range_stats = self._fetch(repo, days)
        except Exception as exc:  # never raise for one repository
            msg = redact(f"{repo.repo}: unexpected error while reading GitHub: {type(exc).__name__}: {exc}", ERROR_LIMIT)
            _logger.error("%s", msg)
            per_day, range_stats = {d: _Day(d, error=msg) for d in days}, {}
        finally:
            self._flush_cache()
        first = True
        for d in days:
            data = per_day[d]
            stats = {k: data.stats.get(k, 0) for k in self.client.stats.snapshot()}
            if first:
                for k, v in range_stats.items():
                    stats[k] = stats.get(k, 0) + v
                first = False
            events = (
                [RawEvent("commit", c["sha"], data.details[c["sha"]]) for c in data.commits_list if c["sha"] in data.details]
                + [RawEvent("issue", str(it["number"]), it) for it in data.issues]
                + [RawEvent("pull", str(it["number"]), it) for it in data.pulls]
                + [RawEvent("release", it["tag_name"], it) for it in data.releases]
                + [RawEvent("discussion", str(it["number"]), it) for it in data.discussions]
            )
            stats.update(commits=len(data.details), issues=len(data.issues), pulls=len(data.pulls))
            if self.releases:
                stats["releases"] = len(data.releases)
            if self.hot:  # present only when the listing was read: absent = not recorded, never "none"
                stats["discussions"] = len(data.discussions)
            yield DayBatch(repo=repo.repo, day=d, events=events, error=data.error,
                           notes=[redact(n, ERROR_LIMIT) for n in data.notes], stats=stats)

    def _flush_cache(self) -> None:
        flush = getattr(self.client.cache, "flush", None)
        if flush is None:
            return
        try:
            flush()
        except Exception as exc:  # a busy database must not lose the fetched data
            self.client.log(f"could not save HTTP validators to the database: {type(exc).__name__}: {exc}")

    # -- the work --------------------------------------------------------------------------------------
    def _day_of(self, ts: dt.datetime | None) -> dt.date | None:
        return ts.astimezone(self.tz).date() if ts else None

    def _error_message(self, repo: RepoSpec, exc: GitHubFetchError, stage: str) -> str:
        if isinstance(exc, GitHubHTTPError):
            if exc.status == 401:
                if self.client.has_token:
                    return (
                        f"GitHub returned 401 for {repo.repo}: bad credentials; the token (GITHUB_TOKEN) was rejected, "
                        "has expired or was revoked"
                    )
                return f"GitHub returned 401 for {repo.repo}: authentication required; set GITHUB_TOKEN"
            if exc.status == 404:
                return (
                    f"GitHub returned 404 for {repo.repo}: the repository was renamed, deleted or is private "
                    "(or the token cannot see it); check the watchlist"
                )
            if exc.status == 422:
                return f"GitHub returned 422 for {repo.repo} ({stage}, GET {exc.path}): the request was rejected as invalid: {exc.gh_message}"
            if exc.status == 403:
                return f"GitHub returned 403 for {repo.repo} ({stage}, GET {exc.path}): access forbidden: {exc.gh_message}"
            return f"GitHub returned {exc.status} for {repo.repo} ({stage}, GET {exc.path}): {exc.gh_message}"
        if isinstance(exc, listings.BranchNotFound):
            return str(exc)
        if isinstance(exc, RateLimitError):
            return f"{repo.repo} was not fetched completely: {exc}"
        return f"{repo.repo} could not be read from GitHub ({stage}): {exc}"

    def _fetch(self, repo: RepoSpec, days: list[dt.date]) -> tuple[dict[dt.date, _Day], dict[str, int]]:
        client = self.client
        wanted = sorted(set(days))
        per_day = {d: _Day(d) for d in wanted}
        start = day_bounds(wanted[0], self.tz)[0]
        end = day_bounds(wanted[-1], self.tz)[1]

        def fail(msg: str, only: Sequence[dt.date] | None = None) -> None:
            for d in only if only is not None else wanted:
                if per_day[d].error is None:
                    per_day[d].error = client.redact(msg, ERROR_LIMIT)

        def invalid(exc: validate.Invalid, only: Sequence[dt.date] | None = None) -> None:
            fail(f"{repo.repo}: invalid data from GitHub: {exc}", only)

        now = dt.datetime.fromtimestamp(client.clock(), dt.timezone.utc)
        future = [d for d in wanted if day_bounds(d, self.tz)[0] > now]
        for d in future:
            per_day[d].error = f"{repo.repo}: {d} has not begun yet (it is {now:%Y-%m-%d %H:%M} UTC); GitHub cannot answer for it"

        def dated_items(listing, check, ts_of):
            """The valid items of a listing with the day of their timestamp (``ts_of(item)``); an invalid item fails
            its day, or every requested day when its day cannot be told."""
            for i, (url, item) in enumerate(listing):
                where = f"GET {client.path_of(url)}"
                notes: list[str] = []
                try:
                    item = check(item, where, notes=notes, index=i)
                except validate.Invalid as exc:
                    d = self._day_of(validate.safe_ts(ts_of(item)))
                    if d is None:
                        invalid(exc)  # its day cannot be told
                    elif d in per_day:
                        invalid(exc, [d])
                    continue
                yield self._day_of(validate.safe_ts(ts_of(item))), item, notes, where

        before = client.stats.snapshot()
        stage = "commit listing"
        try:
            # 1) the commit listing
            try:
                commits = listings.commits(client, repo, start, end, self.per_page)
                for d, item, notes, _where in dated_items(commits, validate.commit, _committer_date):
                    if d in per_day:
                        per_day[d].commits_list.append(item)
                        per_day[d].notes.extend(notes)
            except listings.Unavailable as note:
                for data in per_day.values():
                    data.notes.append(str(note))

            # 2) the issue listing (issues and pull requests), placed on days
            stage = "issue listing"
            try:
                listed: list[tuple[dict[str, Any], dt.date | None]] = []
                where_of: dict[int, str] = {}
                for i, (url, item) in enumerate(listings.issues(client, repo, start, self.per_page)):
                    where = f"GET {client.path_of(url)}"
                    label = validate.item_label("issue", item, i)
                    try:
                        if not isinstance(item, dict):
                            raise validate.Invalid(where, label, "(item)", "is not an object")
                        validate._Check(where, label, None).number(item, "number", "number")
                        created = validate.check_ts(item.get("created_at"), where, label, "created_at")
                    except validate.Invalid as exc:
                        invalid(exc)  # its day cannot be told
                        continue
                    listed.append((item, self._day_of(created)))
                    where_of[item["number"]] = where
                for placed in place_items(listed, wanted):
                    notes = []
                    try:
                        item = validate.issue(placed.item, where_of[placed.item["number"]], notes=notes)
                    except validate.Invalid as exc:
                        invalid(exc, [placed.day])
                        continue
                    data = per_day[placed.day]
                    data.issues.append(item)
                    if placed.note:
                        data.notes.append(placed.note)
                    data.notes.extend(notes)
            except listings.Unavailable as note:
                for data in per_day.values():
                    data.notes.append(str(note))

            # 3) merged pull requests
            stage = "pull request listing"
            try:
                for i, (url, item) in enumerate(listings.merged_pulls(client, repo, start, self.per_page)):
                    where = f"GET {client.path_of(url)}"
                    label = validate.item_label("pull", item, i)
                    try:
                        if not isinstance(item, dict):
                            raise validate.Invalid(where, label, "(item)", "is not an object")
                        merged = validate.check_ts(item.get("merged_at"), where, label, "merged_at")
                    except validate.Invalid as exc:
                        invalid(exc)
                        continue
                    d = self._day_of(merged)
                    if d not in per_day:
                        continue
                    notes = []
                    try:
                        item = validate.pull(item, where, notes=notes, index=i)
                    except validate.Invalid as exc:
                        invalid(exc, [d])
                        continue
                    per_day[d].pulls.append(item)
                    per_day[d].notes.extend(notes)
            except listings.Unavailable as note:
                for data in per_day.values():
                    data.notes.append(str(note))

            # 4) releases (published in a requested day; drafts never)
            stage = "release listing"
            try:
                seen_tags: set[str] = set()
                releases = listings.releases(client, repo, start, self.per_page) if self.releases else ()
                for d, item, notes, _where in dated_items(releases, validate.release, _field("published_at")):
                    if item.get("draft") or item["tag_name"] in seen_tags:
                        continue
                    seen_tags.add(item["tag_name"])
                    if d in per_day:
                        per_day[d].releases.append(item)
                        per_day[d].notes.extend(notes)
            except listings.Unavailable as note:
                for data in per_day.values():
                    data.notes.append(str(note))
            # 5) issues and pull requests updated in a requested day (hot discussions), by updated_at
            stage = "updated-issue listing"
            try:
                seen_numbers: set[int] = set()
                updated = listings.updated(client, repo, start, self.per_page) if self.hot else ()
                for d, item, notes, where in dated_items(updated, validate.discussion, _field("updated_at")):
                    if d is None:
                        for data in per_day.values():
                            data.notes.append(f"{where}: issue #{item['number']} has no updated_at: left out of the hot discussions")
                        continue
                    if d in per_day and item["number"] not in seen_numbers:
                        seen_numbers.add(item["number"])
                        per_day[d].discussions.append(item)
                        per_day[d].notes.extend(notes)
            except listings.Unavailable as note:
                for data in per_day.values():
                    data.notes.append(str(note))
        except GitHubFetchError as exc:
            fail(self._error_message(repo, exc, stage))
            return per_day, client.stats.since(before)
        range_stats = client.stats.since(before)

        # 6) commit details, day by day; a request failure ends the repository: that day and the later ones fail
        for i, d in enumerate(wanted):
            data = per_day[d]
            if data.error is not None:
                continue
            day_before = client.stats.snapshot()
            try:
                for item in data.commits_list:
                    sha = item["sha"]
                    try:
                        detail = listings.commit_detail(client, repo, sha)
                    except GitHubFetchError as exc:
                        fail(self._error_message(repo, exc, f"commit {sha[:12]}"), wanted[i:])
                        return per_day, range_stats
                    notes = []
                    try:
                        body = validate.commit(detail.body, f"GET {client.path_of(detail.url)}", notes=notes, expect_sha=sha)
                    except validate.Invalid as exc:
                        invalid(exc, [d])
                        break
                    data.details[sha] = body
                    data.notes.extend(notes)
                    if detail.truncated:
                        data.notes.append(TRUNCATION_NOTE.format(sha=sha))
            finally:
                data.stats = client.stats.since(day_before)
        return per_day, range_stats


def _field(name: str):
    """``item[name]`` of a listing item, or None when the item is not an object."""
    return lambda item: item.get(name) if isinstance(item, dict) else None


def _committer_date(item: Any) -> Any:
    c = item.get("commit") if isinstance(item, dict) else None
    committer = c.get("committer") if isinstance(c, dict) else None
    return committer.get("date") if isinstance(committer, dict) else None
