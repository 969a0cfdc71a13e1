"""Periods, filters and ranking: which classified items a subscription gets for the period ending on a day."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb

from infra_digest.deliver.subscriptions import Subscription

# Only GitHub web links from the data become links; anything else is shown as text, or not at all.
GITHUB_URL_RE = re.compile(r"^https://github\.com/[A-Za-z0-9][A-Za-z0-9._/~%+#=&?-]*$")

# Ranking weights: explainable, and the reasons are kept on each item.
FLAG_WEIGHTS = {"security": 50, "crash": 40, "regression": 35, "breaking": 30, "release": 25, "default-change": 20}
TYPE_WEIGHTS = {"fix": 12, "bug": 12, "feature": 10, "perf": 10, "revert": 8, "feature-request": 5, "refactor": 4,
                "ci-failure": 3, "roadmap": 3, "build": 3, "other": 2, "question": 1, "docs": 0, "test": 0, "ci": 0}
KIND_ORDER = {"pull_request": 0, "commit": 1, "issue": 2}


def is_github_url(url: Any) -> bool:
    return isinstance(url, str) and bool(GITHUB_URL_RE.match(url)) and ".." not in url


@dataclasses.dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    key: str            # daily:2026-02-18 | weekly:2026-02-12..2026-02-18

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def weekly(self) -> bool:
        return self.key.startswith("weekly:")


def period_for(sub: Subscription, day: dt.date) -> Period | None:
    """The subscription's period that ends on ``day``, or None when none does (a weekly one on another weekday)."""
    if sub.weekday is None:
        return Period(day, day, f"daily:{day}")
    if day.weekday() != sub.weekday:
        return None
    start = day - dt.timedelta(days=6)
    return Period(start, day, f"weekly:{start}..{day}")


def next_period_end(sub: Subscription, day: dt.date) -> dt.date:
    if sub.weekday is None:
        return day
    return day + dt.timedelta(days=(sub.weekday - day.weekday()) % 7)


def _columns(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?", [schema, table]
    ).fetchall()
    return {r[0] for r in rows}


def read_items(conn: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """classified.changes rows of the days, as dicts with list columns as tuples (``flags`` empty when absent)."""
    cols = _columns(conn, "classified", "changes")
    if not cols:
        return []
    flags = "flags" if "flags" in cols else "[]::VARCHAR[]"
    rows = conn.execute(
        f"""SELECT repo, day, item_kind, item_id, title, url, change_type, hardware, "precision", topics, models,
                   {flags} AS flags
            FROM classified.changes WHERE day BETWEEN ? AND ? ORDER BY day, repo, item_kind, item_id""",
        [first, last],
    ).fetchall()
    keys = ("repo", "day", "item_kind", "item_id", "title", "url", "change_type", "hardware", "precision", "topics",
            "models", "flags")
    out = []
    for row in rows:
        item = dict(zip(keys, row))
        for k in ("hardware", "precision", "topics", "models", "flags"):
            item[k] = tuple(v for v in (item[k] or ()) if isinstance(v, str))
        out.append(item)
    return out


_FILTER_FIELDS = {"repos": "repo", "hardware": "hardware", "precision": "precision", "topics": "topics",
                  "models": "models", "change_types": "change_type", "flags": "flags"}


def matches(item: Mapping[str, Any], filters: Mapping[str, Sequence[str]]) -> bool:
    """OR within a key, AND across keys; no filters match everything."""
    for key, wanted in filters.items():
        value = item.get(_FILTER_FIELDS[key])
        have = {value} if isinstance(value, str) else set(value or ())
        if key == "repos":
            have = {v.lower() for v in have}
            wanted = [w.lower() for w in wanted]
        if not have.intersection(wanted):
            return False
    return True


def score(item: Mapping[str, Any]) -> tuple[int, list[str]]:
    """An explainable importance score and its reasons."""
    total, reasons = 0, []
    for f in item.get("flags") or ():
        w = FLAG_WEIGHTS.get(f, 10)
        total += w
        reasons.append(f"flag:{f}+{w}")
    w = TYPE_WEIGHTS.get(item.get("change_type") or "other", 2)
    if w:
        total += w
        reasons.append(f"type:{item.get('change_type')}+{w}")
    for field, per in (("hardware", 8), ("precision", 8), ("models", 3)):
        n = min(len(item.get(field) or ()), 2)
        if n:
            total += per * n
            reasons.append(f"{field}+{per * n}")
    return total, reasons


def rank(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Items most important first (score, then newer day, then pull requests before commits before issues);
    each with ``score`` and ``reasons``. Deterministic."""
    out = []
    for it in items:
        s, why = score(it)
        out.append({**it, "score": s, "reasons": why})
    out.sort(key=lambda it: (-it["score"], -it["day"].toordinal(), it["repo"], KIND_ORDER.get(it["item_kind"], 9),
                             str(it["item_id"])))
    return out


def select(conn: duckdb.DuckDBPyConnection, sub: Subscription, period: Period) -> list[dict[str, Any]]:
    """The subscription's items for the period, ranked."""
    return rank(it for it in read_items(conn, period.start, period.end) if matches(it, sub.filters))
