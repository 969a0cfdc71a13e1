"""The one interface every source implements (replay directory, GitHub REST, git mirror).

A source turns (repository, days) into :class:`DayBatch` objects: for each requested day, the raw
items that belong to it, in GitHub REST API shapes, unchanged. Day membership rules (UTC days by default):

- ``commit``: a commit reachable from the default branch whose *committer* date falls in the day;
  payload shaped like ``GET /repos/{o}/{r}/commits/{sha}`` (list item + ``stats`` + ``files``).
- ``issue``: an item of ``GET /repos/{o}/{r}/issues`` (issues *and* pull requests, the latter carrying a
  ``pull_request`` key) created in the day, or, for pull requests, merged in the day.
- ``pull``: an item of ``GET /repos/{o}/{r}/pulls`` (richer PR facts: ``merged_at``, ``additions``...),
  created or merged in the day. Optional: the replay layout has none.
- ``release``: an item of ``GET /repos/{o}/{r}/releases`` published (``published_at``, UTC) in the day; drafts
  never; ``prerelease`` as GitHub marks it; the event id is the ``tag_name``. Optional (``releases.json``).

Every payload has passed :mod:`infra_digest.sources.validate` (see its rules). A repository-day the source
cannot answer for (a replay folder that is absent, a day that has not begun) is a batch with ``error`` set:
"not recorded" is never "no activity".

A source never raises for one bad repository/day: it yields a batch with ``error`` set (and ``events``
holding whatever could be read, which the pipeline does NOT write, so previous good data stays).
It raises :class:`SourceError` only for problems that concern the whole source (bad configuration).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from infra_digest.watchlist import RepoSpec

EVENT_KINDS = ("commit", "issue", "pull", "release")


class SourceError(RuntimeError):
    """A clear, user-facing error about a source as a whole (bad directory, bad URL...)."""


@dataclass(frozen=True)
class RawEvent:
    kind: str  # one of EVENT_KINDS
    id: str  # commit sha, or issue/PR number as a string
    payload: dict[str, Any]  # the API object, unchanged


@dataclass
class DayBatch:
    repo: str
    day: dt.date
    events: list[RawEvent] = field(default_factory=list)
    error: str | None = None  # set when this repo/day could not be read completely
    notes: list[str] = field(default_factory=list)  # non-fatal remarks (truncated file lists, stale mirror...)
    stats: dict[str, int] = field(default_factory=dict)  # requests, cache hits... for metadata
    #: the source answered from data that may be out of date (a git mirror whose fetch failed); the batch is
    #: still ok. The notes say why in words; readers decide on this field, never on the notes' wording.
    stale: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@runtime_checkable
class Source(Protocol):
    #: how the source is named in the data (``raw.events.source``) and the report, e.g. "replay", "github", "git"
    name: str

    def fetch(self, repo: RepoSpec, days: Sequence[dt.date]) -> Iterator[DayBatch]:
        """Yield exactly one DayBatch per requested day, in the order given."""
        ...


def day_bounds(day: dt.date, tz: dt.tzinfo = dt.timezone.utc) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def parse_ts(value: str | None) -> dt.datetime | None:
    """Parse a GitHub ISO-8601 timestamp (``2026-02-18T20:09:35Z`` or with an offset) to aware UTC."""
    if not value:
        return None
    ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.timezone.utc)
    return ts.astimezone(dt.timezone.utc)


def day_of(value: str | None, tz: dt.tzinfo = dt.timezone.utc) -> dt.date | None:
    ts = parse_ts(value)
    return ts.astimezone(tz).date() if ts else None
