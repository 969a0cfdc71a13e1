"""Partitions: UTC days, the watched repositories, and their product.

One ``DailyPartitionsDefinition`` object is shared by the multi-partition's date dimension and the day-level
assets, so Dagster maps a report day ``D`` to all ``D|<repo>`` partitions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import dagster as dg

from infra_digest.watchlist import RepoSpec


def build_partitions(watchlist: Iterable[RepoSpec], start_date: str, timezone: str = "UTC"):
    daily = dg.DailyPartitionsDefinition(start_date=start_date, timezone=timezone)
    repos = dg.StaticPartitionsDefinition([r.repo for r in watchlist])
    date_repo = dg.MultiPartitionsDefinition({"date": daily, "repo": repos})
    return daily, repos, date_repo


def keys_by_repo(partition_keys: Iterable[str | dg.MultiPartitionKey]) -> dict[str, list[dt.date]]:
    """``["2026-02-18|a/b", ...]`` -> ``{"a/b": [date(2026, 2, 18), ...]}`` (days sorted)."""
    out: dict[str, set[dt.date]] = defaultdict(set)
    for key in partition_keys:
        if isinstance(key, dg.MultiPartitionKey):
            day, repo = key.keys_by_dimension["date"], key.keys_by_dimension["repo"]
        else:
            day, repo = str(key).split("|", 1)
        out[repo].add(dt.date.fromisoformat(day))
    return {repo: sorted(days) for repo, days in out.items()}


def range_tags(first_day: str, last_day: str, first_repo: str | None = None, last_repo: str | None = None) -> dict[str, str]:
    """Tags that make one run cover a partition range (a rectangle for multi-partitions)."""
    start = f"{first_day}|{first_repo}" if first_repo else first_day
    end = f"{last_day}|{last_repo}" if last_repo else last_day
    return {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}
