#!/usr/bin/env python
"""Worst inputs for the core-row and classification stages: time and peak memory (issue 14, item 7).

Usage (from the repository root):

    .venv/bin/python bench/worst_inputs.py            # every case, each in a fresh process
    .venv/bin/python bench/worst_inputs.py --json

Cases (each must stay under 10 s and 500 MB):
  titles-100kb    60 items (commits, issues, PRs) whose titles are 100,000 characters of the shapes that made
                  the old patterns backtrack (runs of letters, digits, spaces, camel case, backticks ...)
  bodies-10mb     6 items (commit messages, issue and PR bodies) of 10 MB each
  files-5000      one commit listing 5,000 files (core row + classification)
  commits-3000    3,000 commits of one repository-day (core rows + classification)

Each case runs in its own process; "peak RSS" is that process's maximum resident set size (interpreter and
imports included, about 60-90 MB), "input MB" the size of the payloads it built before timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REPO = "vllm-project/vllm"
DAY = dt.date(2026, 2, 18)
DATE = "2026-02-18T05:00:00Z"
LIMIT_S, LIMIT_MB = 10.0, 500.0

SHAPES = {
    "letters": lambda n: "Fix " + "a" * n,
    "digits": lambda n: "Fix (#" + "9" * n,
    "backtick": lambda n: "`" + "a" * n,
    "camel": lambda n: "aB" * (n // 2),
    "Camel": lambda n: "Ab" * (n // 2) + "_",
    "spaces": lambda n: "Fix" + " " * n + "x",
    "colon": lambda n: "a" + " \t" * (n // 2) + ":",
    "question": lambda n: "?" + " " * n + "x",
    "separators": lambda n: "a_" * (n // 2),
    "words": lambda n: "fix the sm100 fp8 moe kernel " * (n // 29),
    "brackets": lambda n: "[" * n,
    "paths": lambda n: "csrc/" * (n // 5),
    "unicode": lambda n: "İ修复" * (n // 3),
    "pr refs": lambda n: " (#1)" * (n // 5),
    "tune": lambda n: "tune " + "a-" * (n // 2),
    "hashes": lambda n: " #1" * (n // 3),
    "urls": lambda n: "https://" + "a." * (n // 2),
    "emoji": lambda n: "🚀" * n,
    "newlines": lambda n: "x\n" * (n // 2),
    "nul": lambda n: "\x00" * n,
}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _events(payloads, kind):
    return [{"kind": kind, "id": str(i), "payload": p, "source": "bench"} for i, p in enumerate(payloads)]


def _classify_core(core) -> int:
    from infra_digest.classify import classify, classify_input

    n = 0
    for kind, rows in (("commit", core.commits), ("pull_request", core.pull_requests), ("issue", core.issues)):
        for row in rows:
            classify(classify_input(kind, row))
            n += 1
    return n


def case_titles() -> dict:
    from infra_digest.demo.builders import commit, issue

    commits, issues = [], []
    for i, (name, make) in enumerate(SHAPES.items()):
        title = make(100_000)
        c = commit(REPO, f"x{i}", date=DATE, files=[("vllm/a.py", "modified", 1, 0)])
        c["commit"]["message"] = "ok " + title  # "ok": a title that is not blank after stripping
        commits.append(c)
        issues.append(issue(REPO, 10 + i, title, created_at=DATE, body=title))
        issues.append(issue(REPO, 100 + i, title, created_at=DATE, body=title, pull_request=True, labels=[title[:200]]))
    return _run(lambda: _derive(commits, issues), len(commits) + len(issues), 100_000 * len(SHAPES) * 5)


def case_bodies() -> dict:
    from infra_digest.demo.builders import commit, issue

    commits, issues = [], []
    for i, name in enumerate(("letters", "spaces", "newlines")):
        body = SHAPES[name](10_000_000)
        c = commit(REPO, f"Fix x{i}", date=DATE, files=[("vllm/a.py", "modified", 1, 0)])
        c["commit"]["message"] = f"Fix the {name} case\n\n" + body
        commits.append(c)
        issues.append(issue(REPO, 10 + i, f"[Bug] {name}", created_at=DATE, body=body))
    return _run(lambda: _derive(commits, issues), 6, 60_000_000)


def case_files() -> dict:
    from infra_digest.demo.builders import commit

    files = [(f"csrc/attention/{['sm90', 'sm100', 'mxfp4', 'utils'][i % 4]}_kernel_{i}.cu", "added", 10, 0)
             for i in range(5000)]
    c = commit(REPO, "Multiple updates and refactorings", date=DATE, files=files)
    return _run(lambda: _derive([c], []), 1, len(json.dumps(c)))


def case_commits() -> dict:
    sys.path.insert(0, str(ROOT / "bench"))
    import classify_bench

    from infra_digest.demo.builders import commit

    commits = []
    for i, obj in enumerate(o for o in classify_bench.synthetic_items(6000, seed=3) if "sha" in o):
        if len(commits) == 3000:
            break
        message = obj["commit"]["message"]
        files = [(f["filename"], "modified", 3, 1) for f in obj["files"]]
        commits.append(commit(REPO, message.split("\n")[0], body=f"body {i}", date=DATE, sha=obj["sha"], files=files))
    return _run(lambda: _derive(commits, []), len(commits), sum(len(json.dumps(c)) for c in commits))


def _derive(commits, issues):
    from infra_digest.transform import derive_core

    t0 = time.perf_counter()
    core = derive_core(REPO, DAY, _events(commits, "commit") + _events(issues, "issue"))
    t1 = time.perf_counter()
    n = _classify_core(core)
    t2 = time.perf_counter()
    return {"core_s": t1 - t0, "classify_s": t2 - t1, "classified": n}


def _run(fn, items: int, input_chars: int) -> dict:
    from infra_digest.classify import load_taxonomy

    load_taxonomy()  # compiled once per process, as in the pipeline
    before = _rss_mb()
    t0 = time.perf_counter()
    out = fn()
    out["seconds"] = time.perf_counter() - t0
    out["items"] = items
    out["input_mb"] = input_chars / 1e6
    out["rss_before_mb"] = before
    out["peak_rss_mb"] = _rss_mb()
    return out


CASES = {"titles-100kb": case_titles, "bodies-10mb": case_bodies, "files-5000": case_files, "commits-3000": case_commits}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", choices=list(CASES), help="run one case in this process and print its JSON")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.case:
        print(json.dumps(CASES[args.case]()))
        return 0
    results = {}
    for name in CASES:
        done = subprocess.run([sys.executable, __file__, "--case", name], capture_output=True, text=True, cwd=ROOT)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return 1
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    failed = [n for n, r in results.items() if r["seconds"] >= LIMIT_S or r["peak_rss_mb"] >= LIMIT_MB]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{'case':14s} {'items':>6s} {'input MB':>9s} {'core s':>7s} {'classify s':>10s} {'total s':>8s} {'peak RSS MB':>12s}")
        for name, r in results.items():
            print(f"{name:14s} {r['items']:6d} {r['input_mb']:9.1f} {r['core_s']:7.2f} {r['classify_s']:10.2f} "
                  f"{r['seconds']:8.2f} {r['peak_rss_mb']:12.0f}")
        print(f"limits: {LIMIT_S:.0f} s and {LIMIT_MB:.0f} MB per case" + (f"; OVER: {', '.join(failed)}" if failed else "; all within"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
