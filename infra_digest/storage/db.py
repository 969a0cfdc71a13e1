"""Connections to the DuckDB history, with the DDL applied and a clear message when the file is busy.

DuckDB allows one read-write process per file (or many read-only ones). Writers keep connections short
(open, write one transaction, close) and, when another process holds the lock, wait with a bounded,
visible retry instead of failing at once.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from infra_digest.settings import PACKAGE_DIR

log = logging.getLogger(__name__)


def _sql_dir() -> Path:
    # Source checkout: <root>/sql ; installed wheel: infra_digest/_sql (see pyproject force-include)
    for candidate in (PACKAGE_DIR.parent / "sql", PACKAGE_DIR / "_sql"):
        if (candidate / "ddl").is_dir():
            return candidate
    raise FileNotFoundError("cannot find the sql/ddl folder next to the infra_digest package")


SQL_DIR = _sql_dir()


class DatabaseBusyError(RuntimeError):
    """Another process holds the DuckDB file's write lock for longer than we were willing to wait."""


_LOCK_RE = re.compile(r"(Could not set lock|Conflicting lock|database is locked)", re.I)


def ddl_statements() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((SQL_DIR / "ddl").glob("*.sql"))]


def apply_ddl(conn: duckdb.DuckDBPyConnection) -> None:
    for text in ddl_statements():
        conn.execute(text)


def _open(path: str, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    announced = False
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _LOCK_RE.search(str(exc)):
                raise
            if time.monotonic() >= deadline:
                pid = re.search(r"PID (\d+)", str(exc))
                who = f" (held by process {pid.group(1)})" if pid else ""
                raise DatabaseBusyError(
                    f"the history database {path} is being written by another process{who}; "
                    f"gave up after waiting {wait_seconds:.0f}s. Retry when the run has finished, "
                    "or use the DuckLake backend for concurrent readers and writers."
                ) from None
            if not announced:
                log.warning("database %s is busy (another process is writing); waiting up to %.0fs", path, wait_seconds)
                announced = True
            time.sleep(delay)
            delay = min(delay * 1.6, 1.0)


@contextlib.contextmanager
def connect(path: str | Path, *, read_only: bool = False, wait_seconds: float = 120.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the history database. Writers get the DDL applied; the connection is closed on exit."""
    path = str(path)
    if path != ":memory:" and not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    if read_only and path != ":memory:" and not Path(path).exists():
        raise FileNotFoundError(f"no history database at {path}: run `infra-digest run --date ...` first")
    conn = _open(path, read_only, wait_seconds)
    try:
        conn.execute("SET TimeZone = 'UTC'")
        if not read_only:
            apply_ddl(conn)
        yield conn
    finally:
        conn.close()
