"""Operations, as a user meets them: `dagster-webserver` and `dagster-daemon` as real processes on 127.0.0.1 with the
PostgreSQL-backed instance (deploy/postgres/dagster.yaml) and a replay source; everything driven through the
GraphQL API the UI calls. The ``ops`` fixture does what an operator does in the first minute (daemon still down):
start the UI, switch the daily schedule on, launch three backfills from the asset graph; then it starts the daemon.

- backfill A, 3 days x every repository, ingest + report assets: a handful of runs (one ingest run per day, 1-3
  report runs), per-partition status materialized, report rows and files with the expected shas and numbers;
- backfill B: one repository-day unreadable -> only that partition failed, the CLI status names it; after the
  file is fixed, "Re-execute from failure" (``reexecutePartitionBackfill``) runs only it, then its day's report;
- the daily schedule: ``startSchedule`` through GraphQL, its dry run (the UI's "Test schedule"), then a REAL tick
  of the daemon's scheduler (see the ``ops`` fixture for how the 02:00 tick is reached), a run for yesterday x
  every repository, and the report requested by the sensor ``report_after_ingest_success``;
- across all these runs no two steps of the pool "duckdb" overlapped;
- backfill C (ingest only): the sensors write its report (they follow asset-graph runs too).

Everything it starts is stopped (the process groups it created) and its database dropped, also on failure.
The helpers (``Stack``, queries, ``step_intervals``) are reused by bench/backfill_bench.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from infra_digest_tests.conftest import PG, temp_pg_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.daemon]

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "workspace.yaml"
BIN = Path(sys.executable).parent

INGEST_ASSETS = ["raw_events", "core_items", "classified_changes"]
SUCCESS_STATUSES = {"COMPLETED", "COMPLETED_SUCCESS"}
TERMINAL_STATUSES = SUCCESS_STATUSES | {"COMPLETED_FAILED", "FAILED", "CANCELED"}
RUN_TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


# ---------------------------------------------------------------------------------------------------------------
# helpers (also used by bench/backfill_bench.py)
# ---------------------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


class Stack:
    """A Dagster deployment on this machine: one webserver and one daemon process (each the leader of its own
    process group, so stopping it also stops its code servers and run workers), sharing DAGSTER_HOME."""

    def __init__(self, workdir: Path, env: dict[str, str], port: int | None = None):
        self.workdir = workdir
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.location: str | None = None
        self.repository: str | None = None

    def _start(self, name: str, cmd: list[str]) -> None:
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        with open(log, "ab") as fh:
            self.procs[name] = subprocess.Popen(cmd, env=self.env, cwd=self.workdir, stdout=fh, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True)

    def start_webserver(self) -> None:
        self._start("webserver", [_tool("dagster-webserver"), "-h", "127.0.0.1", "-p", str(self.port), "-w", str(WORKSPACE)])

    def start_daemon(self, wrapper: bool = True) -> None:
        """As docs/operations.md tells operators: `infra-digest-daemon run` (dagster-daemon with a 2 s backfill loop,
        infra_digest/daemon.py); wrapper=False: the stock `dagster-daemon` (30 s loop), for the benchmark's "before"."""
        if not wrapper:
            cmd = [_tool("dagster-daemon")]
        elif (BIN / "infra-digest-daemon").exists():
            cmd = [str(BIN / "infra-digest-daemon")]
        else:  # an environment where the project's console scripts are not installed
            cmd = [sys.executable, "-m", "infra_digest.daemon"]
        self._start("daemon", [*cmd, "run", "-w", str(WORKSPACE)])

    def stop(self, name: str, timeout: float = 20.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        pgid = proc.pid  # start_new_session: the process group we created, with the same id as its leader
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue
            # the leader is gone; make sure its children (code server, run workers) are too
            time.sleep(0.5)
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.logs.get(name)
        return path.read_text(errors="replace")[-chars:] if path and path.exists() else ""

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    # -- GraphQL ------------------------------------------------------------------------------------------------
    def gql(self, query: str, variables: dict | None = None, timeout: float = 120.0) -> dict:
        import requests

        resp = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=timeout)
        assert resp.status_code == 200, f"GraphQL HTTP {resp.status_code}: {resp.text[:2000]}"
        body = resp.json()
        assert not body.get("errors"), f"GraphQL errors: {json.dumps(body['errors'])[:3000]}"
        return body["data"]

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until the webserver answers and the code location is loaded (its name and repository are kept)."""
        import requests

        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if requests.get(f"{self.url}/server_info", timeout=5).status_code == 200:
                    data = self.gql(WORKSPACE_QUERY)
                    for entry in data["workspaceOrError"]["locationEntries"]:
                        loc = entry["locationOrLoadError"]
                        if loc is None:
                            last = f"{entry['name']}: {entry['loadStatus']}"
                            continue
                        assert loc["__typename"] == "RepositoryLocation", f"code location failed to load: {loc}"
                        self.location, self.repository = entry["name"], loc["repositories"][0]["name"]
                        return
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = exc
            time.sleep(0.5)
        raise AssertionError(f"webserver not ready after {timeout}s ({last}):\n{self.log_tail('webserver')}")

    def launch_backfill(self, partition_names: Iterable[str], assets: Iterable[str] = INGEST_ASSETS, title: str = "") -> str:
        params = {"assetSelection": [{"path": [a]} for a in assets], "partitionNames": list(partition_names), "title": title}
        res = self.gql(LAUNCH_BACKFILL, {"p": params})["launchPartitionBackfill"]
        assert res["__typename"] == "LaunchBackfillSuccess", f"launchPartitionBackfill: {res}"
        return res["backfillId"]

    def reexecute_from_failure(self, backfill_id: str) -> str:
        res = self.gql(REEXECUTE_BACKFILL, {"p": {"parentRunId": backfill_id, "strategy": "FROM_FAILURE"}})["reexecutePartitionBackfill"]
        assert res["__typename"] == "LaunchBackfillSuccess", f"reexecutePartitionBackfill: {res}"
        return res["backfillId"]

    def backfill(self, backfill_id: str) -> dict:
        res = self.gql(BACKFILL_QUERY, {"id": backfill_id})["partitionBackfillOrError"]
        assert res["__typename"] == "PartitionBackfill", f"partitionBackfillOrError: {res}"
        return res

    def wait_backfill(self, backfill_id: str, timeout: float = 600.0, poll: float = 1.0) -> dict:
        # a safety net, not a speed check: three backfills share one pool slot, on a machine that may be busy
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            bf = self.backfill(backfill_id)
            if bf["status"] in TERMINAL_STATUSES:
                return bf
            if time.monotonic() > deadline:
                raise AssertionError(f"backfill {backfill_id} still {bf['status']} after {timeout}s: {describe_backfill(bf)}\n"
                                     f"daemon log:\n{self.log_tail('daemon')}")
            time.sleep(poll)

    def runs(self, tags: dict[str, str] | None = None, job: str | None = None) -> list[dict]:
        flt: dict = {}
        if tags:
            flt["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        if job:
            flt["pipelineName"] = job
        res = self.gql(RUNS_QUERY, {"f": flt})["runsOrError"]
        assert res["__typename"] == "Runs", res
        return res["results"]

    def wait_runs(self, predicate, what: str, timeout: float = 180.0, job: str | None = None, tags=None) -> list[dict]:
        """Until ``predicate(runs)`` is true for the runs of ``job``/``tags`` and all of them have ended."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            runs = self.runs(tags=tags, job=job)
            if predicate(runs) and all(r["status"] in RUN_TERMINAL for r in runs):
                return runs
            if time.monotonic() > deadline:
                raise AssertionError(f"waiting for {what}: after {timeout}s the runs are "
                                     f"{[(r['jobName'], r['status'], tag_dict(r)) for r in runs]}\n"
                                     f"daemon log:\n{self.log_tail('daemon')}")
            time.sleep(1.0)

    def failure_messages(self, run_id: str) -> list[str]:
        res = self.gql(RUN_FAILURES, {"id": run_id})["logsForRun"]
        return [" ".join(filter(None, [e.get("message"), (e.get("error") or {}).get("message")]))
                for e in res.get("events", []) if e["__typename"] in ("ExecutionStepFailureEvent", "RunFailureEvent")]


def tag_dict(run: dict) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run.get("tags", [])}


def describe_backfill(bf: dict) -> str:
    runs = [(r["runId"][:8], r["jobName"], r["status"]) for r in bf.get("runs") or []]
    err = (bf.get("error") or {}).get("message")
    return f"status={bf['status']} partitions={bf.get('numPartitions')} runs={runs}" + (f" error={err}" if err else "")


def step_intervals(instance, run_ids: Iterable[str]) -> list[tuple[float, float, str, str]]:
    """(start, end, run id, step key) of every step of the runs, from their event logs."""
    from dagster import DagsterEventType

    out = []
    for run_id in run_ids:
        starts: dict[str, float] = {}
        for rec in instance.all_logs(run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS,
                                                      DagsterEventType.STEP_FAILURE}):
            step = rec.step_key
            if rec.dagster_event.event_type == DagsterEventType.STEP_START:
                starts[step] = rec.timestamp
            elif step in starts:
                out.append((starts.pop(step), rec.timestamp, run_id, step))
    return sorted(out)


def overlaps(intervals: list[tuple[float, float, str, str]]) -> list[tuple]:
    return [(a, b) for i, a in enumerate(intervals) for b in intervals[i + 1:] if b[0] < a[1] and b[2] != a[2]]


WORKSPACE_QUERY = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on RepositoryLocation { repositories { name } } ... on PythonError { message stack } } } } } }"""

LAUNCH_BACKFILL = """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) { __typename
  ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message stack } ... on Error { message } } }"""

REEXECUTE_BACKFILL = """mutation($p: ReexecutionParams!) { reexecutePartitionBackfill(reexecutionParams: $p) { __typename
  ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message stack } ... on Error { message } } }"""

BACKFILL_QUERY = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { id status numPartitions timestamp endTimestamp error { message stack }
    runs { runId jobName status startTime endTime tags { key value } } }
  ... on PythonError { message stack } ... on BackfillNotFoundError { message } } }"""

RUNS_QUERY = """query($f: RunsFilter) { runsOrError(filter: $f) { __typename
  ... on Runs { results { runId jobName status startTime endTime tags { key value } } } ... on PythonError { message } } }"""

RUN_FAILURES = """query($id: ID!) { logsForRun(runId: $id) { __typename ... on EventConnection { events { __typename
  ... on MessageEvent { message } ... on ExecutionStepFailureEvent { error { message } } } } } }"""

ASSET_STATUS = """query($k: AssetKeyInput!) { assetNodeOrError(assetKey: $k) { __typename ... on AssetNode {
  partitionStats { numMaterialized numFailed numMaterializing numPartitions }
  assetPartitionStatuses { __typename ... on MultiPartitionStatuses { primaryDimensionName ranges {
    primaryDimStartKey primaryDimEndKey secondaryDim { __typename
      ... on DefaultPartitionStatuses { materializedPartitions failedPartitions materializingPartitions } } } } } } } }"""

START_SCHEDULE = """mutation($s: ScheduleSelector!) { startSchedule(scheduleSelector: $s) { __typename
  ... on ScheduleStateResult { scheduleState { status } } ... on PythonError { message stack } ... on Error { message } } }"""

STOP_SCHEDULE = """mutation($s: ScheduleSelector!) { resetSchedule(scheduleSelector: $s) { __typename
  ... on ScheduleStateResult { scheduleState { status } } ... on PythonError { message } } }"""

SCHEDULE_QUERY = """query($s: ScheduleSelector!) { scheduleOrError(scheduleSelector: $s) { __typename
  ... on Schedule { cronSchedule executionTimezone scheduleState { status } } ... on PythonError { message } } }"""

SCHEDULE_DRY_RUN = """mutation($s: ScheduleSelector!, $t: Float) { scheduleDryRun(selectorData: $s, timestamp: $t) { __typename
  ... on DryRunInstigationTick { timestamp evaluationResult { skipReason error { message }
    runRequests { runKey jobName tags { key value } } } } ... on PythonError { message stack } } }"""


def partition_statuses(stack: Stack, asset: str) -> dict[str, set[str]]:
    """{"materialized"|"failed"|"materializing": {"<day>|<repo>", ...}} from the asset page's partition status API."""
    node = stack.gql(ASSET_STATUS, {"k": {"path": [asset]}})["assetNodeOrError"]
    assert node["__typename"] == "AssetNode", node
    out: dict[str, set[str]] = {"materialized": set(), "failed": set(), "materializing": set()}
    statuses = node["assetPartitionStatuses"]
    assert statuses["__typename"] == "MultiPartitionStatuses" and statuses["primaryDimensionName"] == "date", statuses
    for rng in statuses["ranges"]:
        start, end = dt.date.fromisoformat(rng["primaryDimStartKey"]), dt.date.fromisoformat(rng["primaryDimEndKey"])
        days = [str(start + dt.timedelta(days=i)) for i in range((end - start).days + 1)]
        sec = rng["secondaryDim"]
        for name, field in (("materialized", "materializedPartitions"), ("failed", "failedPartitions"),
                            ("materializing", "materializingPartitions")):
            out[name] |= {f"{d}|{repo}" for d in days for repo in sec[field]}
    return out


def last_schedule_tick(now: dt.datetime, hour: int = 2) -> dt.datetime:
    """The latest 0 <hour> * * * UTC instant at or before ``now``."""
    tick = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return tick if tick <= now else tick - dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------------------------------
# the scenario's data: a replay directory written with the builders
# ---------------------------------------------------------------------------------------------------------------
VLLM, FI, CUTILE = "vllm-project/vllm", "flashinfer-ai/flashinfer", "NVIDIA/cutile-python"


def build_replay(root: Path, plan: dict[str, list[str]]) -> dict[tuple[str, str], dict]:
    """``plan``: day -> repos with activity. Each (day, repo) gets two commits (one squash-merged PR) and one issue.
    Returns {(day, repo): {"shas": [...], "numbers": [...]}} to look for in the reports."""
    from infra_digest.demo.builders import commit, issue, write_replay

    commits, issues, expect = [], [], {}
    n = 40_000
    for day, repos in plan.items():
        for repo in repos:
            n += 10
            c1 = commit(repo, f"[Bugfix] Fix FP8 MoE on SM120 for {day} (#{n})", date=f"{day}T09:15:00Z", login="dev1",
                        files=[("csrc/moe/fp8_sm120.cu", "modified", 12, 3)])
            c2 = commit(repo, f"[Feature] Add NVFP4 GEMM autotune {day}", date=f"{day}T14:40:00Z", login="dev2",
                        files=[("python/gemm/autotune.py", "added", 80, 0)])
            commits += [(repo, c1), (repo, c2)]
            iss = issue(repo, n + 1, f"[Bug] NaN on B200 with FP4 KV cache ({day})", login="user1",
                        created_at=f"{day}T11:00:00Z", labels=["bug"], body="Repro attached.")
            issues.append((day, repo, iss))
            expect[(day, repo)] = {"shas": [c1["sha"], c2["sha"]], "numbers": [n, n + 1]}
    from infra_digest.watchlist import load_watchlist

    # every watched repository recorded on every planned day, as record mode writes it (absent = not recorded)
    write_replay(root, commits, issues, recorded=[(day, r.repo) for day in plan for r in load_watchlist()])
    return expect


def day_str(d: dt.date, k: int = 0) -> str:
    return str(d + dt.timedelta(days=k))


# ---------------------------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg_database():
    with temp_pg_database("infra_digest_ops") as name:
        yield name


REPORT_ASSETS = ["daily_digest", "daily_report"]


class Scenario:
    """Days used by the tests, all relative to the real clock, because the schedule test needs a real tick.
    S is the day the latest 02:00 UTC tick ingests ("yesterday" for that tick):

        S-6, S-5  backfill B, one repository failing on S-5, then re-executed from failure
        S-4       backfill C (ingest only), whose report should come from the sensors
        S-3..S-1  backfill A, the 3-day backfill of the ingest and report assets
        S         the schedule's run and its report (sensor)

    A broken folder fails only the day it was recorded for (the replay source reads neighbour folders only to
    borrow items that crossed midnight), so the scenarios do not disturb each other."""

    def __init__(self, now: dt.datetime):
        self.tick = last_schedule_tick(now)
        self.sched_day = str(self.tick.date() - dt.timedelta(days=1))
        s = self.tick.date() - dt.timedelta(days=1)
        self.backfill_days = [day_str(s, -3), day_str(s, -2), day_str(s, -1)]
        self.sensor_day = day_str(s, -4)
        self.failure_days = [day_str(s, -6), day_str(s, -5)]
        self.bad = (self.failure_days[1], FI)
        self.start_date = self.failure_days[0]
        self.plan = {d: [VLLM, FI, CUTILE] for d in self.backfill_days}
        self.plan.update({d: [VLLM, FI] for d in self.failure_days})
        self.plan[self.sensor_day] = [CUTILE]
        self.plan[self.sched_day] = [VLLM, CUTILE]


def _keys(days: Iterable[str], repos: Iterable[str]) -> list[str]:
    return [f"{d}|{r}" for d in days for r in repos]


@pytest.fixture(scope="module")
def ops(tmp_path_factory, pg_database):
    """What an operator does in the first minute, with the daemon still down: start the UI, switch the daily schedule
    on, launch three backfills from the asset graph; then start the daemon, which takes it all from there.
    Torn down at the end (process groups stopped, database dropped)."""
    from dagster import DagsterInstance
    from dagster._core.scheduler.instigation import InstigatorType, ScheduleInstigatorData

    from infra_digest.watchlist import load_watchlist

    work = tmp_path_factory.mktemp("ops")
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "postgres" / "dagster.yaml", home / "dagster.yaml")
    sc = Scenario(dt.datetime.now(dt.timezone.utc))
    replay = work / "replay"
    expect = build_replay(replay, sc.plan)
    bad_file = replay / sc.bad[0] / sc.bad[1].replace("/", "__") / "issues.json"
    good_issues = bad_file.read_text(encoding="utf-8")
    bad_file.write_text('[{"number": 1, "title": "truncated', encoding="utf-8")  # one repository-day unreadable
    pg_env = {"DAGSTER_PG_HOST": PG["host"], "DAGSTER_PG_PORT": str(PG["port"]), "DAGSTER_PG_USERNAME": PG["user"],
              "DAGSTER_PG_PASSWORD": "unused-with-trust-auth", "DAGSTER_PG_DB": pg_database}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRA_DIGEST_", "DAGSTER_"))}
    env.update(pg_env)
    env.update({
        "DAGSTER_HOME": str(home),
        "INFRA_DIGEST_SOURCE": f"replay:{replay}",
        "INFRA_DIGEST_DB": str(work / "h.duckdb"),
        "INFRA_DIGEST_REPORTS_DIR": str(work / "reports"),
        "INFRA_DIGEST_START_DATE": sc.start_date,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    stack = Stack(work, env)
    repos = [r.repo for r in load_watchlist()]
    with pytest.MonkeyPatch.context() as mp:
        for k, v in pg_env.items():
            mp.setenv(k, v)
        instance = DagsterInstance.from_config(str(home))  # the same instance, for what GraphQL does not expose
        try:
            t0 = time.monotonic()
            stack.start_webserver()
            stack.wait_ready()
            sel = {"repositoryLocationName": stack.location, "repositoryName": stack.repository,
                   "scheduleName": "daily_ingest_schedule"}
            before = stack.gql(SCHEDULE_QUERY, {"s": sel})["scheduleOrError"]

            # The schedule, switched on as the UI's toggle does. Its cron is "0 2 * * *": a real tick happens once a
            # day. Dagster's scheduler evaluates every cron time between the schedule's start (or its last tick)
            # and now, so we move the recorded start to one hour before the latest 02:00, as if the schedule had
            # been switched on yesterday and the daemon had been down at 02:00. When the daemon starts, its
            # scheduler finds that missed tick and launches it, as after an outage. Nothing else is faked: the
            # daemon's clock, the schedule function, the run queue, the pool and the report sensor are real.
            started = stack.gql(START_SCHEDULE, {"s": sel})["startSchedule"]
            (state,) = [s for s in instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE)
                        if s.name == "daily_ingest_schedule"]
            status_in_instance = state.status.value
            instance.update_instigator_state(state.with_data(ScheduleInstigatorData(
                cron_schedule=state.instigator_data.cron_schedule, start_timestamp=sc.tick.timestamp() - 3600)))

            # Three backfills from the asset graph (what "Materialize" > date range x repositories launches).
            backfills = {
                "A": stack.launch_backfill(_keys(sc.backfill_days, repos), INGEST_ASSETS + REPORT_ASSETS,
                                           title="ops test A: 3 days x every repository, with the reports"),
                "B": stack.launch_backfill(_keys(sc.failure_days, repos), INGEST_ASSETS + REPORT_ASSETS,
                                           title="ops test B: one repository-day fails"),
                "C": stack.launch_backfill(_keys([sc.sensor_day], repos), INGEST_ASSETS,
                                           title="ops test C: ingest only; the sensors write the report"),
            }
            stack.start_daemon()
            stack.__dict__.update(sc=sc, expect=expect, instance=instance, home=home, replay=replay, db=work / "h.duckdb",
                                  reports=work / "reports", repos=repos, backfills=backfills, schedule_selector=sel,
                                  schedule_before=before, schedule_started=started, schedule_state=state,
                                  schedule_status_in_instance=status_in_instance, bad_file=bad_file,
                                  good_issues=good_issues, t0=t0)
            yield stack
        finally:
            print(f"\noperations scenario: {time.monotonic() - t0:.0f}s with the webserver and daemon up")
            stack.stop_all()
            instance.dispose()


def _read(db: Path, sql: str, params=()) -> list[tuple]:
    from infra_digest.storage.db import connect

    with connect(db, read_only=True, wait_seconds=60) as conn:  # waits (bounded) while a run writes
        return conn.execute(sql, list(params)).fetchall()


def _cli(ops: Stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_tool("infra-digest"), *args], env=ops.env, cwd=ops.workdir, capture_output=True, text=True,
                          timeout=120)


def _sensor_report_runs(ops: Stack, ingest_run_ids: set[str]) -> list[dict]:
    """Report runs the sensors requested for these ingest runs (run key ``report-<ingest run id>``)."""
    keys = {f"report-{i}" for i in ingest_run_ids}
    return [r for r in ops.runs(job="report_job") if tag_dict(r).get("dagster/run_key") in keys]


def _ranges(runs: list[dict]) -> list[tuple[str, str]]:
    return sorted((tag_dict(r).get("dagster/asset_partition_range_start", tag_dict(r).get("dagster/partition")),
                   tag_dict(r).get("dagster/asset_partition_range_end", tag_dict(r).get("dagster/partition"))) for r in runs)


def _check_report(ops: Stack, day: str, repos: Iterable[str] | None = None) -> str:
    md_path = ops.reports / f"{day}.zh.md"
    assert md_path.is_file() and (ops.reports / f"{day}.zh.html").is_file(), (day, sorted(os.listdir(ops.reports)))
    md = md_path.read_text(encoding="utf-8")
    for (d, repo), want in ops.expect.items():
        if d != day or (repos is not None and repo not in repos):
            continue
        for sha in want["shas"]:
            assert f"[`{sha[:7]}`](https://github.com/{repo}/commit/{sha})" in md, (day, repo, sha)
        for n in want["numbers"]:
            assert f"[#{n}](https://github.com/{repo}/" in md, (day, repo, n)
    other = [sha for (d, _), w in ops.expect.items() if d != day for sha in w["shas"]]
    assert not any(sha in md for sha in other), f"another day's items in the report of {day}"
    return md


# ---------------------------------------------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_one_repository_day_fails_then_reexecute_from_failure(ops: Stack):
    sc = ops.sc
    bad_day, bad_repo = sc.bad
    bad_key = f"{bad_day}|{bad_repo}"
    keys = _keys(sc.failure_days, ops.repos)
    bf = ops.wait_backfill(ops.backfills["B"])
    print(f"\n[{time.monotonic() - ops.t0:.0f}s] backfill B {bf['status']}")
    assert bf["status"] in ("COMPLETED_FAILED", "FAILED"), describe_backfill(bf)
    failed_runs = [r for r in bf["runs"] if r["status"] == "FAILURE"]
    assert len(failed_runs) == 1, describe_backfill(bf)
    assert _ranges(failed_runs) == [(f"{bad_day}|{ops.repos[0]}", f"{bad_day}|{ops.repos[-1]}")]
    messages = " ".join(ops.failure_messages(failed_runs[0]["runId"]))
    assert bad_key in messages and "issues.json" in messages, messages

    # only that partition is failed; every other one, the same day's other repositories included, materialized
    for asset in INGEST_ASSETS:
        st = partition_statuses(ops, asset)
        assert st["failed"] & set(keys) == {bad_key}, (asset, st["failed"] & set(keys))
        assert set(keys) - {bad_key} <= st["materialized"], (asset, set(keys) - {bad_key} - st["materialized"])
    assert _read(ops.db, "SELECT repo, count(*) FROM core.commits WHERE day = ? GROUP BY ALL ORDER BY repo", [bad_day]) \
        == [(VLLM, 2)]
    # the good day's report was written; the failed day's waits for the retry, and the CLI says so loudly
    _check_report(ops, sc.failure_days[0])
    status = _cli(ops, "status", "--wait", "60")
    assert status.returncode == 1, status
    assert f"{bad_day}  {bad_repo}: fetch failed" in status.stdout and "issues.json" in status.stdout, status.stdout

    # fix the file, then the backfill page's "Re-execute from failure": only what did not materialize runs again
    ops.bad_file.write_text(ops.good_issues, encoding="utf-8")
    retry_id = ops.reexecute_from_failure(bf["id"])
    ops.retry_id = retry_id  # its status is checked in test_no_two_duckdb_writers_at_once
    runs = ops.wait_runs(lambda rs: len(rs) == 2, "the re-execution's ingest and report runs", tags={"dagster/backfill": retry_id})
    assert all(r["status"] == "SUCCESS" for r in runs), {r["runId"]: ops.failure_messages(r["runId"]) for r in runs}
    assert _ranges(runs) == [(bad_day, bad_day), (bad_key, bad_key)], _ranges(runs)
    print(f"\n[{time.monotonic() - ops.t0:.0f}s] re-execution from failure: {len(runs)} runs {_ranges(runs)}")
    for asset in INGEST_ASSETS:
        st = partition_statuses(ops, asset)
        assert set(keys) <= st["materialized"] and not st["failed"] & set(keys), asset
    assert _read(ops.db, "SELECT repo, count(*) FROM core.commits WHERE day = ? GROUP BY ALL ORDER BY repo", [bad_day]) \
        == [(FI, 2), (VLLM, 2)]
    assert _read(ops.db, "SELECT count(*) FROM raw.fetch_log WHERE day = ? AND status = 'failed'", [bad_day]) == [(0,)]
    _check_report(ops, bad_day)


@pytest.mark.slow
def test_three_day_backfill_from_the_asset_graph(ops: Stack):
    sc = ops.sc
    keys = _keys(sc.backfill_days, ops.repos)
    bf = ops.wait_backfill(ops.backfills["A"])
    runs = bf["runs"]
    failures = {r["runId"]: ops.failure_messages(r["runId"]) for r in runs if r["status"] != "SUCCESS"}
    assert bf["status"] in SUCCESS_STATUSES, f"backfill {describe_backfill(bf)}; failures: {failures}"
    assert not failures, failures

    # single_run: the ingest ranges are split per value of the dimension with fewer selected keys (3 days < 8
    # repositories), so one run per day covering every repository. The daemon requests a report run for the days
    # whose 8 parents are all done at each of its iterations (every 30 s): 1 to 3 report runs, one range each.
    ingest = [r for r in runs if "|" in _ranges([r])[0][0]]
    reports = [r for r in runs if r not in ingest]
    assert _ranges(ingest) == [(f"{d}|{ops.repos[0]}", f"{d}|{ops.repos[-1]}") for d in sc.backfill_days], _ranges(runs)
    covered = [str(dt.date.fromisoformat(a) + dt.timedelta(days=i)) for a, b in _ranges(reports)
               for i in range((dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days + 1)]
    assert sorted(covered) == sc.backfill_days and 1 <= len(reports) <= 3, _ranges(runs)
    took = max(r["endTime"] for r in runs) - bf["timestamp"]
    print(f"\nbackfill A (3 days x {len(ops.repos)} repositories, with reports): {len(runs)} runs, {took:.0f}s from launch "
          f"(daemon started after the launch)")
    assert len(runs) <= len(ops.repos) + 3

    # per-partition status, as the asset pages show it
    for asset in INGEST_ASSETS:
        st = partition_statuses(ops, asset)
        assert set(keys) <= st["materialized"] and not st["failed"] & set(keys), (asset, st)

    # the history and the report files
    rows = _read(ops.db, "SELECT day::VARCHAR, lang FROM report.daily WHERE day BETWEEN ? AND ? ORDER BY day",
                 [sc.backfill_days[0], sc.backfill_days[-1]])
    assert rows == [(d, "zh") for d in sc.backfill_days], rows
    for day in sc.backfill_days:
        _check_report(ops, day)
    n = _read(ops.db, "SELECT count(*) FROM core.commits WHERE day BETWEEN ? AND ?", [sc.backfill_days[0], sc.backfill_days[-1]])
    assert n == [(2 * 3 * 3,)]

    # the sensors do not add report runs for a backfill that already writes its reports
    assert not _sensor_report_runs(ops, {r["runId"] for r in runs})


@pytest.mark.slow
def test_daily_schedule_ticks_under_the_daemon(ops: Stack):
    """The schedule was switched on through GraphQL with the daemon down, its start moved before the latest 02:00
    (see the ``ops`` fixture): the daemon's scheduler ticks it for real when it starts.

    Dagster catches up only the LATEST missed tick of a schedule without a partition set (ours), so an outage
    longer than a day is caught up with a backfill of the missed days (docs/operations.md)."""
    sc, sel = ops.sc, ops.schedule_selector
    assert ops.schedule_before["__typename"] == "Schedule", ops.schedule_before
    assert ops.schedule_before["cronSchedule"] == "0 2 * * *" and ops.schedule_before["executionTimezone"] == "UTC"
    assert ops.schedule_before["scheduleState"]["status"] == "STOPPED"  # off by default
    assert ops.schedule_started["__typename"] == "ScheduleStateResult", ops.schedule_started
    assert ops.schedule_started["scheduleState"]["status"] == "RUNNING"
    assert ops.schedule_status_in_instance == "RUNNING"  # recorded in the PostgreSQL instance
    now = ops.gql(SCHEDULE_QUERY, {"s": sel})["scheduleOrError"]
    assert now["scheduleState"]["status"] == "RUNNING"

    # the UI's "Test schedule" for the latest tick: one run request, yesterday x every repository
    dry = ops.gql(SCHEDULE_DRY_RUN, {"s": sel, "t": sc.tick.timestamp()})["scheduleDryRun"]
    assert dry["__typename"] == "DryRunInstigationTick", dry
    (req,) = dry["evaluationResult"]["runRequests"]
    day = sc.sched_day
    assert req["runKey"] == f"ingest-{day}" and req["jobName"] in (None, "ingest_job"), req
    assert {t["key"]: t["value"] for t in req["tags"]}.items() >= {
        "dagster/asset_partition_range_start": f"{day}|{ops.repos[0]}",
        "dagster/asset_partition_range_end": f"{day}|{ops.repos[-1]}"}.items()

    # the daemon's tick: one run for yesterday x every repository
    (run,) = ops.wait_runs(lambda rs: len(rs) >= 1, "the schedule's run", tags={"dagster/schedule_name": "daily_ingest_schedule"})
    tags = tag_dict(run)
    assert run["status"] == "SUCCESS", ops.failure_messages(run["runId"])
    assert run["jobName"] == "ingest_job" and tags["dagster/run_key"] == f"ingest-{day}"
    assert _ranges([run]) == [(f"{day}|{ops.repos[0]}", f"{day}|{ops.repos[-1]}")]
    state = ops.schedule_state
    ticks = ops.instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=5)
    assert [t.status.value for t in ticks] == ["SUCCESS"] and ticks[0].timestamp == sc.tick.timestamp(), ticks
    for asset in INGEST_ASSETS:
        assert set(_keys([day], ops.repos)) <= partition_statuses(ops, asset)["materialized"], asset

    # then the report, requested by the sensor report_after_ingest_success
    (rep,) = ops.wait_runs(lambda rs: bool(_sensor_report_runs(ops, {run["runId"]})), "the report after the scheduled run",
                           job="report_job", timeout=120) and _sensor_report_runs(ops, {run["runId"]})
    assert rep["status"] == "SUCCESS", ops.failure_messages(rep["runId"])
    assert tag_dict(rep)["dagster/sensor_name"] == "report_after_ingest_success"
    assert _ranges([rep]) == [(day, day)]
    assert _read(ops.db, "SELECT count(*) FROM report.daily WHERE day = ?", [day]) == [(1,)]
    _check_report(ops, day)

    res = ops.gql(STOP_SCHEDULE, {"s": sel})["resetSchedule"]
    assert res["__typename"] == "ScheduleStateResult", res


@pytest.mark.slow
def test_no_two_duckdb_writers_at_once(ops: Stack):
    """Across every run of the scenario (three backfills, a retry, the schedule's run, the sensor's report run,
    up to 4 runs at a time), the pool "duckdb" (limit 1, op granularity) never let two of its steps overlap."""
    if hasattr(ops, "retry_id"):  # its runs all succeeded; the daemon marks it done at its next iteration
        retry = ops.backfill(ops.retry_id)
        assert retry["status"] in SUCCESS_STATUSES | {"REQUESTED"}, describe_backfill(retry)
    ops.wait_runs(lambda rs: len(rs) >= 10, "all the scenario's runs")
    runs = ops.runs()
    intervals = step_intervals(ops.instance, [r["runId"] for r in runs])
    pooled = [iv for iv in intervals if iv[3] in ("ingest", "daily_digest", "daily_report")]
    assert len(pooled) >= len(runs)
    assert not overlaps(pooled), overlaps(pooled)
    others = overlaps(intervals)
    print(f"\n{len(runs)} runs, {len(pooled)} pooled steps, none overlapping; steps outside the pool overlapping another "
          f"run's step: {sorted({s for a, b in others for s in (a[3], b[3])})}")


@pytest.mark.slow
def test_reports_follow_an_ingest_only_backfill_through_the_sensors(ops: Stack):
    sc = ops.sc
    bf = ops.wait_backfill(ops.backfills["C"])
    assert bf["status"] in SUCCESS_STATUSES, describe_backfill(bf)
    (run,) = bf["runs"]
    assert _ranges([run]) == [(f"{sc.sensor_day}|{ops.repos[0]}", f"{sc.sensor_day}|{ops.repos[-1]}")]
    assert run["jobName"] == "__ASSET_JOB"  # what the asset graph launches; not ingest_job
    # a day with data and no report is loud: the CLI status and the check reports_up_to_date name it
    status = _cli(ops, "status", "--wait", "60")
    reported = bool(_sensor_report_runs(ops, {run["runId"]}))
    if not reported:
        assert status.returncode == 1 and sc.sensor_day in status.stdout, status.stdout
    # the sensors tick every 30 s: give them two ticks after the run ended
    deadline = run["endTime"] + 65
    while not reported and time.time() < deadline:
        time.sleep(2)
        reported = bool(_sensor_report_runs(ops, {run["runId"]}))
    if not reported:
        pytest.fail("no report run followed the ingest-only asset-graph backfill (__ASSET_JOB run) within two sensor ticks")
    (rep,) = ops.wait_runs(lambda rs: bool(_sensor_report_runs(ops, {run["runId"]})), "the sensor's report run",
                           job="report_job") and _sensor_report_runs(ops, {run["runId"]})
    assert rep["status"] == "SUCCESS"
    _check_report(ops, sc.sensor_day)
