"""Scale-out benchmark: the same backfill on the three deployments, with a reader querying the history throughout.

    .venv/bin/python bench/scale_bench.py [REPLAY_DIR] [--days 90] [--modes file,lake1,lake2,celery]

REPLAY_DIR defaults to a fresh `bench/gen_replay.py --days DAYS` directory (8 repositories, ~110 items a day).
Modes (each on a fresh store; PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 for all but `file`):

- file:   DuckDB file, one writer: `infra-digest run --date FIRST --to LAST` (SQLite Dagster instance).
- lake1:  the same single CLI process on DuckLake (catalog in a temporary PostgreSQL database, Parquet in a
          temporary folder): what the backend alone costs.
- lake2:  DuckLake, 2 concurrent CLI processes, each half of the days (all repositories), each its own instance.
- celery: DuckLake + dagster-celery, 2 workers (`dagster-celery worker start ... -- --concurrency=1`), Dagster
          instance on PostgreSQL; the ingest backfill as the daemon would split it (one run per repository, all
          days; --celery-runs halves: 2 runs of half the days), all runs at once, then 2 report runs (halves).

During each mode a reader process runs `connect(read_only=True)` + sql/queries/01_activity_per_repo_week.sql
(a history query over everything) every --read-every seconds and records each query's latency, waiting included (the DuckDB file makes
readers wait while a run writes; DuckLake never does). Printed: wall time, read latency min/median/p95/max and
number of reads, DuckLake conflicts retried. Everything it creates (databases, workers, folders) is removed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
PG = {"host": os.environ.get("PGHOST", "127.0.0.1"), "port": os.environ.get("PGPORT", "5432"),
      "user": os.environ.get("PGUSER", "postgres"), "password": os.environ.get("PGPASSWORD", "")}
REDIS = os.environ.get("INFRA_DIGEST_BENCH_REDIS", "redis://127.0.0.1:6379")
HISTORY_QUERY = ROOT / "sql" / "queries" / "01_activity_per_repo_week.sql"

READER = r"""
import json, signal, sys, time
from pathlib import Path
from infra_digest.storage.db import connect
stop = False
def _stop(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, _stop)
db, query, PAUSE = sys.argv[1], Path(sys.argv[2]).read_text(), float(sys.argv[3])
lat, errors, empty = [], [], 0
while not stop:
    t = time.perf_counter()
    try:
        with connect(db, read_only=True, wait_seconds=900) as conn:
            rows = conn.execute(query).fetchall()
        lat.append(time.perf_counter() - t)
        time.sleep(PAUSE)  # a user or dashboard querying now and then, not a tight loop competing for the CPUs
    except FileNotFoundError:  # nothing written yet
        empty += 1
        time.sleep(0.2)
    except Exception as exc:
        errors.append(str(exc).splitlines()[0][:200])
        time.sleep(0.2)
print(json.dumps({"lat": lat, "errors": errors[:5], "n_errors": len(errors), "not_yet": empty}))
"""

COORDINATOR = r"""
import sys, dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository
from infra_digest.defs.partitions import range_tags
job, first, last, r0, r1, root = sys.argv[1:7]
tags = range_tags(first, last, r0, r1) if job == "ingest_job" else range_tags(first, last)
recon = ReconstructableRepository.for_module("infra_digest.definitions", "defs", working_directory=root)
with dg.DagsterInstance.get() as instance:
    result = dg.execute_job(recon.get_reconstructable_job(job), instance=instance, tags=tags)
    sys.exit(0 if result.success else 1)
"""

STATS = r"""
import json, sys
from infra_digest.storage.db import connect
with connect(sys.argv[1], read_only=True) as c:
    out = {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in
           ("raw.events", "core.commits", "classified.changes", "report.daily")}
print(json.dumps(out))
"""


# -- helpers ----------------------------------------------------------------------------------------------------------
def pg_admin():
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", connect_timeout=3, host=PG["host"], port=PG["port"], user=PG["user"],
                            password=PG["password"])
    conn.autocommit = True
    return conn


def pg_sql(sql: str) -> None:
    conn = pg_admin()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def lake_uri(db: str) -> str:
    return f"ducklake:postgres:dbname={db} host={PG['host']} port={PG['port']} user={PG['user']}"


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return out


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        for c in children(proc.pid):
            os.kill(c, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def start_reader(db: str, env: dict, pause: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", READER, db, str(HISTORY_QUERY), str(pause)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def finish_reader(reader: subprocess.Popen) -> dict:
    reader.send_signal(signal.SIGTERM)
    out, err = reader.communicate(timeout=900)
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"lat": [], "errors": [err[-300:]], "n_errors": 1, "not_yet": 0}


def run_all(cmds: list[tuple[list[str], dict]], cwd: Path) -> None:
    procs = [subprocess.Popen(c, env=e, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True) for c, e in cmds]
    failed = []
    for p, (c, _) in zip(procs, cmds):
        out, err = p.communicate()
        if p.returncode != 0:
            failed.append(f"{' '.join(c[:6])}...: {err.strip()[-1500:]}")
    if failed:
        raise RuntimeError("\n".join(failed))


def halves(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    n = (last - first).days + 1
    mid = first + dt.timedelta(days=n // 2 - 1)
    return [(first, mid), (mid + dt.timedelta(days=1), last)]


def fmt_lat(lat: list[float]) -> str:
    if not lat:
        return "no reads"
    s = sorted(lat)
    p95 = s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]
    return f"{s[0]:.2f} / {statistics.median(s):.2f} / {p95:.2f} / {s[-1]:.2f} s ({len(s)} reads)"


def table_counts(db: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", STATS, db], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


# -- modes ---------------------------------------------------------------------------------------------------------------
def mode_cli(work: Path, env: dict, db: str, ranges: list[tuple[dt.date, dt.date]]) -> float:
    cmds = []
    for i, (a, b) in enumerate(ranges):
        home = work / f"home{i}"
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        cmds.append(([sys.executable, "-m", "infra_digest.cli", "run", "--date", a.isoformat(), "--to", b.isoformat(),
                      "--db", db, "--out", str(work / "reports")], {**env, "DAGSTER_HOME": str(home)}))
    t = time.perf_counter()
    run_all(cmds, work)
    return time.perf_counter() - t


def mode_celery(work: Path, env: dict, db: str, first: dt.date, last: dt.date, split: str, created: list) -> tuple[float, dict]:
    from infra_digest.watchlist import load_watchlist

    repos = [r.repo for r in load_watchlist()]
    inst_db = f"bench_instance_{uuid.uuid4().hex[:8]}"
    pg_sql(f'CREATE DATABASE "{inst_db}"')
    created.append(inst_db)
    queue = f"bench_{uuid.uuid4().hex[:8]}"
    home = work / "home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "postgres" / "dagster.yaml", home / "dagster.yaml")
    env = {**env, "DAGSTER_HOME": str(home), "DAGSTER_PG_HOST": PG["host"], "DAGSTER_PG_PORT": str(PG["port"]),
           "DAGSTER_PG_USERNAME": PG["user"], "DAGSTER_PG_PASSWORD": PG["password"], "DAGSTER_PG_DB": inst_db,
           "INFRA_DIGEST_DB": db, "INFRA_DIGEST_EXECUTOR": "celery", "INFRA_DIGEST_CELERY_QUEUE": queue,
           "INFRA_DIGEST_CELERY_BROKER": f"{REDIS}/0", "INFRA_DIGEST_CELERY_BACKEND": f"{REDIS}/1",
           "INFRA_DIGEST_REPORTS_DIR": str(work / "reports")}
    yaml_path = work / "celery.yaml"
    yaml_path.write_text(subprocess.run([sys.executable, "-m", "infra_digest.defs.executors"], env=env, cwd=ROOT,
                                        capture_output=True, text=True, check=True).stdout)
    subprocess.run([sys.executable, "-c", "from infra_digest.storage.db import connect\nimport dagster as dg, os\n"
                    "with connect(os.environ['INFRA_DIGEST_DB']): pass\n"
                    # = `dagster instance concurrency set duckdb 8`: on DuckLake, steps of parallel runs may write at
                    # once. Set before the runs start: on a fresh instance, runs starting together race to create
                    # the pool's row (UniqueViolation on concurrency_limits).
                    "with dg.DagsterInstance.get() as i: i.event_log_storage.set_concurrency_slots('duckdb', 8)"],
                   env=env, cwd=ROOT, check=True, capture_output=True)
    workers = []
    try:
        for name in ("w1", "w2"):
            log = open(work / f"{name}.log", "w")
            workers.append(subprocess.Popen(
                [str(VENV_BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app", "-y", str(yaml_path),
                 "-q", queue, "-n", f"{name}-{queue}", "--loglevel", "WARNING", "--", "--concurrency=1",
                 "--without-mingle", "--without-gossip"],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        time.sleep(6)  # workers up (their first task also pays the import of the definitions)
        if split == "repo":
            ingest = [(first, last, r, r) for r in repos]
        else:
            ingest = [(a, b, repos[0], repos[-1]) for a, b in halves(first, last)]
        t = time.perf_counter()
        run_all([([sys.executable, "-c", COORDINATOR, "ingest_job", a.isoformat(), b.isoformat(), r0, r1, str(ROOT)], env)
                 for a, b, r0, r1 in ingest], ROOT)
        t_ingest = time.perf_counter() - t
        run_all([([sys.executable, "-c", COORDINATOR, "report_job", a.isoformat(), b.isoformat(), "", "", str(ROOT)], env)
                 for a, b in halves(first, last)], ROOT)
        wall = time.perf_counter() - t
        return wall, {"ingest_s": round(t_ingest, 1), "runs": len(ingest) + 2}
    finally:
        for w in workers:
            stop(w)
        try:
            import redis

            r = redis.Redis.from_url(f"{REDIS}/0")
            for key in r.scan_iter(f"*{queue}*"):
                r.delete(key)
        except Exception:  # noqa: BLE001
            pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("replay", nargs="?", help="replay directory (default: generate one)")
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--start", default="2026-01-01", help="first day (of the generated directory)")
    ap.add_argument("--modes", default="file,lake1,lake2,celery")
    ap.add_argument("--celery-runs", choices=("repo", "halves"), default="repo",
                    help="repo: one ingest run per repository (how the daemon splits a days x repos backfill); halves: 2 runs")
    ap.add_argument("--read-every", type=float, default=0.5, help="seconds the reader pauses between queries")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()

    work_root = Path(tempfile.mkdtemp(prefix="scale_bench_"))
    first = dt.date.fromisoformat(args.start)
    last = first + dt.timedelta(days=args.days - 1)
    replay = Path(args.replay) if args.replay else work_root / "replay"
    if not args.replay:
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_replay.py"), str(replay), "--days", str(args.days),
                        "--start", first.isoformat()], check=True, capture_output=True)
        from infra_digest.demo.builders import write_replay
        from infra_digest.watchlist import load_watchlist

        # every watched repository recorded every day (an absent folder means "not recorded")
        write_replay(replay, recorded=[((first + dt.timedelta(days=i)).isoformat(), r.repo)
                                       for i in range(args.days) for r in load_watchlist()])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRA_DIGEST_", "DAGSTER_"))}
    env.update({"PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}", "INFRA_DIGEST_START_DATE": first.isoformat(),
                "INFRA_DIGEST_SOURCE": f"replay:{replay}", "INFRA_DIGEST_LANG": "en", "PYTHONUNBUFFERED": "1"})
    print(f"scale bench: {args.days} days x 8 repositories from {replay} ({os.cpu_count()} CPUs)", flush=True)
    rows, created = [], []
    try:
        for mode in args.modes.split(","):
            work = work_root / mode
            work.mkdir()
            extra = {}
            if mode == "file":
                db = str(work / "history.duckdb")
            else:
                name = f"bench_lake_{uuid.uuid4().hex[:8]}"
                pg_sql(f'CREATE DATABASE "{name}"')
                created.append(name)
                db = lake_uri(name)
                env_mode = {**env, "INFRA_DIGEST_LAKE_DATA_PATH": f"{work / 'lake'}/"}
                subprocess.run([sys.executable, "-c", f"from infra_digest.storage.db import connect\nwith connect({db!r}): pass"],
                               env=env_mode, cwd=ROOT, check=True, capture_output=True)
            menv = {**env, "INFRA_DIGEST_LAKE_DATA_PATH": f"{work / 'lake'}/"}
            reader = start_reader(db, menv, args.read_every)
            try:
                if mode == "file":
                    wall = mode_cli(work, menv, db, [(first, last)])
                elif mode == "lake1":
                    wall = mode_cli(work, menv, db, [(first, last)])
                elif mode == "lake2":
                    wall = mode_cli(work, menv, db, halves(first, last))
                elif mode == "celery":
                    wall, extra = mode_celery(work, menv, db, first, last, args.celery_runs, created)
                else:
                    raise SystemExit(f"unknown mode {mode}")
            finally:
                r = finish_reader(reader)
            counts = table_counts(db, menv)
            rows.append((mode, wall, r, counts, extra))
            print(f"  {mode:7s} wall {wall:6.1f} s | read latency min/median/p95/max {fmt_lat(r['lat'])}"
                  f"{' | read errors ' + str(r['n_errors']) + ': ' + '; '.join(r['errors']) if r['n_errors'] else ''}"
                  f" | {counts} {extra or ''}", flush=True)
    finally:
        for name in created:
            try:
                pg_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop {name}: {exc}", file=sys.stderr)
        if args.keep:
            print(f"work folder kept: {work_root}")
        else:
            shutil.rmtree(work_root, ignore_errors=True)
    print()
    print("| deployment | wall s | history query latency during the run: min / median / p95 / max (reads) |")
    print("| --- | --- | --- |")
    labels = {"file": "(a) DuckDB file, 1 writer process", "lake1": "DuckLake, 1 process",
              "lake2": "(b) DuckLake, 2 concurrent processes", "celery": "(c) DuckLake + Celery, 2 workers"}
    for mode, wall, r, counts, extra in rows:
        print(f"| {labels.get(mode, mode)} | {wall:.1f} | {fmt_lat(r['lat'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
