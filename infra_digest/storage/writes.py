"""Transactional partition writes: delete the partitions' rows, insert the new ones, in one transaction.

Re-running a partition gives identical tables (idempotent); a failure rolls back and leaves the previous
data in place. Rows are handed to DuckDB as a pandas DataFrame (one vectorised INSERT, not row by row).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import duckdb
import pandas as pd

# Columns stored as JSON text, per table.
JSON_COLUMNS = {
    "raw.events": {"payload"},
    "raw.fetch_log": {"notes", "stats"},
    "core.commits": {"files"},
    "report.daily": {"stats"},
}


def table_columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".")
    cols = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name],
    ).fetchall()
    if not cols:
        raise KeyError(f"no table {table}")
    return [c[0] for c in cols]


@contextlib.contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def _frame(rows: Sequence[Mapping[str, Any]], columns: list[str], json_cols: set[str]) -> pd.DataFrame:
    data = {c: [r.get(c) for r in rows] for c in columns}
    for c in json_cols & set(columns):
        data[c] = [None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True, default=str) for v in data[c]]
    return pd.DataFrame(data, columns=columns, dtype=object)


def replace_partitions(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    keys: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
) -> int:
    """Delete the rows of ``table`` matching any of ``keys`` (dicts over the same key columns), then insert
    ``rows``. Call inside :func:`transaction` to make several tables change together. Returns rows inserted."""
    if not keys:
        return 0
    key_cols = list(keys[0].keys())
    columns = table_columns(conn, table)
    keys_df = pd.DataFrame([dict(k) for k in keys], columns=key_cols, dtype=object)  # noqa: F841 (scanned by DuckDB)
    cond = " AND ".join(f"t.{c} = k.{c}" for c in key_cols)
    casts = ", ".join(f"CAST({c} AS {_key_type(c)}) AS {c}" for c in key_cols)
    conn.register("__keys", keys_df)
    try:
        conn.execute(f"DELETE FROM {table} t USING (SELECT {casts} FROM __keys) k WHERE {cond}")
    finally:
        conn.unregister("__keys")
    if not rows:
        return 0
    for r in rows:
        missing = [c for c in key_cols if c not in r]
        if missing:
            raise ValueError(f"{table}: row without key columns {missing}")
    frame = _frame(rows, columns, JSON_COLUMNS.get(table, set()))
    types = dict(conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        table.split("."),
    ).fetchall())
    select = ", ".join(f'CAST("{c}" AS {types[c]}) AS "{c}"' for c in columns)
    conn.register("__rows", frame)
    try:
        conn.execute(f'INSERT INTO {table} ({", ".join(chr(34) + c + chr(34) for c in columns)}) SELECT {select} FROM __rows')
    finally:
        conn.unregister("__rows")
    return len(rows)


def _key_type(col: str) -> str:
    return {"day": "DATE", "repo": "VARCHAR", "lang": "VARCHAR"}.get(col, "VARCHAR")
