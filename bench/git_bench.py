"""Benchmark of the git source (no Dagster, no database: the source alone).

    .venv/bin/python bench/git_bench.py [--shared ../shared] [--workdir DIR] [--synthetic 17000] [--per-day]

1. Backfill of the whole deepseek-ai/DeepGEMM history from its bundle (every UTC day from its first
   commit to its last): mirror creation time, read time, commits per second, and the number of REST
   requests the github source would need for the same data.
2. One day (2026-02-18) of every repository with a local mirror (the two bundles): wall time with
   ``git fetch`` of the mirrors (a normal daily run) and read-only (``fetch=False``).
3. Optional ``--synthetic N``: a generated N-commit linear history (fast-import), one day and a full
   backfill, to show the cost of walking a vllm/sglang-sized history (~17k commits).
4. Optional ``--per-day``: the DeepGEMM backfill done one day per call, for comparison with one call.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra_digest.sources.git import GitSource  # noqa: E402
from infra_digest.watchlist import RepoSpec  # noqa: E402

REPOS = ("deepseek-ai/DeepGEMM", "deepseek-ai/FlashMLA")
RATE_LIMIT_PER_HOUR = 5000  # authenticated GitHub REST core limit
LIST_PAGE = 100  # max per_page of GET /repos/{o}/{r}/commits
FILES_PAGE = 300  # GET /repos/{o}/{r}/commits/{sha} returns at most 300 files per page


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def rest_requests(batches) -> dict[str, int]:
    """Requests the github source needs for the same days.

    Per day: ceil(commits/100) pages of the list endpoint, and at least one even on a day without
    commits (the request that returns ``[]``); per commit: one detail request, plus one per extra page of
    300 files.
    """
    list_pages = sum(max(1, math.ceil(len(b.events) / LIST_PAGE)) for b in batches)
    list_pages_busy = sum(math.ceil(len(b.events) / LIST_PAGE) for b in batches)
    details = sum(len(b.events) for b in batches)
    extra_file_pages = sum(max(0, math.ceil(len(e.payload["files"]) / FILES_PAGE) - 1)
                           for b in batches for e in b.events)
    return {"list_pages": list_pages, "list_pages_days_with_commits": list_pages_busy, "details": details,
            "extra_file_pages": extra_file_pages, "total": list_pages + details + extra_file_pages}


def bench_backfill(shared: Path, work: Path, per_day: bool) -> None:
    repo = "deepseek-ai/DeepGEMM"
    spec = RepoSpec(repo, "DeepGEMM")
    remotes = {repo: str(shared / "git" / "deepseek-ai__DeepGEMM.bundle")}
    mirrors = work / "backfill"
    src = GitSource(mirrors, remotes=remotes)
    t0 = time.perf_counter()
    state = src.ensure_mirror(spec)
    t_clone = time.perf_counter() - t0
    if not state.usable:
        raise SystemExit(state.error)
    dates = subprocess.run(["git", f"--git-dir={state.path}", "log", "--format=%cI", f"refs/heads/{spec.branch}"],
                           capture_output=True, text=True, check=True).stdout.split()
    utc_days = sorted(dt.datetime.fromisoformat(d).astimezone(dt.timezone.utc).date() for d in dates)
    days = _days(utc_days[0], utc_days[-1])
    t0 = time.perf_counter()
    batches = list(src.fetch(spec, days))
    t_read = time.perf_counter() - t0
    n = sum(len(b.events) for b in batches)
    busy = sum(1 for b in batches if b.events)
    files = sum(len(e.payload["files"]) for b in batches for e in b.events)
    assert all(b.ok for b in batches), [b.error for b in batches if not b.ok]
    req = rest_requests(batches)
    print(f"## 1. Backfill of {repo}: every day {days[0]} .. {days[-1]}")
    print(f"days requested            {len(days)} ({busy} with commits)")
    print(f"commits                   {n} ({files} file entries)")
    print(f"mirror creation (bundle)  {t_clone:.3f} s")
    print(f"git source read           {t_read:.3f} s  (one git log + one git diff-tree --stdin)")
    print(f"commits per second        {n / t_read:,.0f} (read only), {n / (t_read + t_clone):,.0f} (incl. mirror)")
    print(f"total wall time           {t_clone + t_read:.3f} s")
    print(f"github source, same data  {req['total']} REST requests = {req['details']} commit details"
          f" + {req['list_pages']} list pages (one per day, {req['list_pages_days_with_commits']} on days with"
          f" commits: ceil(n/100) each) + {req['extra_file_pages']} extra file pages (>300 files)")
    print(f"                          = {req['total'] / RATE_LIMIT_PER_HOUR:.0%} of a token's hourly limit"
          f" ({RATE_LIMIT_PER_HOUR}/h), ~{req['total'] * 0.3 / 60:.1f} min at 0.3 s per sequential request")
    if per_day:
        src2 = GitSource(mirrors, remotes=remotes, fetch=False)
        t0 = time.perf_counter()
        n2 = sum(len(b.events) for d in days for b in src2.fetch(spec, [d]))
        t = time.perf_counter() - t0
        print(f"same, one call per day    {t:.3f} s for {n2} commits ({len(days)} git log walks)")
    print()


def bench_one_day(shared: Path, work: Path, day: dt.date) -> None:
    mirrors = work / "daily"
    remotes = {r: str(shared / "git" / f"{r.replace('/', '__')}.bundle") for r in REPOS}
    specs = [RepoSpec(r, r.split("/")[1]) for r in REPOS]
    t0 = time.perf_counter()
    for s in specs:
        GitSource(mirrors, remotes=remotes).ensure_mirror(s)
    t_clone = time.perf_counter() - t0
    print(f"## 2. One day ({day}) of {len(specs)} repositories from local mirrors ({', '.join(REPOS)})")
    print(f"first run: mirrors created {t_clone:.3f} s")
    for fetch in (True, False):
        src = GitSource(mirrors, remotes=remotes, fetch=fetch)
        t0 = time.perf_counter()
        counts = {}
        for s in specs:
            (b,) = src.fetch(s, [day])
            assert b.ok, b.error
            counts[s.repo] = len(b.events)
        t = time.perf_counter() - t0
        label = "daily run (git fetch + read)" if fetch else "read only (fetch=False)    "
        print(f"{label}  {t:.3f} s  commits: {counts}")
    print()


def bench_synthetic(work: Path, n: int) -> None:
    """A linear history of n commits, one per ~50 minutes, each touching 3 files, built with fast-import."""
    gitdir = work / "synthetic-src.git"
    subprocess.run(["git", "init", "-q", "--bare", str(gitdir)], check=True)
    t0 = time.perf_counter()
    start = int(dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc).timestamp())
    step = 3000

    def stream():
        for i in range(n):
            ts = start + i * step
            msg = f"Commit {i} (#{i})\n\n" + "Some description of the change.\n" * 5
            body = [f"commit refs/heads/main\nmark :{i + 1}\n",
                    f"author Dev {i % 50} <{i % 50}+dev{i % 50}@users.noreply.github.com> {ts} +0800\n",
                    f"committer GitHub <noreply@github.com> {ts} +0000\n",
                    f"data {len(msg.encode())}\n{msg}"]
            if i:
                body.append(f"from :{i}\n")
            for k in range(3):
                content = f"{i}\n" * (k + 1) + "".join(f"line {j}\n" for j in range(i % 20))
                body.append(f"M 100644 inline src/mod{(i + k) % 400}/file{k}.py\ndata {len(content)}\n{content}\n")
            yield "".join(body).encode()

    p = subprocess.Popen(["git", f"--git-dir={gitdir}", "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert p.stdin is not None
    for chunk in stream():
        p.stdin.write(chunk)
    p.stdin.close()
    if p.wait():
        raise SystemExit("fast-import failed")
    t_build = time.perf_counter() - t0
    spec = RepoSpec("synthetic/big", "big")
    src = GitSource(work / "synthetic-mirrors", remotes={spec.repo: str(gitdir)})
    src.ensure_mirror(spec)
    last = dt.datetime.fromtimestamp(start + (n - 1) * step, dt.timezone.utc).date()
    first = dt.datetime.fromtimestamp(start, dt.timezone.utc).date()
    print(f"## 3. Synthetic linear history of {n} commits ({first} .. {last}; built in {t_build:.1f} s)")
    t0 = time.perf_counter()
    (b,) = src.fetch(spec, [last - dt.timedelta(days=3)])
    print(f"one day (walks all {n})     {time.perf_counter() - t0:.3f} s, {len(b.events)} commits")
    days = _days(first, last)
    t0 = time.perf_counter()
    total = sum(len(b.events) for b in src.fetch(spec, days))
    t = time.perf_counter() - t0
    print(f"full backfill ({len(days)} days)  {t:.3f} s, {total} commits, {total / t:,.0f} commits/s")
    print()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path,
                    default=Path(os.environ.get("INFRA_DIGEST_SHARED", Path(__file__).resolve().parents[2] / "shared")))
    ap.add_argument("--workdir", type=Path, help="where the mirrors go (default: a temporary folder)")
    ap.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 2, 18))
    ap.add_argument("--synthetic", type=int, default=0, metavar="N", help="also bench an N-commit synthetic history")
    ap.add_argument("--per-day", action="store_true", help="also run the backfill as one call per day")
    args = ap.parse_args(argv)
    if not (args.shared / "git").is_dir():
        raise SystemExit(f"{args.shared / 'git'} not found (the DeepGEMM/FlashMLA bundles); pass --shared")
    print(f"git {subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.split()[-1]}, "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    with tempfile.TemporaryDirectory(prefix="git-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        bench_backfill(args.shared, work, args.per_day)
        bench_one_day(args.shared, work, args.day)
        if args.synthetic:
            bench_synthetic(work, args.synthetic)


if __name__ == "__main__":
    main()
