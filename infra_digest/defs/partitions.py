"""Partitions: UTC days, the watched repositories, and their product.

One ``DailyPartitionsDefinition`` object is shared by the multi-partition's date dimension and the day-level
assets, so Dagster maps a report day ``D`` to all ``D|<repo>`` partitions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

import dagster as dg

from infra_digest.defs.constants import RANGE_END, RANGE_START
from infra_digest.settings import DEFAULT_START_DAYS_BACK, Settings
from infra_digest.storage.db import first_day_in_history
from infra_digest.pipeline.ingest import PartitionKey
from infra_digest.pipeline.ingest import keys_by_repo as _keys_by_repo
from infra_digest.watchlist import RepoSpec


class Partitions(NamedTuple):
    daily: dg.DailyPartitionsDefinition
    repos: dg.StaticPartitionsDefinition
    date_repo: dg.MultiPartitionsDefinition


def partition_start(settings: Settings, today: dt.date | None = None) -> str:
    """The first day of the date partitions: ``settings.start_date`` (``INFRA_DIGEST_START_DATE``) when set, else
    90 days back or the first day the history holds, whichever is earlier."""
    if settings.start_date:
        return settings.start_date
    today = today or dt.datetime.now(dt.timezone.utc).date()
    start = today - dt.timedelta(days=DEFAULT_START_DAYS_BACK)
    first = first_day_in_history(settings.db)
    return min(start, first).isoformat() if first else start.isoformat()


def build_partitions(watchlist: Iterable[RepoSpec], start_date: str, timezone: str = "UTC") -> Partitions:
    daily = dg.DailyPartitionsDefinition(start_date=start_date, timezone=timezone)
    repos = dg.StaticPartitionsDefinition([r.repo for r in watchlist])
    return Partitions(daily, repos, dg.MultiPartitionsDefinition({"date": daily, "repo": repos}))


def partition_keys(keys: Iterable[str | dg.MultiPartitionKey]) -> list[PartitionKey]:
    """Dagster's date x repo keys (``"2026-02-18|a/b"`` or ``MultiPartitionKey``) as typed keys, order kept."""
    out = []
    for key in keys:
        if isinstance(key, dg.MultiPartitionKey):
            day, repo = key.keys_by_dimension["date"], key.keys_by_dimension["repo"]
        else:
            day, repo = str(key).split("|", 1)
        out.append(PartitionKey(dt.date.fromisoformat(day), repo))
    return out


def keys_by_repo(keys: Iterable[str | dg.MultiPartitionKey]) -> dict[str, list[dt.date]]:
    """``["2026-02-18|a/b", ...]`` -> ``{"a/b": [date(2026, 2, 18), ...]}`` (days sorted)."""
    return _keys_by_repo(partition_keys(keys))


def range_tags(first_day: str, last_day: str, first_repo: str | None = None, last_repo: str | None = None) -> dict[str, str]:
    """Tags that make one run cover a partition range (a rectangle for multi-partitions)."""
    start = f"{first_day}|{first_repo}" if first_repo else first_day
    end = f"{last_day}|{last_repo}" if last_repo else last_day
    return {RANGE_START: start, RANGE_END: end}
