"""The pipeline on several processes, as an operator would run it: dagster-celery's executor with two workers
started by Dagster's own command, the Dagster instance and the DuckLake catalog on the local PostgreSQL, Redis as
broker, a backfill of 3 replay days x every repository (one run per day, as the daemon splits such a backfill,
all three at once), a reader querying the history throughout; then the tables must equal those of a plain
single-process run on a DuckDB file, row for row.

Needs PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379); skipped, saying which is missing, without them.
Deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from infra_digest.storage import lake
from infra_digest_tests.conftest import PG, create_pg_database, drop_pg_database
from infra_digest_tests.test_ducklake import compare_histories, lake_uri, pg_available

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
FIRST, DAYS = dt.date(2026, 1, 1), 3
REDIS_URL = os.environ.get("INFRA_DIGEST_TEST_REDIS", "redis://127.0.0.1:6379")

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

# The run coordinator: what `dagster job execute` / the default run launcher would do, with a range tag.
COORDINATOR = """
import sys, dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository
from infra_digest.defs.partitions import range_tags
from infra_digest.watchlist import load_watchlist
job, first, last = sys.argv[1:4]
repos = [r.repo for r in load_watchlist()]
tags = range_tags(first, last, repos[0], repos[-1]) if job == "ingest_job" else range_tags(first, last)
recon = ReconstructableRepository.for_module("infra_digest.definitions", "defs", working_directory=sys.argv[4])
with dg.DagsterInstance.get() as instance:
    result = dg.execute_job(recon.get_reconstructable_job(job), instance=instance, tags=tags)
    workers = {str(e.event_specific_data.metadata.get("Celery worker").value) for e in result.all_events
               if e.event_type_value == "ENGINE_EVENT" and e.event_specific_data is not None
               and "Celery worker" in (e.event_specific_data.metadata or {})}
    print("WORKERS", ",".join(sorted(workers)), flush=True)
    sys.exit(0 if result.success else 1)
"""


def _redis_available() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"Redis at {REDIS_URL} is unreachable ({str(exc).strip().splitlines()[0]})"


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _kill_group(proc: subprocess.Popen) -> None:
    """Stop a process we started and what it started: the children first (so that the parent reaps them, leaving
    no orphan behind), then the parent, then anything left in its process group."""
    if proc.poll() is None:
        try:
            for child in _children(proc.pid):
                os.kill(child, signal.SIGTERM)  # celery's warm shutdown; `dagster-celery worker start` then returns
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)


def _wait_for_workers(app_env: dict, names: list[str], timeout: float) -> None:
    """Until every worker answers a ping on the broker (Celery's own inspect)."""
    probe = ("import sys, os\nfrom celery import Celery\n"
             "app = Celery(broker=os.environ['INFRA_DIGEST_CELERY_BROKER'], backend=os.environ['INFRA_DIGEST_CELERY_BACKEND'])\n"
             "r = app.control.inspect(timeout=1.0).ping() or {}\nprint(' '.join(sorted(r)))")
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = subprocess.run([sys.executable, "-c", probe], env=app_env, capture_output=True, text=True, timeout=30).stdout
        if all(f"{n}@" in seen for n in names):
            return
        time.sleep(0.5)
    raise AssertionError(f"celery workers {names} did not come up (seen: {seen!r})")


def test_backfill_on_two_celery_workers_equals_single_process_run(tmp_path: Path):
    for why in (pg_available(), _redis_available()):
        if why:
            pytest.skip(why)
    started = time.monotonic()
    last = FIRST + dt.timedelta(days=DAYS - 1)
    replay = tmp_path / "replay"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_replay.py"), str(replay), "--days", str(DAYS),
                    "--start", FIRST.isoformat()], check=True, capture_output=True, cwd=ROOT)
    from infra_digest.demo.builders import write_replay
    from infra_digest.watchlist import load_watchlist

    # every watched repository recorded every day (absent = not recorded), as record mode writes it
    write_replay(replay, recorded=[((FIRST + dt.timedelta(days=i)).isoformat(), r.repo)
                                   for i in range(DAYS) for r in load_watchlist()])

    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRA_DIGEST_", "DAGSTER_"))}
    base_env.update({"PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONUNBUFFERED": "1",
                     "INFRA_DIGEST_START_DATE": FIRST.isoformat(), "INFRA_DIGEST_SOURCE": f"replay:{replay}",
                     "INFRA_DIGEST_LANG": "en"})

    # 1. the reference: a plain single-process run on a DuckDB file (SQLite instance), through the CLI
    ref_home = tmp_path / "ref_home"
    ref_home.mkdir()
    (ref_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    ref_db = tmp_path / "reference.duckdb"
    ref = subprocess.run(
        [sys.executable, "-m", "infra_digest.cli", "run", "--date", FIRST.isoformat(), "--to", last.isoformat(),
         "--db", str(ref_db), "--out", str(tmp_path / "ref_reports")],
        env={**base_env, "DAGSTER_HOME": str(ref_home)}, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert ref.returncode == 0, ref.stderr

    # 2. the distributed deployment: instance + catalog on PostgreSQL, data files in a folder, Redis broker
    instance_db, catalog_db = create_pg_database("infra_digest_instance_test"), create_pg_database("infra_digest_lake_ctest")
    queue = f"infra_digest_test_{uuid.uuid4().hex[:8]}"
    home = tmp_path / "dagster_home"
    home.mkdir()
    # The PostgreSQL instance as shipped; the `duckdb` pool is widened below, as docs/scaling.md tells operators.
    (home / "dagster.yaml").write_text((ROOT / "deploy" / "postgres" / "dagster.yaml").read_text())

    env = {**base_env,
           "DAGSTER_HOME": str(home), "DAGSTER_PG_HOST": PG["host"], "DAGSTER_PG_PORT": str(PG["port"]),
           "DAGSTER_PG_USERNAME": PG["user"], "DAGSTER_PG_PASSWORD": PG["password"], "DAGSTER_PG_DB": instance_db,
           "INFRA_DIGEST_DB": lake_uri(catalog_db), "INFRA_DIGEST_LAKE_DATA_PATH": f"{tmp_path / 'lake_data'}/",
           "INFRA_DIGEST_REPORTS_DIR": str(tmp_path / "reports"), "INFRA_DIGEST_EXECUTOR": "celery",
           "INFRA_DIGEST_CELERY_BROKER": f"{REDIS_URL}/0", "INFRA_DIGEST_CELERY_BACKEND": f"{REDIS_URL}/1",
           "INFRA_DIGEST_CELERY_QUEUE": queue}
    celery_yaml = tmp_path / "celery.yaml"
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        celery_yaml.write_text(subprocess.run([sys.executable, "-m", "infra_digest.defs.executors"], env=env, cwd=ROOT,
                                              capture_output=True, text=True, check=True).stdout)
        # create the lake (and the instance schema) before anything races for it
        subprocess.run([sys.executable, "-c", "from infra_digest.storage.db import connect\nimport dagster as dg, os\n"
                        "with connect(os.environ['INFRA_DIGEST_DB']): pass\n"
                    # = `dagster instance concurrency set duckdb 4`: on DuckLake, steps of parallel runs may write at
                    # once. Set before the runs start: on a fresh instance, runs starting together race to create
                    # the pool's row (UniqueViolation on concurrency_limits).
                    "with dg.DagsterInstance.get() as i: i.event_log_storage.set_concurrency_slots('duckdb', 4)"],
                       env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
        names = ["w1", "w2"]
        for name in names:
            log = open(tmp_path / f"{name}.log", "w")
            logs.append(log)
            procs.append(subprocess.Popen(
                [str(VENV_BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app", "-y", str(celery_yaml),
                 "-q", queue, "-n", name, "--loglevel", "WARNING", "--", "--concurrency=1", "--without-mingle",
                 "--without-gossip"],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        _wait_for_workers(env, names, timeout=60)

        # a reader polling the history through the CLI the whole time
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, env["INFRA_DIGEST_DB"]], env=env, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        procs.append(reader)

        # the backfill: one ingest run per day (how the daemon splits 3 days x 8 repos), all at once
        runs = [subprocess.Popen([sys.executable, "-c", COORDINATOR, "ingest_job", d.isoformat(), d.isoformat(), str(ROOT)],
                                 env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 start_new_session=True)
                for d in (FIRST + dt.timedelta(days=i) for i in range(DAYS))]
        procs += runs
        used = set()
        for r in runs:
            out, err = r.communicate(timeout=180)
            assert r.returncode == 0, err[-3000:]
            used |= {w for line in out.splitlines() if line.startswith("WORKERS ") for w in line[8:].split(",") if w}
        report = subprocess.run([sys.executable, "-c", COORDINATOR, "report_job", FIRST.isoformat(), last.isoformat(), str(ROOT)],
                                env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
        assert report.returncode == 0, report.stderr[-3000:]
        assert {u.split("@")[0] for u in used} == set(names), f"steps ran on {used}: expected both workers"

        reader.send_signal(signal.SIGTERM)
        reader_out, _ = reader.communicate(timeout=30)
        reads = [ln for ln in reader_out.splitlines() if ln.startswith("READ ")]
        problems = [ln for ln in reader_out.splitlines() if ln.startswith("PROBLEM ")]
        assert len(reads) >= 3 and not problems, reader_out[-3000:]

        # 3. the same history, row for row
        lake.reset_sessions()
        compare_histories(str(ref_db), env["INFRA_DIGEST_DB"])
        for i in range(DAYS):
            day = FIRST + dt.timedelta(days=i)
            assert (tmp_path / "reports" / f"{day}.en.md").is_file()
        print(f"\ncelery backfill: {len(reads)} reads during the run, workers {sorted(used)}, "
              f"{time.monotonic() - started:.1f}s in all")
    finally:
        for p in reversed(procs):
            _kill_group(p)
        for log in logs:
            log.close()
        lake.reset_sessions()
        for name in (instance_db, catalog_db):
            drop_pg_database(name)
        _purge_queue(env, queue)


# Polls `infra-digest sql` (a separate process each time, as a user would) until terminated; every read must
# succeed, and every (repo, day) partition visible in core.commits must be complete: as many commits as the
# replay holds for it (the reader knows nothing else, so it checks that counts only ever grow to their final value).
READER = """
import signal, subprocess, sys, time, json
stop = False
def _stop(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, _stop)
db = sys.argv[1]
seen = {}
while not stop:
    t = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "infra_digest.cli", "sql", "--db", db, "--format", "json", "--limit", "0",
                        "SELECT repo, CAST(day AS VARCHAR) AS day, count(*) AS n FROM core.commits GROUP BY ALL"],
                       capture_output=True, text=True)
    if p.returncode != 0 and "no DuckLake history" not in p.stderr:
        print("PROBLEM", p.returncode, p.stderr.strip()[-500:], flush=True)
    else:
        rows = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        for r in rows:
            key = (r["repo"], r["day"])
            if key in seen and seen[key] != r["n"]:
                print("PROBLEM partition changed size", key, seen[key], r["n"], flush=True)
            seen[key] = r["n"]
        print("READ", len(rows), round(time.monotonic() - t, 3), flush=True)
    time.sleep(0.3)
"""


def _purge_queue(env: dict, queue: str) -> None:
    try:
        import redis

        r = redis.Redis.from_url(env["INFRA_DIGEST_CELERY_BROKER"], socket_connect_timeout=2)
        r.delete(queue)
        for key in r.scan_iter(f"*{queue}*"):
            r.delete(key)
    except Exception:  # noqa: BLE001 - best effort: leftovers are an empty queue name
        pass
