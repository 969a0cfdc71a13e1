"""Storage backends: DuckLake on the local PostgreSQL (same tables, same SQL, concurrent writers, consistent readers,
offline extensions) and the DuckDB file's busy message.

The DuckLake tests need PostgreSQL on 127.0.0.1:5432 (PGHOST/PGPORT/PGUSER/PGPASSWORD override); they are skipped,
saying so, when it is unreachable. Each test module creates its own temporary catalog database and drops it.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from infra_digest.storage import lake
from infra_digest.storage.db import DatabaseBusyError, LakeError, connect, ddl_tables
from infra_digest.storage.writes import replace_partitions, transaction
from infra_digest_tests.conftest import DAY, PG, create_pg_database, drop_pg_database, pg_admin, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[1]


# -- PostgreSQL (helpers in conftest; also used by test_celery) ---------------------------------------------------
def pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        pg_admin().close()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL at {PG['host']}:{PG['port']} is unreachable ({str(exc).strip().splitlines()[0]})"


def lake_uri(dbname: str, data_path: Path | None = None) -> str:
    uri = f"ducklake:postgres:dbname={dbname} host={PG['host']} port={PG['port']} user={PG['user']}"
    return uri + (f"?data_path={data_path}/" if data_path else "")


@pytest.fixture(scope="module")
def lake_db(tmp_path_factory):
    why = pg_available()
    if why:
        pytest.skip(why)
    name = create_pg_database("infra_digest_lake_test")
    data = tmp_path_factory.mktemp("lake_data")
    try:
        yield lake_uri(name, data), lake_uri(name)  # (for writers creating the lake, for readers)
    finally:
        lake.reset_sessions()
        drop_pg_database(name)


def table_rows(db: str, table: str, ignore=("fetched_at", "generated_at", "changed_at")) -> list[tuple]:
    with connect(db, read_only=True) as conn:
        cols = [c for (c,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() "
            "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position", table.split(".")).fetchall()
            if c not in ignore]
        sel = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
        return sorted(conn.execute(f"SELECT {sel} FROM {table}").fetchall(), key=lambda r: tuple("" if v is None else v for v in r))


def strip_generated(markdown_or_html: str) -> str:
    import re

    text = re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?( ?UTC|Z|\+00:00)?", "<ts>", markdown_or_html)
    return re.sub(r'"files_dir": "[^"]*"', '"files_dir": "<dir>"', text)  # where each run wrote its files (stats)


def compare_histories(a: str, b: str) -> None:
    """Every table of the DDL equal row for row (fetch, change and generation times aside; report text with its
    generation time masked, and the report folder each run wrote to)."""
    for schema, name in sorted(ddl_tables()):
        table = f"{schema}.{name}"
        ra, rb = table_rows(a, table), table_rows(b, table)
        if table == "report.daily":
            ra = [tuple(strip_generated(v) if isinstance(v, str) else v for v in r) for r in ra]
            rb = [tuple(strip_generated(v) if isinstance(v, str) else v for v in r) for r in rb]
        assert ra == rb, f"{table} differs between {a} and {b}"


# -- offline extensions ---------------------------------------------------------------------------------------------------
def test_extensions_load_from_the_wheels_without_download():
    files = lake.extension_files()
    assert files["ducklake"].name == "ducklake.duckdb_extension"
    assert files["postgres_scanner"].name == "postgres_scanner.duckdb_extension"
    conn = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for path in files.values():
        conn.execute(f"LOAD '{path}'")
    loaded = {n for (n,) in conn.execute("SELECT extension_name FROM duckdb_extensions() WHERE loaded").fetchall()}
    assert {"ducklake", "postgres_scanner"} <= loaded


def test_missing_extension_names_the_package(monkeypatch):
    real = lake.importlib_util.find_spec
    monkeypatch.setattr(lake.importlib_util, "find_spec",
                        lambda name, *a: None if name == "duckdb_extension_ducklake" else real(name, *a))
    with pytest.raises(LakeError, match=rf"pip install duckdb-extension-ducklake=={duckdb.__version__}"):
        lake.extension_files()


def test_target_parsing():
    t = lake.parse_target("ducklake:postgres:dbname=l host=h user=u?data_path=/srv/lake%20x/&metadata_schema=digest")
    assert (t.catalog, t.data_path, t.metadata_schema) == ("postgres:dbname=l host=h user=u", "/srv/lake x/", "digest")
    t = lake.parse_target("ducklake:postgres:postgresql://u@h/l?sslmode=require", data_path="s3://b/p/")
    assert (t.catalog, t.data_path) == ("postgres:postgresql://u@h/l?sslmode=require", "s3://b/p/")
    assert lake.parse_target("ducklake:postgres:dbname=l password=secret").describe().endswith("password=***")
    with pytest.raises(LakeError):
        lake.parse_target("ducklake:")


def test_missing_lake_and_missing_catalog_are_one_clear_line(capsys):
    why = pg_available()
    if why:
        pytest.skip(why)
    name = create_pg_database("infra_digest_lake_empty")
    try:
        with pytest.raises(LakeError, match="no DuckLake history"):
            with connect(lake_uri(name), read_only=True):
                pass
        with pytest.raises(LakeError, match="data files go"):  # a writer creating a lake needs a data path
            with connect(lake_uri(name)):
                pass
        assert run_cli("sql", "SELECT 1", "--db", lake_uri(name)) == 1
        err = capsys.readouterr().err.strip()
        assert "no DuckLake history" in err and len(err.splitlines()) == 1
    finally:
        lake.reset_sessions()
        drop_pg_database(name)
    with pytest.raises(LakeError, match="does not exist: create it first"):
        with connect(lake_uri("infra_digest_no_such_db_" + uuid.uuid4().hex[:6]), read_only=True):
            pass


# -- same tables, same SQL ------------------------------------------------------------------------------------------------
def test_pipeline_on_ducklake_equals_the_duckdb_file(workdir: Path, replay_dir: Path, lake_db, capsys):
    writer_uri, reader_uri = lake_db
    file_db = str(workdir / "file.duckdb")
    common = ("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--lang", "en")
    assert run_cli(*common, "--db", file_db, "--out", str(workdir / "rep_file")) == 0
    assert run_cli(*common, "--db", writer_uri, "--out", str(workdir / "rep_lake")) == 0
    compare_histories(file_db, reader_uri)
    # re-running is idempotent
    assert run_cli(*common, "--db", reader_uri, "--out", str(workdir / "rep_lake")) == 0
    compare_histories(file_db, reader_uri)
    assert strip_generated((workdir / "rep_lake" / f"{DAY}.en.md").read_text()) == \
        strip_generated((workdir / "rep_file" / f"{DAY}.en.md").read_text())
    # prefetch (one query per table for many days) answers exactly like day-by-day reads, on both backends
    from infra_digest.storage.reads import DAY_TABLES, DayReader, load_day, read_day

    class Counting:  # the connection as DayReader sees it, counting the queries it sends
        def __init__(self, conn):
            self.conn, self.queries = conn, 0

        def execute(self, *args):
            self.queries += 1
            return self.conn.execute(*args)

    for db in (file_db, reader_uri):
        with connect(db, read_only=True) as conn:
            days = [dt.date.fromisoformat(DAY) - dt.timedelta(days=1), dt.date.fromisoformat(DAY)]
            plain = [(load_day(conn, d), read_day(conn, "summaries.items", d, "AND lang = ?", ["en"])) for d in days]
            counting = Counting(conn)
            reader = DayReader(counting, days)
            fetched = [(reader.load_day(d), reader.read(d, "summaries.items", "AND lang = ?", ["en"])) for d in days]
            assert fetched == plain and plain[1][0]["commits"]
            # one query per table (and one for the first-time contributors) for both days, not one per day
            assert counting.queries == len(DAY_TABLES) + 1 + 1
            assert reader.load_day(days[0]) == plain[0][0] and counting.queries == len(DAY_TABLES) + 2
    # every shipped query gives the same answer on both backends, through the CLI
    queries = sorted((ROOT / "sql" / "queries").glob("*.sql"))
    assert len(queries) >= 8
    capsys.readouterr()
    for q in queries:
        outs = []
        for db in (file_db, reader_uri):
            assert run_cli("sql", str(q), "--db", db, "--format", "json", "--limit", "0") == 0, q.name
            outs.append(strip_generated(capsys.readouterr().out))
        assert outs[0] == outs[1], q.name
    # a plain DuckDB session, as docs/scaling.md shows it, reads the same history
    conn = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for path in lake.extension_files().values():
        conn.execute(f"LOAD '{path}'")
    conn.execute(f"ATTACH '{reader_uri}' AS lake (READ_ONLY)")
    conn.execute("USE lake")
    n_lake = conn.execute("SELECT count(*) FROM classified.changes").fetchone()[0]
    with connect(file_db, read_only=True) as fc:
        assert n_lake == fc.execute("SELECT count(*) FROM classified.changes").fetchone()[0] > 0
    conn.close()


def test_failed_write_leaves_previous_data(lake_db):
    writer_uri, _ = lake_db
    key = {"repo": "fail/test", "day": dt.date(2030, 1, 1)}
    row = {**key, "source": "replay", "status": "ok", "error": None, "notes": None, "stats": None, "items": 1,
           "fetched_at": dt.datetime.now(dt.timezone.utc)}
    with connect(writer_uri) as conn:
        with transaction(conn):
            replace_partitions(conn, "raw.fetch_log", [key], [row])
        with pytest.raises(RuntimeError), transaction(conn):
            replace_partitions(conn, "raw.fetch_log", [key], [{**row, "items": 2}, {**row, "items": 3}])
            raise RuntimeError("the step failed half way")
        with pytest.raises(ValueError), transaction(conn):  # a bad row: nothing of this write lands
            replace_partitions(conn, "raw.fetch_log", [key], [{**row, "items": 4}, {"repo": "fail/test"}])
        assert conn.execute("SELECT items FROM raw.fetch_log WHERE repo = 'fail/test'").fetchall() == [(1,)]


# -- concurrency ----------------------------------------------------------------------------------------------------------
ROWS = 40  # rows per partition and write


def _writer(uri: str, worker: int, repos: int, rounds: int, start, out) -> None:
    """Re-write this worker's partitions ``rounds`` times, each round one transaction over three tables.
    Generation g of a partition: ROWS events with ids 'g-i', one fetch_log row with items = g, ROWS issues."""
    from infra_digest.storage.writes import stats as wstats

    start.wait()
    now = dt.datetime.now(dt.timezone.utc)
    day = dt.date(2030, 2, 1)
    with connect(uri) as conn:
        for g in range(1, rounds + 1):
            keys = [{"repo": f"w{worker}/r{j}", "day": day} for j in range(repos)]
            events = [{**k, "kind": "issue", "id": f"{g}-{i}", "payload": {"g": g}, "source": "replay", "fetched_at": now}
                      for k in keys for i in range(ROWS)]
            log = [{**k, "source": "replay", "status": "ok", "error": None, "notes": None, "stats": None, "items": g,
                    "fetched_at": now} for k in keys]
            issues = [{**k, "number": g * 1000 + i, "title": f"t{g}", "body": None, "url": "u", "author_login": None,
                       "state": "open", "labels": [], "created_at": None, "comments": 0, "source": "replay"}
                      for k in keys for i in range(ROWS)]
            with transaction(conn):
                replace_partitions(conn, "raw.events", keys, events)
                replace_partitions(conn, "raw.fetch_log", keys, log)
                replace_partitions(conn, "core.issues", keys, issues)
    out.put((worker, dict(wstats)))


CHECK_SQL = """
    SELECT l.repo, l.items AS g,
           (SELECT count(*) FROM raw.events e WHERE e.repo = l.repo AND e.day = l.day) AS n_events,
           (SELECT count(DISTINCT split_part(e.id, '-', 1)) FROM raw.events e WHERE e.repo = l.repo AND e.day = l.day) AS gens,
           (SELECT min(CAST(split_part(e.id, '-', 1) AS INTEGER)) FROM raw.events e WHERE e.repo = l.repo AND e.day = l.day) AS eg,
           (SELECT count(*) FROM core.issues i WHERE i.repo = l.repo AND i.day = l.day) AS n_issues,
           (SELECT min(i.number // 1000) FROM core.issues i WHERE i.repo = l.repo AND i.day = l.day) AS ig,
           (SELECT count(*) FROM raw.fetch_log f WHERE f.repo = l.repo AND f.day = l.day) AS n_log
    FROM raw.fetch_log l WHERE l.day = DATE '2030-02-01' AND l.repo LIKE 'w%/r%'
"""


def _reader(uri: str, stop, out) -> None:
    """Poll while the writers run: every partition visible must be one whole generation in all three tables."""
    reads, bad = 0, []
    with connect(uri, read_only=True) as conn:
        while not stop.is_set():
            for repo, g, n_events, gens, eg, n_issues, ig, n_log in conn.execute(CHECK_SQL).fetchall():
                if not (n_events == ROWS and gens == 1 and eg == g and n_issues == ROWS and ig == g and n_log == 1):
                    bad.append((repo, g, n_events, gens, eg, n_issues, ig, n_log))
            reads += 1
    out.put(("reader", reads, bad[:5]))


def test_concurrent_writers_never_lose_or_duplicate_and_readers_see_whole_partitions(lake_db):
    writer_uri, reader_uri = lake_db
    with connect(writer_uri):  # create the lake before the race (the DDL race is covered by _ensure_lake_ddl)
        pass
    ctx = mp.get_context("spawn")
    workers, repos, rounds = 4, 3, 4
    start, stop, out = ctx.Barrier(workers), ctx.Event(), ctx.Queue()
    started = time.monotonic()
    procs = [ctx.Process(target=_writer, args=(writer_uri, w, repos, rounds, start, out)) for w in range(workers)]
    reader = ctx.Process(target=_reader, args=(reader_uri, stop, out))
    reader.start()
    for p in procs:
        p.start()
    try:
        for p in procs:
            p.join(timeout=240)
            assert p.exitcode == 0, f"writer {p.pid} exited with {p.exitcode}"
    finally:
        stop.set()
        reader.join(timeout=60)
        for p in [*procs, reader]:
            if p.is_alive():
                p.kill()
    results = [out.get(timeout=10) for _ in range(workers + 1)]
    conflicts = sum(r[1]["conflict_retries"] for r in results if r[0] != "reader")
    (_, reads, bad) = next(r for r in results if r[0] == "reader")
    assert reads > 0 and bad == [], f"a reader saw a partial partition: {bad}"
    with connect(reader_uri, read_only=True) as conn:
        final = conn.execute(CHECK_SQL).fetchall()
    assert len(final) == workers * repos, "a partition was lost"
    for repo, g, n_events, gens, eg, n_issues, ig, n_log in final:
        assert (g, n_events, gens, eg, n_issues, ig, n_log) == (rounds, ROWS, 1, rounds, ROWS, rounds, 1), repo
    # The re-writes DELETE from the same tables at the same time, which DuckLake aborts: they were retried.
    assert conflicts > 0, "expected DuckLake write conflicts to have happened (and been retried)"
    print(f"\n{workers} writers x {rounds} rounds: {conflicts} conflicts retried, {reads} consistent reads, "
          f"{time.monotonic() - started:.1f}s")


def _same_partition_writer(uri: str, rows: int, start, out) -> None:
    from infra_digest.storage.writes import stats as wstats

    key = {"repo": "race/same", "day": dt.date(2030, 3, 1)}
    now = dt.datetime.now(dt.timezone.utc)
    with connect(uri) as conn:
        start.wait()
        with transaction(conn):
            replace_partitions(conn, "raw.events", [key], [
                {**key, "kind": "commit", "id": f"{rows}-{i}", "payload": {}, "source": "replay", "fetched_at": now}
                for i in range(rows)])
    out.put(dict(wstats))


def test_two_writers_of_the_same_empty_partition_leave_one_copy(lake_db):
    writer_uri, reader_uri = lake_db
    with connect(writer_uri):
        pass
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_same_partition_writer, args=(writer_uri, n, start, out)) for n in (7, 11)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    with connect(reader_uri, read_only=True) as conn:
        (n, gens) = conn.execute(
            "SELECT count(*), count(DISTINCT split_part(id, '-', 1)) FROM raw.events WHERE repo = 'race/same'").fetchone()
    assert gens == 1 and n in (7, 11), f"{n} rows from {gens} writers"


# -- the DuckDB file: a reader is told the file is busy -------------------------------------------------------------------
def test_busy_duckdb_file_reader_waits_then_says_so(tmp_path: Path):
    db = tmp_path / "busy.duckdb"
    with connect(str(db)):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from infra_digest.storage.db import connect\n"
         f"with connect({str(db)!r}) as c:\n    print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "infra_digest.cli", "sql", "SELECT 1", "--db", str(db), "--wait", "2"],
                              capture_output=True, text=True, cwd=ROOT, timeout=60)
        waited = time.monotonic() - started
        assert proc.returncode == 1
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("infra-digest:")]
        assert len(lines) == 1, proc.stderr
        assert "is being written by another process" in lines[0] and "gave up after waiting 2s" in lines[0]
        assert f"process {holder.pid}" in lines[0]
        assert waited >= 2
        with pytest.raises(DatabaseBusyError):
            with connect(str(db), read_only=True, wait_seconds=0.3):
                pass
    finally:
        holder.kill()
        holder.wait()
    # the lock is gone: the reader gets in at once
    with connect(str(db), read_only=True, wait_seconds=0) as conn:
        assert conn.execute("SELECT count(*) FROM raw.events").fetchone() == (0,)
