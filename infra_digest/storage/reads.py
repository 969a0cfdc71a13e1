"""Reading partitions back out of DuckDB as plain dicts (for the pure transforms).

Each query on DuckLake pays a fixed ~10-20 ms (catalog look-ups in PostgreSQL, file pruning) where a DuckDB file
pays well under 1 ms. Code that reads many days one at a time can wrap the loop in :func:`prefetch`: inside it,
:func:`read_day` / :func:`load_day` answer from one query per table for all the days.
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


# id(conn) -> {"days": sorted days, "set": set of days, "cache": {(table, extra_where, params): {day: rows}}}
_prefetch: dict[int, dict[str, Any]] = {}


@contextlib.contextmanager
def prefetch(conn: duckdb.DuckDBPyConnection, days: Iterable[dt.date]) -> Iterator[None]:
    """Within the block, ``read_day(conn, table, d, ...)`` for a ``d`` in ``days`` reads ``table`` once for all
    ``days`` (per distinct ``extra_where``/``params``) and answers from memory. Rows come back in the order the
    per-day query gives them. Do not read back through it what the block itself writes."""
    ds = sorted(set(days))
    _prefetch[id(conn)] = {"days": ds, "set": set(ds), "cache": {}}
    try:
        yield
    finally:
        _prefetch.pop(id(conn), None)


def read_day(conn: duckdb.DuckDBPyConnection, table: str, day: dt.date, extra_where: str = "", params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    params = list(params)
    pf = _prefetch.get(id(conn))
    if pf is not None and day in pf["set"]:
        key = (table, extra_where, repr(params))
        by_day = pf["cache"].get(key)
        if by_day is None:
            days = pf["days"]
            rows = _rows(conn.execute(
                f"SELECT * FROM {table} WHERE day BETWEEN ? AND ? AND list_contains(?::DATE[], day) {extra_where}",
                [days[0], days[-1], days, *params]))
            by_day = {}
            for row in rows:
                by_day.setdefault(row["day"], []).append(row)
            pf["cache"][key] = by_day
        return copy.deepcopy(by_day.get(day, []))  # callers may change what they get
    return _rows(conn.execute(f"SELECT * FROM {table} WHERE day = ? {extra_where}", [day, *params]))


def load_day(conn: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Everything the report of ``day`` is made of."""
    return {
        "commits": read_day(conn, "core.commits", day),
        "pull_requests": read_day(conn, "core.pull_requests", day),
        "issues": read_day(conn, "core.issues", day),
        "changes": read_day(conn, "classified.changes", day),
        "fetch_log": read_day(conn, "raw.fetch_log", day),
    }
