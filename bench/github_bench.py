"""Benchmark the GitHub source against the fake GitHub API serving a replay directory.

    .venv/bin/python bench/github_bench.py [REPLAY_DIR] [--per-page 100] [--duckdb PATH] [--revalidate-immutable]

For every day and repository of REPLAY_DIR (default ../shared/replay): the HTTP requests of a first fetch
(empty validator store) against the smallest number of requests that can fetch the same data over REST,
then the requests of an immediate re-run with the validators of the first run (and how many were 304s,
which GitHub does not count against the rate limit), and wall times. A second table fetches each
repository's whole range of days in one call (one listing per endpoint for the range).

The smallest number of requests for one repository and day, counted from the served data:

- commits: ceil(n / per_page) list pages (at least 1, to learn that there are none), plus one detail request
  per commit, plus one more per further 300 files of a commit (GitHub pages commit files at 300, max 3000);
- issues and PRs opened: the pages of ``/issues?state=all&sort=created&direction=desc`` up to and including
  the first item created before the day, since a REST client cannot know it has seen every item of the
  day before it sees an older one or the end of the list: ceil((m + 1) / per_page) with m items created
  since the day's start and an older item present, else max(1, ceil(m / per_page));
- merged PRs: the same over ``/pulls?state=closed&sort=updated&direction=desc`` with ``updated_at``.

The re-run reuses commit details (addressed by sha, immutable) from the validator store without asking,
and revalidates each listing page (304). ``--revalidate-immutable`` revalidates the details too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra_digest.sources.base import day_bounds, parse_ts  # noqa: E402
from infra_digest.sources.github import GitHubClient, GitHubConfig, GitHubSource  # noqa: E402
from infra_digest.sources.http_cache import DuckDBHttpCache, MemoryHttpCache  # noqa: E402
from infra_digest.watchlist import RepoSpec  # noqa: E402
from infra_digest_tests.fakes.github_server import FILES_PER_PAGE, MAX_FILES, FakeGitHub, _pull_from_issue  # noqa: E402

DEFAULT_REPLAY = ROOT.parent / "shared" / "replay"


def _pages_until(stamps: list[dt.datetime], start: dt.datetime, per_page: int) -> int:
    """Pages of a newest-first listing up to the first item older than ``start`` (or the end)."""
    m = sum(1 for t in stamps if t >= start)
    older = any(t < start for t in stamps)
    return math.ceil((m + 1) / per_page) if older else max(1, math.ceil(m / per_page))


def minimum_requests(fake: FakeGitHub, repo: str, days: list[dt.date], per_page: int) -> dict[str, int]:
    data = fake.repos[repo.lower()]
    start, end = day_bounds(min(days))[0], day_bounds(max(days))[1]
    wanted = set(days)
    commits = []
    for sha, item in data.commits.items():
        c = item.get("commit") or {}
        ts = parse_ts((c.get("committer") or {}).get("date"))
        if ts and start <= ts < end and ts.date() in wanted:
            commits.append(sha)
    detail = 0
    for sha in commits:
        n_files = min(MAX_FILES, len(data.details.get(sha, {}).get("files") or []))
        detail += max(1, math.ceil(n_files / FILES_PER_PAGE))

    def created(item: dict, day: str) -> dt.datetime:
        return parse_ts(item.get("created_at")) or dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc)

    def updated(item: dict, day: str) -> dt.datetime:
        return parse_ts(item.get("updated_at")) or created(item, day)

    issue_stamps = [created(it, d) for it, d in data.issues.values()]
    pulls = dict(data.pulls)
    for num, (it, d) in data.issues.items():
        if "pull_request" in it and num not in pulls:
            pulls[num] = (_pull_from_issue(it, "", data.full_name), d)
    pull_stamps = [updated(it, d) for it, d in pulls.values() if it.get("state") == "closed"]
    out = {
        "commit_list": max(1, math.ceil(len(commits) / per_page)),
        "commit_detail": detail,
        "issues": _pages_until(issue_stamps, start, per_page),
        "pulls": _pages_until(pull_stamps, start, per_page),
        "commits": len(commits),
    }
    out["total"] = out["commit_list"] + out["commit_detail"] + out["issues"] + out["pulls"]
    return out


def run(fake: FakeGitHub, spec: RepoSpec, days: list[dt.date], cache, per_page: int, reuse_immutable: bool):
    fake.reset_log()
    client = GitHubClient(GitHubConfig(fake.url, reuse_immutable=reuse_immutable), None, http_cache=cache, log=lambda m: None)
    src = GitHubSource(client, per_page=per_page)
    t0 = time.perf_counter()
    batches = list(src.fetch(spec, days))
    wall = time.perf_counter() - t0
    src.close()
    errors = [b.error for b in batches if b.error]
    if errors:
        raise SystemExit(f"fetch failed: {errors[0]}")
    reqs = len(fake.requests)
    n304 = fake.count(status=304)
    hits = sum(b.stats.get("cache_hits", 0) for b in batches)
    assert reqs == sum(b.stats["requests"] for b in batches), "client and server disagree on the request count"
    return batches, reqs, n304, hits, wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("replay_dir", nargs="?", default=str(DEFAULT_REPLAY))
    ap.add_argument("--per-page", type=int, default=100)
    ap.add_argument("--duckdb", help="keep validators in this DuckDB file (raw.http_cache) instead of memory")
    ap.add_argument("--revalidate-immutable", action="store_true", help="re-run revalidates commit details too (304s)")
    args = ap.parse_args(argv)

    replay = Path(args.replay_dir)
    if not replay.is_dir():
        raise SystemExit(f"no replay directory at {replay}")
    days = sorted(dt.date.fromisoformat(p.name) for p in replay.iterdir() if p.is_dir() and p.name[:2] == "20")
    def new_cache():
        if args.duckdb:
            return DuckDBHttpCache(args.duckdb)
        return MemoryHttpCache()

    with FakeGitHub(replay) as fake:
        repos = sorted(fake.repos.values(), key=lambda r: r.full_name.lower())
        rows = []
        tot = dict(min=0, first=0, rerun=0, n304=0, hits=0, first_s=0.0, rerun_s=0.0)
        for day in days:
            for r in repos:
                spec = RepoSpec(r.full_name, r.full_name, branch=r.default_branch)
                mins = minimum_requests(fake, r.full_name, [day], args.per_page)
                if args.duckdb:
                    Path(args.duckdb).unlink(missing_ok=True)
                cache = new_cache()
                _, first, f304, _, first_s = run(fake, spec, [day], cache, args.per_page, True)
                if args.duckdb:
                    cache = new_cache()  # a fresh process would reload the validators from DuckDB
                _, rerun, r304, hits, rerun_s = run(fake, spec, [day], cache, args.per_page, not args.revalidate_immutable)
                rows.append((day, r.full_name, mins, first, rerun, r304, hits, first_s, rerun_s))
                tot["min"] += mins["total"]
                tot["first"] += first
                tot["rerun"] += rerun
                tot["n304"] += r304
                tot["hits"] += hits
                tot["first_s"] += first_s
                tot["rerun_s"] += rerun_s

        print(f"GitHub source vs. fake GitHub API serving {replay} (per_page={args.per_page})")
        print()
        hdr = f"{'day':<10} {'repository':<26} {'commits':>7} {'minimum':>7} {'1st run':>7} {'over':>6} {'re-run':>6} {'304s':>5} {'reused':>6} {'1st ms':>7} {'re ms':>6}"
        print(hdr)
        print("-" * len(hdr))
        for day, name, mins, first, rerun, r304, hits, fs, rs in rows:
            over = (first - mins["total"]) / mins["total"] * 100
            print(
                f"{day} {name:<26} {mins['commits']:>7} {mins['total']:>7} {first:>7} {over:>5.0f}% {rerun:>6} {r304:>5} {hits:>6} {fs * 1000:>7.0f} {rs * 1000:>6.0f}"
            )
        print("-" * len(hdr))
        over = (tot["first"] - tot["min"]) / tot["min"] * 100
        print(
            f"{'total':<37} {'':>7} {tot['min']:>7} {tot['first']:>7} {over:>5.1f}% {tot['rerun']:>6} {tot['n304']:>5} {tot['hits']:>6} {tot['first_s'] * 1000:>7.0f} {tot['rerun_s'] * 1000:>6.0f}"
        )
        print()
        print("minimum = commit list pages + commit detail requests (+1 per further 300 files) + issue listing pages")
        print("          up to the first item created before the day + closed-PR listing pages up to the first item")
        print("          updated before the day. 're-run' = requests of an immediate second fetch with the first run's")
        print("          validators; '304s' = how many of them were 304 Not Modified; 'reused' = commit details taken")
        print("          from the validator store without a request (immutable, addressed by sha).")

        # the whole range per repository, one fetch (one listing per endpoint for all days)
        print()
        print(f"Whole range {days[0]}..{days[-1]} in one fetch per repository:")
        hdr2 = f"{'repository':<26} {'commits':>7} {'sum of daily minima':>19} {'range minimum':>13} {'1st run':>7} {'re-run':>6} {'304s':>5} {'1st ms':>7}"
        print(hdr2)
        print("-" * len(hdr2))
        t_daily = t_range = t_first = t_rerun = t_304 = 0
        for r in repos:
            spec = RepoSpec(r.full_name, r.full_name, branch=r.default_branch)
            daily = sum(m[2]["total"] for m in rows if m[1] == r.full_name)
            mins = minimum_requests(fake, r.full_name, days, args.per_page)
            if args.duckdb:
                Path(args.duckdb).unlink(missing_ok=True)
            cache = new_cache()
            _, first, _, _, fs = run(fake, spec, days, cache, args.per_page, True)
            _, rerun, r304, _, _ = run(fake, spec, days, cache, args.per_page, not args.revalidate_immutable)
            print(f"{r.full_name:<26} {mins['commits']:>7} {daily:>19} {mins['total']:>13} {first:>7} {rerun:>6} {r304:>5} {fs * 1000:>7.0f}")
            t_daily += daily
            t_range += mins["total"]
            t_first += first
            t_rerun += rerun
            t_304 += r304
        print("-" * len(hdr2))
        print(f"{'total':<26} {'':>7} {t_daily:>19} {t_range:>13} {t_first:>7} {t_rerun:>6} {t_304:>5}")
    ok = tot["first"] <= tot["min"] * 1.10 and tot["rerun"] == tot["n304"]
    print()
    print(
        f"aim: first run <= 10% above the minimum: {'yes' if tot['first'] <= tot['min'] * 1.10 else 'NO'} "
        f"({over:+.1f}%); re-run downloads nothing (every request a 304): {'yes' if tot['rerun'] == tot['n304'] else 'NO'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
