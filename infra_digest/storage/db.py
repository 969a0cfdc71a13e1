"""Connections to the history, with the DDL applied and a clear message when the file is busy.

Two backends behind one :func:`connect`, same tables and SQL:

- a DuckDB file (the default, e.g. ``data/infra_digest.duckdb``). DuckDB allows one read-write process per file
  (or many read-only ones). Writers keep connections short (open, write one transaction, close) and, when another
  process holds the lock, wait with a bounded, visible retry instead of failing at once;
- a DuckLake (``ducklake:postgres:dbname=... host=...``, see :mod:`infra_digest.storage.lake`): catalog in
  PostgreSQL, data as Parquet under a data path; many processes on many machines read and write at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from infra_digest import settings
from infra_digest.settings import PACKAGE_DIR
from infra_digest.storage import lake

log = logging.getLogger(__name__)


def _sql_dir() -> Path:
    # Source checkout: <root>/sql ; installed wheel: infra_digest/_sql (see pyproject force-include)
    for candidate in (PACKAGE_DIR.parent / "sql", PACKAGE_DIR / "_sql"):
        if (candidate / "ddl").is_dir():
            return candidate
    raise FileNotFoundError("cannot find the sql/ddl folder next to the infra_digest package")


SQL_DIR = _sql_dir()
QUERY_FOLDERS = ("queries", "checks")  # sql/queries: shipped, documented queries; sql/checks: the asset checks'


def query_text(name: str) -> str:
    """The text of the query ``name`` (``"10_fetch_problems"`` or ``"checks/known_links"``, with or without
    ``.sql``) from ``sql/``, the one copy of every query the code runs, without its final semicolon, so that
    callers can use it as a subquery: ``f"SELECT day, repo FROM ({query_text('10_fetch_problems')}) WHERE ..."``."""
    stem = name[:-4] if name.endswith(".sql") else name
    candidates = [SQL_DIR / f"{stem}.sql"] if "/" in stem else [SQL_DIR / folder / f"{stem}.sql" for folder in QUERY_FOLDERS]
    for path in candidates:
        if path.is_file():
            return path.read_text(encoding="utf-8").strip().rstrip(";").rstrip() + "\n"
    raise FileNotFoundError(f"no query {name!r} under {SQL_DIR}")


# Where a new DuckLake puts its Parquet files when the target has no ?data_path=: callers pass
# Settings.lake_data_path (the StorageResource does); a caller that passes none (the HTTP cache, which opens an
# existing lake, which remembers its data path) falls back to the variable.
ENV_LAKE_DATA_PATH = settings.ENV_LAKE_DATA_PATH

LakeError = lake.LakeError


class DatabaseBusyError(RuntimeError):
    """Another process holds the DuckDB file's write lock for longer than we were willing to wait."""


_LOCK_RE = re.compile(r"(Could not set lock|Conflicting lock|database is locked)", re.I)


def ddl_statements() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((SQL_DIR / "ddl").glob("*.sql"))]


def apply_ddl(conn: duckdb.DuckDBPyConnection) -> None:
    for text in ddl_statements():
        conn.execute(text)


_TABLE_RE = re.compile(r"CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\.(\w+)", re.I)


def ddl_tables() -> set[tuple[str, str]]:
    """(schema, table) of every table the DDL creates."""
    return {(m.group(1), m.group(2)) for text in ddl_statements() for m in _TABLE_RE.finditer(text)}


_ADD_COLUMN_RE = re.compile(r"ALTER\s+TABLE\s+(\w+)\.(\w+)\s+ADD\s+COLUMN\s+IF\s+NOT\s+EXISTS\s+\"?(\w+)\"?", re.I)


def ddl_added_columns() -> set[tuple[str, str, str]]:
    """(schema, table, column) of every column the DDL adds to histories created before it existed."""
    return {(m.group(1), m.group(2), m.group(3)) for text in ddl_statements() for m in _ADD_COLUMN_RE.finditer(text)}


_lake_ready: set[tuple] = set()  # (target, pid) whose DDL this process has checked


def _ensure_lake_ddl(conn: duckdb.DuckDBPyConnection, target: lake.LakeTarget, wait_seconds: float) -> None:
    """Create what is missing, once per process. Concurrent first runs race on CREATE, which DuckLake aborts
    in all but one of them: retry until every table is there."""
    key = (target, os.getpid())
    if key in _lake_ready:
        return
    expected = ddl_tables()
    deadline = time.monotonic() + max(wait_seconds, 30.0)
    delay = 0.05
    while True:
        have = set(conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database()"
        ).fetchall())
        columns = set(conn.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database()").fetchall())
        if expected <= have and ddl_added_columns() <= columns:  # a lake made before a column was added gets it
            break
        try:
            apply_ddl(conn)
        except duckdb.Error as exc:
            if not lake.is_conflict(exc) and "already exists" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)
    _lake_ready.add(key)


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


def describe_history(path: str | Path) -> str:
    """The history for people and metadata: a DuckDB file's absolute path, or a DuckLake target without secrets."""
    if is_lake(path):
        return re.sub(r"(password\s*=\s*)\S+", r"\1***", str(path), flags=re.I)
    return str(path) if str(path) == ":memory:" else str(Path(path).resolve())


def first_day_in_history(path: str | Path) -> dt.date | None:
    """The first day any repository was fetched for, or None (no history yet, a DuckLake, or a writer holds the
    file right now: callers use their default then). Never waits and never creates anything."""
    if is_lake(path) or str(path) == ":memory:" or not Path(path).is_file():
        return None
    try:
        with connect(path, read_only=True, wait_seconds=0) as conn:
            (first,) = conn.execute("SELECT min(day) FROM raw.fetch_log").fetchone()
    except (duckdb.Error, DatabaseBusyError, OSError):
        return None
    return first


def lock_down(conn: duckdb.DuckDBPyConnection) -> None:
    """Make an open read-only connection safe for untrusted SQL: no extension is installed or loaded, no file
    outside the database (and, for a DuckLake, its data) can be read or written, nothing reaches the network
    (``enable_external_access = false``), and no setting can be changed back (``lock_configuration``)."""
    if lake.is_lake_conn(conn):
        # A DuckLake reads its Parquet files through the file system at query time, and its connections are
        # cursors of one database instance shared by the process, whose settings outlive this command: there the
        # statement check of the caller (queries only) is what refuses writes, SET, ATTACH, INSTALL and LOAD.
        return
    conn.execute("SET autoinstall_known_extensions = false")
    conn.execute("SET autoload_known_extensions = false")
    conn.execute("SET enable_external_access = false")
    conn.execute("SET lock_configuration = true")


def is_lake(target: str | Path) -> bool:
    """True when ``target`` names a DuckLake (``ducklake:...``) rather than a DuckDB file."""
    return lake.is_lake(str(target))


@contextlib.contextmanager
def _connect_lake(target: str, read_only: bool, wait_seconds: float, data_path: str | None) -> Iterator[duckdb.DuckDBPyConnection]:
    spec = lake.parse_target(target, data_path or settings.env(ENV_LAKE_DATA_PATH))
    conn = lake.cursor(spec, read_only=read_only)
    lake.mark(conn)
    try:
        conn.execute("SET TimeZone = 'UTC'")
        if not read_only:
            _ensure_lake_ddl(conn, spec, wait_seconds)
        yield conn
    finally:
        lake.unmark(conn)
        conn.close()


@contextlib.contextmanager
def connect(path: str | Path, *, read_only: bool = False, wait_seconds: float = 120.0,
            data_path: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the history: a DuckDB file path, ``:memory:``, or a DuckLake target (``ducklake:...``).

    Writers get the DDL applied; the connection is closed on exit. On the file backend ``wait_seconds`` bounds
    the wait while another process holds the file (then :class:`DatabaseBusyError`). On DuckLake there is no
    lock to wait for; ``data_path`` (else ``$INFRA_DIGEST_LAKE_DATA_PATH``) is where a new lake puts its files,
    and a missing lake, catalog database or extension raises :class:`LakeError` (a ``FileNotFoundError``)."""
    if is_lake(path):
        with _connect_lake(str(path), read_only, wait_seconds, data_path) as conn:
            yield conn
        return
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
