"""Reading partitions back out of DuckDB as plain dicts (for the pure transforms)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
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


def read_day(conn: duckdb.DuckDBPyConnection, table: str, day: dt.date, extra_where: str = "", params: Iterable[Any] = ()) -> list[dict[str, Any]]:
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
