"""The DuckLake backend: the same tables and SQL as the DuckDB file, stored as a lake (catalog + Parquet files).

A DuckLake target is a string starting with ``ducklake:``, passed wherever a DuckDB file path goes
(``--db``, ``INFRA_DIGEST_DB``, ``StorageResource(db_path=...)``)::

    ducklake:postgres:dbname=infra_digest_lake host=127.0.0.1 user=postgres
    ducklake:postgres:dbname=infra_digest_lake host=db.internal user=digest?data_path=s3://bucket/lake/
    ducklake:postgres:dbname=lake host=127.0.0.1 user=postgres?data_path=/shared/lake/&metadata_schema=digest

Everything after ``ducklake:`` up to an optional ``?option=value&...`` suffix is DuckLake's own metadata
catalog spec (``postgres:<libpq conninfo>`` for many clients on many machines; ``<file>.ducklake`` for a
single local client). The password never goes into the string: libpq reads ``PGPASSWORD`` / ``~/.pgpass``.
Our options (URL-encoded values):

- ``data_path``: where the Parquet files go (a local or shared folder, or ``s3://...`` with DuckDB's usual
  S3 credentials). Needed only when the lake is created; an existing lake remembers its data path. When absent,
  ``connect`` takes the ``data_path`` argument (the edge passes ``INFRA_DIGEST_LAKE_DATA_PATH``).
- ``metadata_schema``: the PostgreSQL schema holding the catalog tables (default: ``public``).

Extensions are loaded from the installed ``duckdb-extension-ducklake`` / ``duckdb-extension-postgres`` wheels,
never downloaded: the ducklake file loads as is; the postgres file must be loaded under the name
``postgres_scanner``, so it is linked (or copied) under that name into a per-user cache folder first.

One DuckDB in-memory instance per process and target holds the attached lake; each ``connect`` is a cursor on
it (its own transactions), so opening a connection costs milliseconds after the first (~0.5 s for loading the
extensions and attaching). Every transaction reads the latest committed snapshot of the lake.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass
from importlib import util as importlib_util
from pathlib import Path

import duckdb

PREFIX = "ducklake:"
ALIAS = "lake"  # the catalog name queries run in (USE lake): `raw.events` means lake.raw.events
OPTIONS = ("data_path", "metadata_schema")

# Write conflicts DuckLake does not resolve itself (two transactions deleting from one table, two creating the
# same table, ...), and transient catalog errors (snapshot id clash, serialization failure) that a retry fixes.
_CONFLICT_RE = re.compile(
    r"(transaction conflict|conflict|could not serialize|duplicate key value|deadlock detected|"
    r"current transaction is aborted|Failed to commit DuckLake transaction)",
    re.I,
)


class LakeError(FileNotFoundError):
    """The DuckLake backend cannot be used as configured: no lake yet, catalog database missing or unreachable,
    extension not installed. A ``FileNotFoundError`` so that callers which report a missing DuckDB file
    (``infra-digest sql``) report these the same way, in one line."""


def is_lake(target: object) -> bool:
    return isinstance(target, str) and target.startswith(PREFIX)


def is_conflict(exc: BaseException) -> bool:
    """True for a DuckLake write-write conflict (or transient catalog error): retrying the transaction fixes it."""
    return isinstance(exc, duckdb.Error) and bool(_CONFLICT_RE.search(str(exc)))


@dataclass(frozen=True)
class LakeTarget:
    catalog: str  # what follows "ducklake:" in ATTACH, e.g. "postgres:dbname=x host=y"
    data_path: str | None = None
    metadata_schema: str | None = None

    @property
    def attach_uri(self) -> str:
        return PREFIX + self.catalog

    def describe(self) -> str:
        """For messages: the catalog without anything that looks like a password."""
        return re.sub(r"(password\s*=\s*)\S+", r"\1***", self.attach_uri, flags=re.I)


def parse_target(target: str, data_path: str | None = None) -> LakeTarget:
    """``ducklake:<catalog>[?data_path=...&metadata_schema=...]`` -> :class:`LakeTarget`.

    The ``?`` suffix is ours only when every key in it is one of :data:`OPTIONS`; otherwise (a
    ``postgresql://...?sslmode=require`` URL, say) the string is left to DuckLake untouched."""
    if not is_lake(target):
        raise ValueError(f"not a DuckLake target: {target!r}")
    body = target[len(PREFIX):]
    opts: dict[str, str] = {}
    head, sep, tail = body.rpartition("?")
    if sep and tail:
        pairs = [p.partition("=") for p in tail.split("&")]
        if all(k in OPTIONS and eq for k, eq, _ in pairs):
            body = head
            opts = {k: urllib.parse.unquote(v) for k, _, v in pairs}
    body = body.strip()
    if not body:
        raise LakeError(f"{target!r}: say where the DuckLake catalog is, e.g. ducklake:postgres:dbname=lake host=127.0.0.1")
    return LakeTarget(catalog=body, data_path=opts.get("data_path") or data_path or None,
                      metadata_schema=opts.get("metadata_schema") or None)


# -- extensions ---------------------------------------------------------------------------------------------
def _wheel_extension(package: str, name: str, pip_name: str) -> Path:
    version = duckdb.__version__
    spec = importlib_util.find_spec(package)
    hint = f"pip install {pip_name}=={version}"
    if spec is None or not spec.submodule_search_locations:
        raise LakeError(f"the DuckLake backend needs the DuckDB '{name}' extension, which is not installed: {hint}")
    for root in spec.submodule_search_locations:
        path = Path(root) / "extensions" / f"v{version}" / f"{name}.duckdb_extension"
        if path.is_file():
            return path
    found = sorted(p.parent.name for root in spec.submodule_search_locations
                   for p in Path(root).glob(f"extensions/*/{name}.duckdb_extension"))
    raise LakeError(f"the installed {pip_name} ({', '.join(found) or 'no extension file'}) does not match "
                    f"duckdb {version}: {hint}")


def _as_named(path: Path, name: str) -> Path:
    """``path`` reachable as ``<cache>/<name>.duckdb_extension`` (DuckDB derives the entry point from the file name)."""
    cache = Path(tempfile.gettempdir()) / f"infra_digest-duckdb-ext-{os.getuid()}" / f"v{duckdb.__version__}"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{name}.duckdb_extension"
    try:
        if target.is_symlink() and os.readlink(target) == str(path):
            return target
        tmp = cache / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            os.symlink(path, tmp)
        except OSError:  # no symlinks on this filesystem: copy
            shutil.copyfile(path, tmp)
        os.replace(tmp, target)  # atomic: concurrent processes never see a half-made file
    except OSError as exc:
        raise LakeError(f"cannot prepare the {name} extension in {cache}: {exc}") from None
    return target


def extension_files() -> dict[str, Path]:
    """The ``LOAD``-able extension files: {"ducklake": ..., "postgres_scanner": ...}."""
    ducklake = _wheel_extension("duckdb_extension_ducklake", "ducklake", "duckdb-extension-ducklake")
    postgres = _wheel_extension("duckdb_extension_postgres", "postgres", "duckdb-extension-postgres")
    return {"ducklake": ducklake, "postgres_scanner": _as_named(postgres, "postgres_scanner")}


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def new_session(target: LakeTarget, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB with the extensions loaded (offline) and the lake attached as ``lake``."""
    conn = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        needs_pg = target.catalog.startswith("postgres:")
        for name, path in extension_files().items():
            if name == "postgres_scanner" and not needs_pg:
                continue
            conn.execute(f"LOAD {_sql_str(str(path))}")
        opts = []
        if target.data_path and not read_only:
            opts.append(f"DATA_PATH {_sql_str(target.data_path)}")
        if target.metadata_schema:
            opts.append(f"METADATA_SCHEMA {_sql_str(target.metadata_schema)}")
        if read_only:
            opts.append("READ_ONLY")
        try:
            conn.execute(f"ATTACH {_sql_str(target.attach_uri)} AS {ALIAS}" + (f" ({', '.join(opts)})" if opts else ""))
        except duckdb.Error as exc:
            raise LakeError(_attach_message(target, read_only, exc)) from None
        return conn
    except BaseException:
        conn.close()
        raise


def _attach_message(target: LakeTarget, read_only: bool, exc: duckdb.Error) -> str:
    text = str(exc)
    where = target.describe()
    if "does not exist - and creating a new DuckLake is explicitly disabled" in text:
        return f"no DuckLake history at {where} yet: run `infra-digest run --db '{target.attach_uri}' ...` first"
    if "data_path is not set" in text:
        return (f"{where} is a new DuckLake: say where its data files go with INFRA_DIGEST_LAKE_DATA_PATH "
                "or a '?data_path=DIR' suffix (a shared folder or s3://bucket/prefix/)")
    m = re.search(r'database "([^"]+)" does not exist', text)
    if m:
        return f"the DuckLake catalog database {m.group(1)!r} does not exist: create it first (createdb {m.group(1)})"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"cannot open the DuckLake {where}: {first}"


# -- one attached instance per process and target --------------------------------------------------------------
_sessions: dict[tuple, duckdb.DuckDBPyConnection] = {}
_sessions_lock = threading.Lock()


def session(target: LakeTarget, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """The process's attached instance for ``target`` (created on first use; a forked child makes its own)."""
    key = (target, read_only, os.getpid())
    with _sessions_lock:
        conn = _sessions.get(key)
        if conn is None:
            for stale in [k for k in _sessions if k[2] != os.getpid()]:
                _sessions.pop(stale, None)  # inherited across fork(): never touch it
            conn = _sessions[key] = new_session(target, read_only=read_only)
        return conn


def cursor(target: LakeTarget, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A new connection (own transactions) on the process's attached lake, with ``lake`` as default catalog."""
    try:
        cur = session(target, read_only=read_only).cursor()
    except duckdb.ConnectionException:  # the cached instance was closed under us: start again
        with _sessions_lock:
            _sessions.pop((target, read_only, os.getpid()), None)
        cur = session(target, read_only=read_only).cursor()
    cur.execute(f"USE {ALIAS}")
    return cur


# Connections handed out by db.connect for a lake, by id (DuckDB connections take no attributes or weakrefs).
_lake_conns: set[int] = set()


def mark(conn: duckdb.DuckDBPyConnection) -> None:
    _lake_conns.add(id(conn))


def unmark(conn: duckdb.DuckDBPyConnection) -> None:
    _lake_conns.discard(id(conn))


def is_lake_conn(conn: object) -> bool:
    """True for a connection opened by ``connect("ducklake:...")`` (and still open)."""
    return id(conn) in _lake_conns


def reset_sessions() -> None:
    """Close every cached attachment of this process (tests; after dropping a catalog)."""
    with _sessions_lock:
        for key, conn in list(_sessions.items()):
            if key[2] == os.getpid():
                try:
                    conn.close()
                except duckdb.Error:
                    pass
        _sessions.clear()
