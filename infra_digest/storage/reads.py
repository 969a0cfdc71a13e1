"""Reading partitions back out of DuckDB as plain dicts (for the pure transforms).

Each query on DuckLake pays a fixed ~10-20 ms (catalog look-ups in PostgreSQL, file pruning) where a DuckDB file
pays well under 1 ms. Code that reads many days one at a time reads through a :class:`DayReader` made for those
days: it answers from one query per table for all the days. The reader is an explicit object passed down, not
state hidden behind the connection.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import duckdb
import pandas as pd

JSON_COLS = {"payload", "files", "notes", "stats"}


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description]
    out = []
    for values in cur.fetchall():
        row = dict(zip(cols, values))
        for c in JSON_COLS & row.keys():
            if isinstance(row[c], str):
                row[c] = json.loads(row[c])
        out.append(row)
    return out


def read_partitions(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    keys: Sequence[Mapping[str, Any]],
    columns: str = "*",
    order_by: str | None = None,
) -> list[dict[str, Any]]:
    """Rows of ``table`` whose (repo, day) is in ``keys``."""
    if not keys:
        return []
    frame = pd.DataFrame([{"repo": k["repo"], "day": k["day"]} for k in keys], dtype=object)  # noqa: F841
    conn.register("__read_keys", frame)
    try:
        sql = (f"SELECT {columns} FROM {table} t SEMI JOIN "
               f"(SELECT CAST(repo AS VARCHAR) AS repo, CAST(day AS DATE) AS day FROM __read_keys) k "
               f"ON t.repo = k.repo AND t.day = k.day")
        if order_by:
            sql += f" ORDER BY {order_by}"
        return _rows(conn.execute(sql))
    finally:
        conn.unregister("__read_keys")


DAY_TABLES = {"commits": "core.commits", "pull_requests": "core.pull_requests", "issues": "core.issues",
              "changes": "classified.changes", "fetch_log": "raw.fetch_log", "releases": "core.releases",
              "discussions": "core.discussions"}

#: How long the history of a repository must be before a day for its first-time contributors to mean anything: on
#: the first days of a history nearly every author is "new" (the shared replay's 3 days name 19 in vLLM).
FIRST_TIMER_MIN_HISTORY_DAYS = 14

#: Authors whose first commit in the history held lands on one of the days (``?::DATE[]``), per repository, only
#: where the history of that repository (commits, or days fetched without error) begins at least
#: ``FIRST_TIMER_MIN_HISTORY_DAYS`` before that day. By login, else by name; bots ("...[bot]") left out. The same
#: rule as sql/queries/32_first_time_contributors.sql.
FIRST_TIMERS_SQL = """
WITH who AS (
    SELECT repo, day, coalesce(author_login, author_name) AS who FROM core.commits
    WHERE coalesce(author_login, author_name) IS NOT NULL
), firsts AS (
    SELECT repo, who, min(day) AS first_day FROM who GROUP BY repo, who
), held AS (
    SELECT repo, min(day) AS since FROM (
        SELECT repo, day FROM core.commits UNION ALL SELECT repo, day FROM raw.fetch_log WHERE status = 'ok'
    ) GROUP BY repo
)
SELECT f.repo, f.first_day AS day, f.who FROM firsts f JOIN held h ON f.repo = h.repo
WHERE list_contains(?::DATE[], f.first_day) AND h.since <= f.first_day - CAST(? AS INTEGER)
  AND f.who NOT LIKE '%[bot]'
ORDER BY f.repo, lower(f.who)
"""


def first_timers(conn: duckdb.DuckDBPyConnection, days: Iterable[dt.date],
                 min_history_days: int = FIRST_TIMER_MIN_HISTORY_DAYS) -> dict[dt.date, dict[str, list[str]]]:
    """Per day and repository, the authors whose first commit in the history held lands on that day."""
    out: dict[dt.date, dict[str, list[str]]] = {}
    for repo, day, who in conn.execute(FIRST_TIMERS_SQL, [sorted(set(days)), int(min_history_days)]).fetchall():
        out.setdefault(day, {}).setdefault(repo, []).append(who)
    return out


class DayReader:
    """Reads partitions of a day, table by table. Given ``days``, the first read of a table (with a given
    ``extra_where``/``params``) fetches it for all of ``days`` in one query and later reads of those days answer
    from memory; other days are read one query each. Rows come back in the order the per-day query gives them.

    A reader is a snapshot of what it has read: do not read back through it what its owner writes meanwhile."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, days: Iterable[dt.date] = ()):
        self.conn = conn
        self.days = sorted(set(days))
        self._set = set(self.days)
        self._cache: dict[tuple[str, str, str], dict[dt.date, list[dict[str, Any]]]] = {}
        self._first_timers: dict[dt.date, dict[str, list[str]]] | None = None

    def read(self, day: dt.date, table: str, extra_where: str = "", params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        params = list(params)
        if day not in self._set:
            return _rows(self.conn.execute(f"SELECT * FROM {table} WHERE day = ? {extra_where}", [day, *params]))
        key = (table, extra_where, repr(params))
        by_day = self._cache.get(key)
        if by_day is None:
            days = self.days
            rows = _rows(self.conn.execute(
                f"SELECT * FROM {table} WHERE day BETWEEN ? AND ? AND list_contains(?::DATE[], day) {extra_where}",
                [days[0], days[-1], days, *params]))
            by_day = {}
            for row in rows:
                by_day.setdefault(row["day"], []).append(row)
            self._cache[key] = by_day
        return copy.deepcopy(by_day.get(day, []))  # callers may change what they get

    def first_timers(self, day: dt.date) -> dict[str, list[str]]:
        """Per repository, the first-time contributors of ``day`` (one query for all the reader's days)."""
        if day not in self._set:
            return first_timers(self.conn, [day]).get(day, {})
        if self._first_timers is None:
            self._first_timers = first_timers(self.conn, self.days)
        return copy.deepcopy(self._first_timers.get(day, {}))

    def load_day(self, day: dt.date) -> dict[str, Any]:
        """Everything the context of ``day`` is built from (the arguments of ``report.context.build_context``)."""
        return {**{name: self.read(day, table) for name, table in DAY_TABLES.items()},
                "first_timers": self.first_timers(day)}


@contextlib.contextmanager
def prefetch(conn: duckdb.DuckDBPyConnection, days: Iterable[dt.date]) -> Iterator[DayReader]:
    """A :class:`DayReader` for ``days`` (kept for callers written as ``with prefetch(conn, days) as reader``)."""
    yield DayReader(conn, days)


def read_day(conn: duckdb.DuckDBPyConnection, table: str, day: dt.date, extra_where: str = "", params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Rows of ``table`` for ``day`` (one query)."""
    return DayReader(conn).read(day, table, extra_where, params)


def load_day(conn: duckdb.DuckDBPyConnection | DayReader, day: dt.date) -> dict[str, Any]:
    """Everything the report of ``day`` is made of."""
    return (conn if isinstance(conn, DayReader) else DayReader(conn)).load_day(day)
