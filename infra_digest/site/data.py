"""What the site reads from the history: the reports (latest per day and language) and the classified items."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import duckdb

from infra_digest.deliver.select import read_items


@dataclasses.dataclass
class Report:
    day: dt.date
    lang: str
    markdown: str
    html: str
    stats: dict[str, Any]
    generated_at: dt.datetime

    @property
    def totals(self) -> dict[str, Any]:
        t = self.stats.get("totals") if isinstance(self.stats, dict) else None
        return t if isinstance(t, dict) else {}

    @property
    def failed_repos(self) -> list[str]:
        f = self.stats.get("failed_repos") if isinstance(self.stats, dict) else None
        return [str(x) for x in f] if isinstance(f, list) else []


@dataclasses.dataclass
class History:
    reports: dict[str, list[Report]]            # lang -> reports, newest first
    items: list[dict[str, Any]]                 # classified.changes rows (with flags), oldest first

    @property
    def langs(self) -> list[str]:
        order = ("zh", "en")
        return sorted(self.reports, key=lambda lang: (order.index(lang) if lang in order else 9, lang))

    def report(self, lang: str, day: dt.date) -> Report | None:
        for r in self.reports.get(lang, ()):
            if r.day == day:
                return r
        return None

    def days(self, lang: str) -> list[dt.date]:
        return [r.day for r in self.reports.get(lang, ())]


def _stats(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        v = json.loads(value) if isinstance(value, str) else {}
    except ValueError:
        return {}
    return v if isinstance(v, dict) else {}


def _aware(ts: Any) -> dt.datetime:
    if isinstance(ts, dt.datetime):
        return ts if ts.tzinfo else ts.replace(tzinfo=dt.timezone.utc)
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def load_history(conn: duckdb.DuckDBPyConnection, langs: Sequence[str] | None = None) -> History:
    rows = conn.execute(
        """SELECT day, lang, arg_max(markdown, generated_at), arg_max(html, generated_at), arg_max(stats, generated_at),
                  max(generated_at)
           FROM report.daily GROUP BY day, lang ORDER BY lang, day DESC"""
    ).fetchall()
    reports: dict[str, list[Report]] = {}
    for day, lang, md, html, stats, gen in rows:
        if langs and lang not in langs:
            continue
        reports.setdefault(lang, []).append(Report(day, lang, md or "", html or "", _stats(stats), _aware(gen)))
    days = [r.day for rs in reports.values() for r in rs]
    items = read_items(conn, min(days), max(days)) if days else []
    return History(reports=reports, items=items)
