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
              "changes": "classified.changes", "fetch_log": "raw.fetch_log"}


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

    def load_day(self, day: dt.date) -> dict[str, list[dict[str, Any]]]:
        """Everything the context of ``day`` is built from (the arguments of ``report.context.build_context``)."""
        return {name: self.read(day, table) for name, table in DAY_TABLES.items()}


@contextlib.contextmanager
def prefetch(conn: duckdb.DuckDBPyConnection, days: Iterable[dt.date]) -> Iterator[DayReader]:
    """A :class:`DayReader` for ``days`` (kept for callers written as ``with prefetch(conn, days) as reader``)."""
    yield DayReader(conn, days)


def read_day(conn: duckdb.DuckDBPyConnection, table: str, day: dt.date, extra_where: str = "", params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Rows of ``table`` for ``day`` (one query)."""
    return DayReader(conn).read(day, table, extra_where, params)


def load_day(conn: duckdb.DuckDBPyConnection | DayReader, day: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Everything the report of ``day`` is made of."""
    return (conn if isinstance(conn, DayReader) else DayReader(conn)).load_day(day)
