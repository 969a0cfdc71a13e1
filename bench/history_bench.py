"""The whole DeepGEMM history through Dagster (issue 19), beside its bare-Dagster floor, in one run.

    .venv/bin/python bench/history_bench.py [--bundle ../shared/git/deepseek-ai__DeepGEMM.bundle] [--repeat 1]
        [--from 2025-02-25 --to 2026-06-23] [--subset-planned]

Each measurement is a fresh process on a fresh SQLite instance (the project's dagster.yaml), interleaved:
- `ours`: `infra-digest run --date FROM --to TO --source git` with a one-repository watchlist whose remote is the
  bundle (one ingest run over 484 day|repo keys + one report run over 484 days);
- `floor`: bench/floor_bench.py's do-nothing assets, same partitions, policies and runs (1 repository);
- `floor+meta`: the floor plus one `add_asset_metadata(partition_key=...)` per partition and asset;
- with --subset-planned, `ours` again with DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=1 in the CLI process
  (one planned event per asset per run instead of one per partition; the UI then cannot show a failed
  repository-day of that run as failed, see docs/benchmarks.md).
It also counts the events each run wrote (from the instance), to show where the time goes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _tool(name: str) -> str:
    p = Path(sys.executable).parent / name
    return str(p) if p.exists() else name


def count_events(home: Path) -> dict[str, int]:
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    code = ("import dagster as dg, collections, json; i = dg.DagsterInstance.get(); c = collections.Counter();\n"
            "for r in i.get_run_records():\n"
            "    for e in i.all_logs(r.dagster_run.run_id): c[e.dagster_event.event_type_value if e.dagster_event else 'log'] += 1\n"
            "print(json.dumps(c))")
    import json

    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def ours(work: Path, bundle: Path, first: str, last: str, tag: str, subset: bool) -> tuple[float, Path]:
    d = work / tag
    home = d / "home"
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    wl = d / "watchlist.yaml"
    wl.write_text(f"repos:\n  - {{repo: deepseek-ai/DeepGEMM, name: DeepGEMM, branch: main, remote: '{bundle}'}}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRA_DIGEST_", "DAGSTER_"))}
    env.update({"DAGSTER_HOME": str(home), "INFRA_DIGEST_WATCHLIST": str(wl), "INFRA_DIGEST_GIT_DIR": str(d / "git")})
    if subset:
        env["DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"] = "1"
    cmd = [_tool("infra-digest"), "run", "--date", first, "--to", last, "--source", "git", "--db", str(d / "h.duckdb"),
           "--out", str(d / "reports")]
    t0 = time.monotonic()
    res = subprocess.run(cmd, env=env, cwd=d, capture_output=True, text=True)
    wall = time.monotonic() - t0
    assert res.returncode == 0, res.stderr[-3000:]
    return wall, home


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", default=str(ROOT.parent / "shared" / "git" / "deepseek-ai__DeepGEMM.bundle"))
    ap.add_argument("--from", dest="first", default="2025-02-25")
    ap.add_argument("--to", dest="last", default="2026-06-23")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--subset-planned", action="store_true")
    ap.add_argument("--no-meta", action="store_true")
    args = ap.parse_args()
    bundle = Path(args.bundle).resolve()
    if not bundle.exists():
        bundle = Path("/work/shared/git/deepseek-ai__DeepGEMM.bundle")
    days = (dt.date.fromisoformat(args.last) - dt.date.fromisoformat(args.first)).days + 1
    work = Path(tempfile.mkdtemp(prefix="history_bench_"))
    from bench.floor_bench import floor_cli  # noqa: E402

    res: dict[str, list[float]] = {}
    loads = []
    events: dict[str, dict] = {}
    for i in range(args.repeat):
        loads.append(os.getloadavg()[0])
        w, home = ours(work, bundle, args.first, args.last, f"ours{i}", False)
        res.setdefault("ours", []).append(w)
        print(f"[{i}] ours {w:.1f}s (load {loads[-1]:.1f})", flush=True)
        if i == 0:
            events["ours"] = count_events(home)
        if args.subset_planned:
            w, home = ours(work, bundle, args.first, args.last, f"subset{i}", True)
            res.setdefault("ours, subset planned events", []).append(w)
            print(f"[{i}] ours, subset planned {w:.1f}s", flush=True)
        os.environ["FLOOR_START"] = args.first
        w = floor_cli(work, days, 1, False, f"floor{i}")
        res.setdefault("floor", []).append(w)
        print(f"[{i}] floor {w:.1f}s", flush=True)
        if not args.no_meta:
            w = floor_cli(work, days, 1, True, f"floormeta{i}")
            res.setdefault("floor+meta", []).append(w)
            print(f"[{i}] floor+meta {w:.1f}s", flush=True)
        loads.append(os.getloadavg()[0])
    print(f"\nDeepGEMM history, {days} days x 1 repository, median of {args.repeat}, load average {min(loads):.1f}-{max(loads):.1f}")
    fl = statistics.median(res["floor"])
    for k, v in res.items():
        m = statistics.median(v)
        print(f"  {k}: {m:.1f}s (x{m / fl:.2f} the floor)  each {' '.join(f'{x:.1f}' for x in v)}")
    for k, v in events.items():
        print(f"  events written ({k}): {sum(v.values())}: " + ", ".join(f"{a} {b}" for a, b in sorted(v.items(), key=lambda kv: -kv[1])[:8]))


if __name__ == "__main__":
    main()
