"""Transactional partition writes: delete the partitions' rows, insert the new ones, in one transaction.

Re-running a partition gives identical tables (idempotent); a failure rolls back and leaves the previous
data in place. Rows are handed to DuckDB as a pandas DataFrame (one vectorised INSERT, not row by row).

On DuckLake (many writers at once, optimistic concurrency) the same calls keep the same guarantees:

- DuckLake aborts the COMMIT of a transaction that deleted from a table another transaction deleted from since
  it began (row-level disjointness is not checked). :func:`transaction` records every
  :func:`replace_partitions` of its body and, on such a conflict, rolls back, waits (exponential backoff with
  jitter) and replays the recorded writes in a fresh transaction, for up to ``retry_seconds``. The replay reads
  nothing from the aborted attempt, so it is exactly the write the caller asked for, against the latest data.
- Deleting rows of an EMPTY partition deletes nothing, so two first loads of different partitions never conflict
  (a fresh backfill runs fully in parallel). Two writers of the SAME empty partition would then both insert:
  after each commit the written partitions are counted, and a partition holding more rows than were written is
  replaced again (now a real DELETE, so the conflict check orders the writers; the last one wins).
- Only writes made through :func:`replace_partitions` are replayed: inside :func:`transaction` on DuckLake, do
  not write with raw SQL (use :func:`run_transaction` for that, which retries a whole function).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import duckdb
import pandas as pd

from infra_digest.storage import lake

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_SECONDS = 300.0  # how long a DuckLake write keeps retrying conflicts before giving up
_VERIFY_ROUNDS = 3

# Counters for this process (benchmarks and tests read them): conflicts retried, partitions re-written after a race.
stats = {"conflict_retries": 0, "verify_replays": 0}

# id(conn) -> the replace_partitions calls of the DuckLake transaction open on that connection
_recording: dict[int, list[tuple]] = {}

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
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name],
    ).fetchall()
    if not cols:
        raise KeyError(f"no table {table}")
    return [c[0] for c in cols]


@contextlib.contextmanager
def transaction(conn: duckdb.DuckDBPyConnection, *, retry_seconds: float = RETRY_SECONDS) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction around the body; on DuckLake, conflicts are retried (see the module docstring)."""
    if not lake.is_lake_conn(conn) or id(conn) in _recording:  # file backend, or nested in a lake transaction
        conn.execute("BEGIN TRANSACTION")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
        return
    ops: list[tuple] = []
    _recording[id(conn)] = ops
    try:
        conn.execute("BEGIN TRANSACTION")
        try:
            yield conn
        except BaseException:
            _rollback(conn)
            raise
        _commit_lake(conn, ops, retry_seconds)
    finally:
        _recording.pop(id(conn), None)


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    try:
        conn.execute("ROLLBACK")
    except duckdb.Error:
        pass  # a failed COMMIT has already rolled back


class _Backoff:
    def __init__(self, seconds: float, what: str) -> None:
        self.deadline = time.monotonic() + seconds
        self.delay = 0.05
        self.attempts = 0
        self.what = what

    def wait(self, exc: BaseException) -> None:
        """Sleep before the next attempt, or re-raise ``exc`` when the time is up."""
        self.attempts += 1
        stats["conflict_retries"] += 1
        if time.monotonic() >= self.deadline:
            raise exc
        if self.attempts in (1, 10, 50):
            log.info("DuckLake write conflict on %s, retrying (attempt %d): %s", self.what, self.attempts,
                     str(exc).strip().splitlines()[-1][:200])
        time.sleep(self.delay * (0.5 + random.random()))
        self.delay = min(self.delay * 1.7, 2.0)


def _commit_lake(conn: duckdb.DuckDBPyConnection, ops: list[tuple], retry_seconds: float) -> None:
    backoff = _Backoff(retry_seconds, ", ".join(sorted({op[0] for op in ops})) or "a transaction")
    replay = False
    rounds = 0
    while True:
        try:
            if replay:
                conn.execute("BEGIN TRANSACTION")
                for table, keys, rows in ops:
                    _replace(conn, table, keys, rows)
            conn.execute("COMMIT")
        except duckdb.Error as exc:
            _rollback(conn)
            if not ops or not lake.is_conflict(exc):
                raise  # nothing we could replay (a commit of raw SQL), or a real error
            backoff.wait(exc)
            replay = True
            continue
        # Committed. Did a concurrent writer of the same (empty) partition insert too? Then write it again.
        rounds += 1
        if rounds > _VERIFY_ROUNDS or _partitions_as_written(conn, ops):
            return
        stats["verify_replays"] += 1
        log.warning("DuckLake: a concurrent write of the same partition of %s was detected; replacing it again",
                    ", ".join(sorted({op[0] for op in ops})))
        replay = True


def _partitions_as_written(conn: duckdb.DuckDBPyConnection, ops: list[tuple]) -> bool:
    for table, keys, rows in ops:
        if not keys:
            continue
        key_cols = list(keys[0].keys())
        expected = len(rows)
        conn.register("__verify_keys", _keys_frame(keys, key_cols))
        try:
            cond = " AND ".join(f"t.{c} = k.{c}" for c in key_cols)
            casts = ", ".join(f"CAST({c} AS {_key_type(c)}) AS {c}" for c in key_cols)
            (found,) = conn.execute(
                f"SELECT count(*) FROM {table} t SEMI JOIN (SELECT DISTINCT {casts} FROM __verify_keys) k ON {cond}"
            ).fetchone()
        finally:
            conn.unregister("__verify_keys")
        if found != expected:
            return False
    return True


def run_transaction(conn: duckdb.DuckDBPyConnection, fn: Callable[[duckdb.DuckDBPyConnection], T], *,
                    retry_seconds: float = RETRY_SECONDS) -> T:
    """Run ``fn(conn)`` in one transaction; on a DuckLake conflict run all of it again (it must be safe to repeat:
    compute what to write before, write inside). On the file backend: one plain transaction."""
    if not lake.is_lake_conn(conn):
        with transaction(conn):
            return fn(conn)
    backoff = _Backoff(retry_seconds, getattr(fn, "__name__", "a transaction"))
    while True:
        conn.execute("BEGIN TRANSACTION")
        try:
            result = fn(conn)
            conn.execute("COMMIT")
            return result
        except duckdb.Error as exc:
            _rollback(conn)
            if not lake.is_conflict(exc):
                raise
            backoff.wait(exc)
        except BaseException:
            _rollback(conn)
            raise


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
    if lake.is_lake_conn(conn):
        ops = _recording.get(id(conn))
        if ops is None:  # not inside transaction(): make this call its own (retried) transaction
            with transaction(conn):
                return replace_partitions(conn, table, keys, rows)
        keys, rows = [dict(k) for k in keys], list(rows)
        _replace(conn, table, keys, rows)
        ops.append((table, keys, rows))
        return len(rows)
    return _replace(conn, table, keys, rows)


def _keys_frame(keys: Sequence[Mapping[str, Any]], key_cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame([dict(k) for k in keys], columns=key_cols, dtype=object)


def _replace(conn: duckdb.DuckDBPyConnection, table: str, keys: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]) -> int:
    key_cols = list(keys[0].keys())
    columns = table_columns(conn, table)
    keys_df = _keys_frame(keys, key_cols)
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
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ?",
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
