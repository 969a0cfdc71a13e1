"""Whole-process wall time and peak memory of `infra-digest run` on a replay directory.

    .venv/bin/python bench/pipeline_bench.py [REPLAY_DIR] [--repeat 3]

For each day of REPLAY_DIR (default ../shared/replay): the median wall time of REPEAT runs of the real
command (a new Python process each time, on one persistent SQLite Dagster instance and DuckDB file), its
peak RSS, and the report's coverage (every commit sha and issue number of the day present). Then the same
for all days as one range run, and the start-up cost (Python + imports) on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "infra_digest.cli"]


def timed(cmd: list[str], env: dict, cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """(seconds, peak RSS MiB of that child, result). Each run is wrapped in its own process for a clean maxrss."""
    wrapper = (
        "import resource, subprocess, sys, time, json; t=time.perf_counter(); "
        "p=subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "d=time.perf_counter()-t; r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
        "print(json.dumps({'s': d, 'rss_kb': r, 'rc': p.returncode, 'out': p.stdout, 'err': p.stderr[-2000:]}))"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper, *cmd], env=env, cwd=cwd, capture_output=True, text=True)
    res = json.loads(proc.stdout)
    return res["s"], res["rss_kb"] / 1024, subprocess.CompletedProcess(cmd, res["rc"], res["out"], res["err"])


def coverage(replay: Path, day: str, report: Path) -> str:
    tool = ROOT.parent / "shared" / "tools" / "report_coverage.py"
    if not tool.exists():
        return "n/a (report_coverage.py not found)"
    out = subprocess.run([sys.executable, str(tool), str(replay), day, str(report)], capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def count_items(replay: Path, day: str) -> tuple[int, int]:
    commits = issues = 0
    for folder in (replay / day).glob("*__*"):
        if (folder / "commits_list.json").exists():
            commits += len(json.loads((folder / "commits_list.json").read_text()))
        if (folder / "issues.json").exists():
            issues += len(json.loads((folder / "issues.json").read_text()))
    return commits, issues


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("replay", nargs="?", default=str(ROOT.parent / "shared" / "replay"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    replay = Path(args.replay).resolve()
    days = sorted(p.name for p in replay.iterdir() if re.fullmatch(r"\d{4}-\d\d-\d\d", p.name))
    work = Path(tempfile.mkdtemp(prefix="infra-digest-bench-"))
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "INFRA_DIGEST_DB": str(work / "h.duckdb"),
           "INFRA_DIGEST_REPORTS_DIR": str(work / "reports"), "PYTHONPATH": str(ROOT)}
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; replay {replay}; work dir {work}")

    startup = [timed([sys.executable, "-c", "import infra_digest.definitions"], env, work)[0] for _ in range(args.repeat)]
    bare = [timed([sys.executable, "-c", "import dagster"], env, work)[0] for _ in range(args.repeat)]
    print(f"start-up: python + import infra_digest.definitions {statistics.median(startup):.2f}s "
          f"(of which import dagster {statistics.median(bare):.2f}s)")

    print(f"\n{'day':<12}{'commits':>8}{'issues':>8}{'median s':>10}{'runs s':>22}{'peak MiB':>10}  coverage")
    for day in days:
        times, rss = [], []
        for _ in range(args.repeat):
            s, mb, res = timed([*CLI, "run", "--date", day, "--source", f"replay:{replay}"], env, work)
            if res.returncode != 0:
                sys.exit(f"run failed for {day}: {res.stderr}")
            times.append(s)
            rss.append(mb)
        c, i = count_items(replay, day)
        cov = coverage(replay, day, work / "reports" / f"{day}.zh.md")
        print(f"{day:<12}{c:>8}{i:>8}{statistics.median(times):>10.2f}{' '.join(f'{t:.2f}' for t in times):>22}{max(rss):>10.0f}  {cov}")

    times, rss = [], []
    for _ in range(args.repeat):
        s, mb, res = timed([*CLI, "run", "--date", days[0], "--to", days[-1], "--source", f"replay:{replay}"], env, work)
        if res.returncode != 0:
            sys.exit(f"range run failed: {res.stderr}")
        times.append(s)
        rss.append(mb)
    print(f"{days[0]}..{days[-1]} as one range: median {statistics.median(times):.2f}s "
          f"({' '.join(f'{t:.2f}' for t in times)}), peak {max(rss):.0f} MiB")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
