"""A 90-day x 8-repository backfill as the UI launches it, against the CLI for the same range.

    .venv/bin/python bench/backfill_bench.py [--days 90] [--start 2026-01-01] [--keep DIR] [--skip-cli]

1. generates a replay directory with bench/gen_replay.py (about 120 items a day);
2. starts `dagster-webserver` and `dagster-daemon` on a temporary SQLite DAGSTER_HOME holding a copy of the
   project's dagster.yaml (pool "duckdb" limited to 1, up to 4 runs at a time);
3. launches through GraphQL, as the asset graph's "Materialize" does, one backfill of raw_events, core_items,
   classified_changes over every `<day>|<repo>` key AND daily_digest, daily_report (the reports are in the
   selection: the sensors report_after_ingest_* do not follow asset-graph backfills, see docs/operations.md);
4. prints the number of runs, the wall time from launch until the backfill is complete (reports included), and
   where the time went: the steps' own durations (from the runs' event logs, and the assets' `duration_s`
   metadata, i.e. our code) against run start-up, queueing and the daemon's 30 s iterations;
5. runs `infra-digest run --date D1 --to D2` on the same replay (one ingest run + one report run, in-process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra_digest_tests.test_operations import (  # noqa: E402  (helpers shared with the operations test)
    INGEST_ASSETS,
    SUCCESS_STATUSES,
    Stack,
    _tool,
    describe_backfill,
    step_intervals,
    tag_dict,
)

REPORT_ASSETS = ["daily_digest", "daily_report"]


def gen_replay(out: Path, days: int, start: str) -> str:
    res = subprocess.run([sys.executable, str(ROOT / "bench" / "gen_replay.py"), str(out), "--days", str(days), "--start", start],
                         check=True, capture_output=True, text=True)
    record_every_repository(out, days, start)
    return res.stdout.strip()


def record_every_repository(out: Path, days: int, start: str) -> None:
    """Every watched repository recorded every day (an absent folder means "not recorded")."""
    import datetime as _dt

    from infra_digest.demo.builders import write_replay
    from infra_digest.watchlist import load_watchlist

    first = _dt.date.fromisoformat(start)
    write_replay(out, recorded=[((first + _dt.timedelta(days=i)).isoformat(), r.repo) for i in range(days) for r in load_watchlist()])


def duration_metadata(instance, run_ids) -> float:
    """Sum of the `duration_s` metadata our assets record (one value per asset per run, repeated on every
    partition's materialization: counted once)."""
    from dagster import DagsterEventType

    total = 0.0
    for run_id in run_ids:
        seen = set()
        for rec in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
            mat = rec.dagster_event.event_specific_data.materialization
            d = mat.metadata.get("duration_s")
            if d is not None and mat.asset_key not in seen:
                seen.add(mat.asset_key)
                total += float(d.value)
    return total


def stock_yaml(text: str) -> str:
    """The project's dagster.yaml without its `run_queue:` block (Dagster's default: dequeue every 5 s)."""
    out, skip = [], False
    for line in text.splitlines():
        if line.startswith("run_queue:"):
            skip = True
            continue
        if skip and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        skip = False
        out.append(line)
    return "\n".join(out) + "\n"


def ui_backfill(work: Path, replay: Path, first: dt.date, last: dt.date, dequeue_interval: int | None = None,
                daemon: str = "wrapper", loop: float = 2.0, stock: bool = False, assets: list[str] | None = None,
                tag: str = "ui", run_buffer: int | None = None, yaml_extra: str = "") -> dict:
    """One UI backfill. daemon="wrapper": `infra-digest-daemon` (backfill loop `loop` s); "dagster": stock
    `dagster-daemon` (30 s). stock=True: the project's dagster.yaml without its run_queue block."""
    from dagster import DagsterInstance

    from infra_digest.watchlist import load_watchlist

    work = work / tag
    work.mkdir(parents=True)
    home = work / "dagster_home"
    home.mkdir()
    text = (ROOT / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text(stock_yaml(text) if stock else text)  # SQLite under $DAGSTER_HOME
    if dequeue_interval is not None:  # what-if: the run queue checked every N s
        with open(home / "dagster.yaml", "w") as fh:
            fh.write(stock_yaml(text) + f"\nrun_queue:\n  dequeue_interval_seconds: {dequeue_interval}\n")
    if run_buffer is not None:  # what-if: N queued runs may start while the pool slot is held (their step waits)
        y = (home / "dagster.yaml").read_text()
        assert "    granularity: op\n" in y
        (home / "dagster.yaml").write_text(y.replace("    granularity: op\n", f"    granularity: op\n    op_granularity_run_buffer: {run_buffer}\n"))
    if yaml_extra:
        with open(home / "dagster.yaml", "a") as fh:
            fh.write("\n" + yaml_extra + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRA_DIGEST_", "DAGSTER_"))}
    env.update({
        "DAGSTER_HOME": str(home),
        "INFRA_DIGEST_SOURCE": f"replay:{replay}",
        "INFRA_DIGEST_DB": str(work / "ui.duckdb"),
        "INFRA_DIGEST_REPORTS_DIR": str(work / "ui_reports"),
        "INFRA_DIGEST_START_DATE": str(first),
        "INFRA_DIGEST_BACKFILL_LOOP_SECONDS": str(loop),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    repos = [r.repo for r in load_watchlist()]
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    keys = [f"{d}|{r}" for d in days for r in repos]
    stack = Stack(work, env)
    os.chdir(work)  # the instance's relative SQLite paths, as the processes see them
    os.environ["DAGSTER_HOME"] = str(home)
    instance = DagsterInstance.from_config(str(home))
    try:
        t_up = time.monotonic()
        stack.start_webserver()
        stack.start_daemon(wrapper=(daemon == "wrapper"))
        stack.wait_ready()
        time.sleep(3)  # let the daemon finish starting, so that its first backfill iteration is not what we time
        up = time.monotonic() - t_up
        t0 = time.time()
        bid = stack.launch_backfill(keys, assets or INGEST_ASSETS + REPORT_ASSETS, title=f"bench {first}..{last} x {len(repos)}")
        bf = stack.wait_backfill(bid, timeout=1800, poll=0.2)
        wall = time.time() - t0
        report_files = [f for f in (work / "ui_reports").rglob("*") if f.is_file()]
        last_report = max((f.stat().st_mtime for f in report_files), default=float("nan")) - t0
        assert bf["status"] in SUCCESS_STATUSES, describe_backfill(bf)
        runs = bf["runs"]
        ids = [r["runId"] for r in runs]
        steps = step_intervals(instance, ids)
        step_total = sum(b - a for a, b, _, _ in steps)
        by_step: dict[str, float] = {}
        for a, b, _, key in steps:
            by_step[key] = by_step.get(key, 0.0) + b - a
        ours = duration_metadata(instance, ids)
        last_run_end = max(r["endTime"] for r in runs) - t0
        first_step = min(a for a, *_ in steps) - t0
        last_step_end = max(b for _, b, *_ in steps) - t0
        run_rows = sorted(((r["startTime"] - t0, r["endTime"] - r["startTime"], tag_dict(r).get("dagster/asset_partition_range_start"),
                            tag_dict(r).get("dagster/asset_partition_range_end")) for r in runs))
        reports = subprocess.run([_tool("infra-digest"), "sql", "SELECT count(*) FROM report.daily", "--format", "csv",
                                  "--db", str(work / "ui.duckdb")], capture_output=True, text=True, env=env).stdout.split()[-1]
        return {"runs": len(runs), "wall": wall, "last_report": last_report, "report_files": len(report_files), "up": up, "steps": step_total, "ours": ours, "first_step": first_step,
                "last_step_end": last_step_end, "by_step": by_step, "last_run_end": last_run_end, "run_rows": run_rows, "partitions": len(keys), "reports": reports}
    finally:
        stack.stop_all()
        instance.dispose()


def cli_run(work: Path, replay: Path, first: dt.date, last: dt.date, tag: str = "cli") -> dict:
    work = work / tag
    work.mkdir(parents=True)
    home = work / "cli_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRA_DIGEST_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(home)
    cmd = [_tool("infra-digest"), "run", "--date", str(first), "--to", str(last), "--source", f"replay:{replay}",
           "--db", str(work / "cli.duckdb"), "--out", str(work / "cli_reports")]
    t0 = time.monotonic()
    res = subprocess.run(cmd, env=env, cwd=work, capture_output=True, text=True)
    wall = time.monotonic() - t0
    assert res.returncode == 0, res.stderr[-3000:]
    files = [f for f in (work / "cli_reports").rglob("*") if f.is_file()]
    return {"wall": wall, "cmd": " ".join(cmd), "report_files": len(files)}


def click_to_report(args, work: Path) -> None:
    """Issue 19: the replay days (default ../shared/replay, 3 days x 8 repositories), the UI path and the CLI
    interleaved `--repeat` times in one run; time from the GraphQL launch to the last report file written."""
    import statistics

    replay = Path(args.replay).resolve()
    days = sorted(p.name for p in replay.iterdir() if p.is_dir() and p.name[:4].isdigit())
    first, last = dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1])
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    res: dict[str, list[dict]] = {v: [] for v in variants + ["cli"]}
    for i in range(args.repeat):
        load = os.getloadavg()[0]
        c = cli_run(work, replay, first, last, tag=f"cli{i}")
        c["load"] = load
        res["cli"].append(c)
        print(f"[{i}] cli: {c['wall']:.1f}s ({c['report_files']} report files), load {load:.1f}", flush=True)
        for v in variants:
            kw = VARIANTS[v]
            load = os.getloadavg()[0]
            u = ui_backfill(work, replay, first, last, tag=f"{v}{i}", **kw)
            u["load"] = load
            res[v].append(u)
            print(f"[{i}] {v}: last report +{u['last_report']:.1f}s, backfill complete +{u['wall']:.1f}s, {u['runs']} runs, "
                  f"{u['report_files']} report files, first step +{u['first_step']:.1f}s, load {load:.1f}", flush=True)
            for start, dur, a, b in u["run_rows"]:
                print(f"      +{start:6.1f}s  {dur:5.1f}s  {a} .. {b}")
    cli_med = statistics.median(c["wall"] for c in res["cli"])
    print(f"\n{len(days)} days x 8 repositories ({first}..{last}), median of {args.repeat}, load average "
          f"{min(r['load'] for rs in res.values() for r in rs):.1f}-{max(r['load'] for rs in res.values() for r in rs):.1f}")
    cli_each = " ".join(f"{c['wall']:.1f}" for c in res["cli"])
    print(f"  cli: {cli_med:.1f}s  ({cli_each})")
    for v in variants:
        lr = statistics.median(u["last_report"] for u in res[v])
        wc = statistics.median(u["wall"] for u in res[v])
        each = " ".join(f"{u['last_report']:.1f}" for u in res[v])
        print(f"  {v}: last report {lr:.1f}s (ratio {lr / cli_med:.1f}), complete {wc:.1f}s; "
              f"runs {sorted(u['runs'] for u in res[v])}; each: {each}")


# what each variant changes (see docs/benchmarks.md, "Click to report")
VARIANTS: dict[str, dict] = {
    # before issue 19: stock dagster-daemon (30 s backfill loop), queue dequeued every 5 s
    "stock": {"daemon": "dagster", "stock": True},
    # only the run queue every 1 s (dagster.yaml run_queue)
    "queue1": {"daemon": "dagster"},
    # the shipped set-up: dagster.yaml (queue 1 s) + infra-digest-daemon (backfill loop 2 s)
    "shipped": {"daemon": "wrapper", "loop": 2.0},
    "loop1": {"daemon": "wrapper", "loop": 1.0},
    "buffer1": {"daemon": "wrapper", "loop": 2.0, "run_buffer": 1},
    "buffer2": {"daemon": "wrapper", "loop": 2.0, "run_buffer": 2},
    "nologs": {"daemon": "wrapper", "loop": 2.0, "run_buffer": 1, "yaml_extra":
               "compute_logs: {module: dagster._core.storage.noop_compute_log_manager, class: NoOpComputeLogManager}"},
    "loop5": {"daemon": "wrapper", "loop": 5.0},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--start", default="2026-01-01")
    ap.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder, removed)")
    ap.add_argument("--skip-cli", action="store_true")
    ap.add_argument("--dequeue-interval", type=int, help="what-if: run_queue dequeue_interval_seconds N in the copied dagster.yaml")
    ap.add_argument("--stock", action="store_true", help="before issue 19: stock dagster-daemon, no run_queue block")
    ap.add_argument("--replay", help="click to report (issue 19): every day of this replay directory x 8 repositories, "
                                     "UI path and CLI interleaved; e.g. ../shared/replay")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--variants", default="stock,shipped", help=f"with --replay, comma-separated of {','.join(VARIANTS)}")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="backfill_bench_")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.replay:
        try:
            click_to_report(args, work)
        finally:
            if not args.keep:
                os.chdir("/")
                shutil.rmtree(work, ignore_errors=True)
        return
    first = dt.date.fromisoformat(args.start)
    last = first + dt.timedelta(days=args.days - 1)
    try:
        print(gen_replay(work / "replay", args.days, args.start))
        ui = ui_backfill(work, work / "replay", first, last, args.dequeue_interval,
                         daemon="dagster" if args.stock else "wrapper", stock=args.stock)
        print(f"\nUI backfill (GraphQL launchPartitionBackfill, ingest + report assets, {ui['partitions']} ingest partitions, "
              f"SQLite instance"
              f"{f', dequeue_interval_seconds {args.dequeue_interval}' if args.dequeue_interval else ''}, webserver + daemon up in {ui['up']:.0f}s):")
        print(f"  runs: {ui['runs']}")
        for start, dur, a, b in ui["run_rows"]:
            print(f"    +{start:6.1f}s  {dur:6.1f}s  {a} .. {b}")
        print(f"  wall time, launch -> backfill complete (reports included): {ui['wall']:.1f}s")
        print(f"  first step started at +{ui['first_step']:.1f}s, last step ended at +{ui['last_step_end']:.1f}s, "
              f"last run ended at +{ui['last_run_end']:.1f}s (then the daemon's next iteration marks the backfill complete)")
        print(f"  sum of step durations (event logs): {ui['steps']:.1f}s; our code (assets' duration_s): {ui['ours']:.1f}s")
        print(f"  orchestration overhead: {ui['wall'] - ui['steps']:.1f}s of {ui['wall']:.1f}s "
              f"({100 * (ui['wall'] - ui['steps']) / ui['wall']:.0f}%); our code is {100 * ui['ours'] / ui['wall']:.0f}% of the wall time")
        print("  step durations by step: " + ", ".join(f"{k} {v:.1f}s" for k, v in sorted(ui["by_step"].items(), key=lambda kv: -kv[1])))
        print(f"  report.daily rows: {ui['reports']}")
        if not args.skip_cli:
            cli = cli_run(work, work / "replay", first, last)
            print(f"\nCLI, same range: {cli['cmd']}\n  wall time: {cli['wall']:.1f}s (one ingest run + one report run, in-process)")
    finally:
        if not args.keep:
            os.chdir("/")
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
