"""Benchmark of the LLM summaries against the fake OpenAI-compatible server (real litellm, real HTTP).

    .venv/bin/python bench/llm_bench.py [--replay ../shared/replay] [--days 2026-02-16,2026-02-18]
                                        [--lang zh|en|both] [--latency 0.3] [--concurrency 8]

1. The replay days are run through the pipeline (``infra-digest run``, extractive summaries) into a
   temporary DuckDB file, so that the contexts are exactly the ones the ``daily_digest`` asset builds.
2. For each day and language, ``summarize_day`` with an ``LLMSummarizer`` pointed at the fake server
   (answering every request after ``--latency`` seconds): requests, LLM calls, prompt and completion
   tokens (as the server counts them, ~chars/4, and with a real BPE tokenizer, o200k through litellm's
   local copy), sections from the model, wall time.
3. An immediate re-run of the same day: LLM calls (expected 0: every answer comes from ``llm.cache``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_REPLAY = ROOT.parent / "shared" / "replay"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replay", default=str(DEFAULT_REPLAY))
    ap.add_argument("--days", default=None, help="comma-separated days (default: every day folder of the replay)")
    ap.add_argument("--lang", default="zh", choices=["zh", "en", "both"])
    ap.add_argument("--latency", type=float, default=0.3)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args(argv)

    replay = Path(args.replay).resolve()
    days = sorted(args.days.split(",")) if args.days else sorted(p.name for p in replay.iterdir()
                                                                   if p.is_dir() and p.name[:4].isdigit())
    langs = ["zh", "en"] if args.lang == "both" else [args.lang]
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-key")

    from infra_digest.cli import main as cli_main
    from infra_digest.report.context import build_context
    from infra_digest.storage.db import connect
    from infra_digest.storage.reads import DayReader
    from infra_digest.summarize.engine import build_jobs, summarize_day
    from infra_digest.summarize.llm import LLMSummarizer, _litellm
    from infra_digest.watchlist import load_watchlist
    from infra_digest_tests.fakes.llm_server import FakeLLM

    work = Path(args.workdir or tempfile.mkdtemp(prefix="llm-bench-"))
    db = work / "bench.duckdb"
    print(f"replay {replay}, days {days[0]}..{days[-1]}, langs {','.join(langs)}, latency {args.latency:g}s, "
          f"concurrency {args.concurrency}, db {db}")
    t = time.monotonic()
    rc = cli_main(["run", "--date", days[0], "--to", days[-1], "--source", f"replay:{replay}", "--db", str(db),
                   "--out", str(work / "reports")])
    if rc:
        print(f"pipeline failed ({rc})", file=sys.stderr)
        return rc
    print(f"pipeline (extractive): {time.monotonic() - t:.1f}s")
    t = time.monotonic()
    litellm = _litellm()
    print(f"litellm import (once per process): {time.monotonic() - t:.2f}s")

    def bpe_tokens(jobs) -> int:
        return sum(litellm.token_counter(model="gpt-4o-mini", messages=j.messages()) for j in jobs)

    header = (f"{'day':<11} {'lang':<4} {'items':>5} {'reqs':>4} {'calls':>5} {'prompt tok':>10} {'(o200k)':>8} "
              f"{'compl tok':>9} {'llm/all sections':>16} {'fallbacks':>9} {'wall s':>7} {'rerun calls':>11} {'rerun s':>7}")
    print(header)
    print("-" * len(header))
    watchlist = load_watchlist()
    worst = {"prompt": 0, "seconds": 0.0, "rerun_calls": 0}
    with FakeLLM(latency=args.latency) as fake, connect(str(db)) as conn:
        for day in days:
            d = dt.date.fromisoformat(day)
            ctx = build_context(d, watchlist, **DayReader(conn).load_day(d))
            n_items = sum(1 for _ in ctx.items())
            for lang in langs:
                jobs, _ = build_jobs(ctx, lang)
                bpe = bpe_tokens(jobs)
                llm = LLMSummarizer("openai/fake-bench", conn, api_base=fake.api_base, timeout=30,
                                    max_concurrency=args.concurrency)
                fake.reset()
                t = time.monotonic()
                res = summarize_day(ctx, lang, llm)
                wall = time.monotonic() - t
                s = res.stats
                t = time.monotonic()
                again = summarize_day(ctx, lang, llm)
                rerun = time.monotonic() - t
                sections = s["llm_sections"] + s["extractive_sections"]
                print(f"{day:<11} {lang:<4} {n_items:>5} {s['requests']:>4} {s['llm_calls']:>5} {s['prompt_tokens']:>10} {bpe:>8} "
                      f"{s['completion_tokens']:>9} {s['llm_sections']:>7}/{sections:<8} {s['fallbacks']:>9} {wall:>7.2f} "
                      f"{again.stats['llm_calls']:>11} {rerun:>7.2f}")
                worst["prompt"] = max(worst["prompt"], s["prompt_tokens"], bpe)
                worst["seconds"] = max(worst["seconds"], wall)
                worst["rerun_calls"] = max(worst["rerun_calls"], again.stats["llm_calls"])
        print(f"max in-flight requests at the server: {fake.max_in_flight}")
    ok = worst["prompt"] < 60_000 and worst["seconds"] < 15 and worst["rerun_calls"] == 0
    print(f"worst day: {worst['prompt']} prompt tokens (aim < 60000), {worst['seconds']:.2f}s (aim < 15s), "
          f"{worst['rerun_calls']} calls on re-run (aim 0): {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
