"""The bare-Dagster floor (issue 19): the same partitions, policies, pool and runs as infra-digest, with assets that
do nothing, so that our own overhead is a ratio.

    .venv/bin/python bench/floor_bench.py --grid 3x8,30x8,90x8,484x1 [--ui 3x8] [--meta] [--repeat 3]

For each DAYSxREPOS it runs, in a fresh process each (as `infra-digest run` does), on a fresh SQLite instance with
the project's dagster.yaml:
- `floor`: the ingest multi-asset (raw_events, core_items, classified_changes over date x repo, single-run backfill
  policy, pool duckdb) as one run with range tags, then daily_digest + daily_report as one run: the same two runs
  as `infra-digest run --date D1 --to D2`, returning `MaterializeResult()` with no metadata;
- `floor+meta` (--meta): the same, plus one `context.add_asset_metadata(..., partition_key=k)` per partition and
  asset with three small counts, as our assets record (the price of per-partition metadata in Dagster 1.13.27).
With --ui DAYSxREPOS it also runs the floor through the UI path (webserver + infra-digest-daemon, GraphQL
launchPartitionBackfill of the five assets), timing launch -> last step ended (the floor has no report files).

The floor's Definitions are this module's `defs` (the UI path loads it as a code location); the partitions start
at $FLOOR_START (default 2025-01-01) and the repositories are $FLOOR_REPOS names r0..rN-1 (default 8).
Prints JSON lines (one per measurement) and a table; bench/scaling_chart.py draws them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).resolve().parents[1]
START = os.environ.get("FLOOR_START", "2025-01-01")
NREPOS = int(os.environ.get("FLOOR_REPOS", "8"))
META = os.environ.get("FLOOR_META", "0")  # "1": add_asset_metadata per partition; "2": add_partitions_metadata
REPOS = [f"r{i}" for i in range(NREPOS)]

daily = dg.DailyPartitionsDefinition(start_date=START)
date_repo = dg.MultiPartitionsDefinition({"date": daily, "repo": dg.StaticPartitionsDefinition(REPOS)})
RAW, CORE, CLS, DIGEST, REPORT = (dg.AssetKey(k) for k in ("raw_events", "core_items", "classified_changes",
                                                              "daily_digest", "daily_report"))

def add_partitions_metadata(context, per_key, asset_key=None) -> None:
    """The proposed helper for infra_digest/defs/assets.py (issue 19): the same result as one
    `context.add_asset_metadata(md, asset_key=..., partition_key=k)` per key, but the run's keys are listed once
    instead of on every call (Dagster 1.13.27 lists the whole range per call: 5 ms a call for 720 keys). PRIVATE API
    (the step context's metadata accumulator), pinned to 1.13.27."""
    from dagster._core.execution.context.metadata_logging import AssetMetadataHandle, OutputMetadataAccumulator

    asset_key = dg.AssetKey.from_coercible(asset_key) if asset_key else context.assets_def.key
    targeted = set(context.partition_keys)
    unknown = [k for k in per_key if k not in targeted]
    if unknown:
        raise dg.DagsterInvariantViolationError(f"metadata for partition keys this run does not target: {unknown[:5]}")
    step = context.get_step_execution_context()
    merged = dict(step._metadata_accumulator.per_output_metadata)  # noqa: SLF001
    for key, md in per_key.items():
        handle = AssetMetadataHandle(asset_key=asset_key, partition_key=key)
        merged[handle] = {**merged.get(handle, {}), **md}
    step._metadata_accumulator = OutputMetadataAccumulator(per_output_metadata=merged)  # noqa: SLF001


def _meta(context, asset_key, md) -> None:
    if META == "1":
        for pk in context.partition_keys:
            context.add_asset_metadata(md, asset_key=asset_key, partition_key=pk)
    elif META == "2":
        add_partitions_metadata(context, {pk: md for pk in context.partition_keys}, asset_key=asset_key)


with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    single_run = dg.BackfillPolicy.single_run()

    @dg.multi_asset(
        name="ingest",
        specs=[dg.AssetSpec(RAW, group_name="ingest"), dg.AssetSpec(CORE, deps=[RAW], group_name="ingest"),
               dg.AssetSpec(CLS, deps=[CORE], group_name="ingest")],
        partitions_def=date_repo, backfill_policy=single_run, pool="duckdb", can_subset=True)
    def ingest(context):
        for key in (RAW, CORE, CLS):
            if key in context.selected_asset_keys:
                _meta(context, key, {"items": 1, "http_requests": 0, "dagster/row_count": 1})
                yield dg.MaterializeResult(asset_key=key)

    @dg.asset(key=DIGEST, deps=[dg.AssetDep(CLS, partition_mapping=dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="date"))],
              partitions_def=daily, backfill_policy=single_run, pool="duckdb", group_name="report")
    def daily_digest(context) -> dg.MaterializeResult:
        _meta(context, DIGEST, {"items": 1, "sections": 1, "dagster/row_count": 2})
        return dg.MaterializeResult()

    @dg.asset(key=REPORT, deps=[DIGEST], partitions_def=daily, backfill_policy=single_run, pool="duckdb", group_name="report")
    def daily_report(context) -> dg.MaterializeResult:
        _meta(context, REPORT, {"report_en": "x", "dagster/row_count": 2})
        return dg.MaterializeResult()

ingest_job = dg.define_asset_job("ingest_job", selection=[RAW, CORE, CLS], partitions_def=date_repo)
report_job = dg.define_asset_job("report_job", selection=[DIGEST, REPORT], partitions_def=daily)
defs = dg.Definitions(assets=[ingest, daily_digest, daily_report], jobs=[ingest_job, report_job])


def one_cli_run(days: int) -> None:
    """In this process: the two runs `infra-digest run` makes, on the instance at $DAGSTER_HOME."""
    first = dt.date.fromisoformat(START)
    last = first + dt.timedelta(days=days - 1)
    instance = dg.DagsterInstance.get()
    tags = {"dagster/asset_partition_range_start": f"{first}|{REPOS[0]}", "dagster/asset_partition_range_end": f"{last}|{REPOS[-1]}"}
    assert defs.resolve_job_def("ingest_job").execute_in_process(instance=instance, tags=tags).success
    tags = {"dagster/asset_partition_range_start": str(first), "dagster/asset_partition_range_end": str(last)}
    assert defs.resolve_job_def("report_job").execute_in_process(instance=instance, tags=tags).success


def fresh_home(work: Path, name: str) -> Path:
    home = work / name
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    return home


def floor_cli(work: Path, days: int, repos: int, meta: bool | str, tag: str) -> float:
    home = fresh_home(work, tag)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRA_DIGEST_", "DAGSTER_", "FLOOR_"))}
    env.update({"DAGSTER_HOME": str(home), "FLOOR_REPOS": str(repos), "FLOOR_META": {True: "1", False: "0"}.get(meta, str(meta)),
                "FLOOR_START": os.environ.get("FLOOR_START", START)})
    t0 = time.monotonic()
    subprocess.run([sys.executable, __file__, "--one", str(days)], env=env, cwd=home, check=True, capture_output=True)
    return time.monotonic() - t0


def floor_ui(work: Path, days: int, repos: int, tag: str) -> float:
    """The floor through the UI path: webserver + infra-digest-daemon on this module, one GraphQL backfill."""
    sys.path.insert(0, str(ROOT))
    import infra_digest_tests.test_operations as ops
    from dagster import DagsterEventType

    home = fresh_home(work, tag)
    ws = home / "workspace.yaml"
    ws.write_text(f"load_from:\n  - python_file:\n      relative_path: {Path(__file__).resolve()}\n      attribute: defs\n"
                  f"      location_name: floor\n")
    ops.WORKSPACE = ws
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRA_DIGEST_", "DAGSTER_", "FLOOR_"))}
    env.update({"DAGSTER_HOME": str(home), "FLOOR_REPOS": str(repos), "FLOOR_META": "0", "FLOOR_START": START,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    first = dt.date.fromisoformat(START)
    keys = [f"{first + dt.timedelta(days=i)}|{r}" for i in range(days) for r in REPOS[:repos]]
    stack = ops.Stack(home, env)
    os.environ["DAGSTER_HOME"] = str(home)
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        stack.start_webserver()
        stack.start_daemon()
        stack.wait_ready()
        time.sleep(3)
        t0 = time.time()
        bid = stack.launch_backfill(keys, ["raw_events", "core_items", "classified_changes", "daily_digest", "daily_report"], title="floor")
        bf = stack.wait_backfill(bid, timeout=1800, poll=0.2)
        assert bf["status"] in ops.SUCCESS_STATUSES, ops.describe_backfill(bf)
        ends = [rec.timestamp for r in bf["runs"] for rec in instance.all_logs(r["runId"], of_type=DagsterEventType.STEP_SUCCESS)]
        return max(ends) - t0
    finally:
        stack.stop_all()
        instance.dispose()


def ours_cli(work: Path, days: int, repos: int, tag: str) -> float:
    """`infra-digest run` over DAYS generated days (bench/gen_replay.py, every watched repository recorded) with
    the first REPOS repositories of the watchlist, in a fresh process on a fresh instance, as the floor."""
    sys.path.insert(0, str(ROOT))
    from bench.backfill_bench import gen_replay
    from infra_digest.watchlist import load_watchlist

    first = dt.date.fromisoformat("2026-01-01")
    replay = work / f"replay{days}"
    if not replay.exists():
        gen_replay(replay, days, str(first))
    d = work / tag
    home = fresh_home(d, "home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRA_DIGEST_", "DAGSTER_", "FLOOR_"))}
    env["DAGSTER_HOME"] = str(home)
    if repos < 8:
        wl = d / "watchlist.yaml"
        wl.write_text("repos:\n" + "".join(f"  - {{repo: {r.repo}, name: {r.name}, branch: {r.branch}}}\n"
                                             for r in load_watchlist()[:repos]))
        env["INFRA_DIGEST_WATCHLIST"] = str(wl)
    exe = Path(sys.executable).parent / "infra-digest"
    cmd = [str(exe), "run", "--date", str(first), "--to", str(first + dt.timedelta(days=days - 1)),
           "--source", f"replay:{replay}", "--db", str(d / "h.duckdb"), "--out", str(d / "reports")]
    t0 = time.monotonic()
    subprocess.run(cmd, env=env, cwd=d, check=True, capture_output=True)
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--grid", default="3x8,30x8,90x8,484x1")
    ap.add_argument("--ui", default="", help="DAYSxREPOS points also measured through the UI path")
    ap.add_argument("--meta", action="store_true", help="also the floor with per-partition add_asset_metadata")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--ours", action="store_true", help="also `infra-digest run` on generated days, interleaved")
    args = ap.parse_args()
    if args.one:
        one_cli_run(args.one)
        return
    work = Path(tempfile.mkdtemp(prefix="floor_bench_"))
    rows = []
    for spec in args.grid.split(","):
        days, repos = (int(x) for x in spec.split("x"))
        kinds = {"floor": "0", **({"floor+meta": "1", "floor+meta, one call": "2"} if args.meta else {}),
                 **({"ours": "ours"} if args.ours else {})}
        for kind, meta in kinds.items():
            walls = []
            for i in range(args.repeat):
                load = os.getloadavg()[0]
                tag = f"{kind.replace(' ', '').replace(',', '')}-{spec}-{i}"
                walls.append(ours_cli(work, days, repos, tag) if meta == "ours" else floor_cli(work, days, repos, meta, tag))
            row = {"kind": kind, "path": "cli", "days": days, "repos": repos, "wall": statistics.median(walls), "each": walls, "load": load}
            rows.append(row)
            print(json.dumps(row), flush=True)
        if spec in args.ui.split(","):
            walls = []
            for i in range(args.repeat):
                load = os.getloadavg()[0]
                walls.append(floor_ui(work, days, repos, f"ui-{spec}-{i}"))
            row = {"kind": "floor", "path": "ui", "days": days, "repos": repos, "wall": statistics.median(walls), "each": walls, "load": load}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\n| days x repos | path | kind | median wall s | each | load |\n| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['days']} x {r['repos']} | {r['path']} | {r['kind']} | {r['wall']:.1f} | {' '.join(f'{w:.1f}' for w in r['each'])} | {r['load']:.1f} |")


if __name__ == "__main__":
    main()
