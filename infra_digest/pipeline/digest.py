"""Digest stage: the text of each day (gists, repository paragraphs, summary, overview), per language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from infra_digest.report.context import build_context
from infra_digest.storage.reads import DayReader
from infra_digest.summarize.engine import summarize_day
from infra_digest.watchlist import RepoSpec

TOTAL_KEYS = ("llm_sections", "extractive_sections", "fallbacks", "llm_calls", "cache_hits", "prompt_tokens", "completion_tokens",
              "llm_errors")


@dataclass
class DigestOutput:
    item_rows: list[dict[str, Any]] = field(default_factory=list)  # summaries.items
    digest_rows: list[dict[str, Any]] = field(default_factory=list)  # summaries.digests
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)  # "day/lang" -> summarizer stats

    def totals(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: sum(st.get(k, 0) or 0 for st in self.stats.values()) for k in TOTAL_KEYS}
        out["cost_usd"] = round(sum(st.get("cost_usd", 0) or 0 for st in self.stats.values()), 6)
        out["llm_failed"] = self.llm_failed()
        return out

    def llm_failed(self) -> list[str]:
        """The "day/lang" whose summary failed: a model was configured and none of its requests was answered
        (every call failed, e.g. HTTP 401, or the day's deadline passed). Their text is extractive; the run should
        end with an error and the report says the LLM failed."""
        return sorted(k for k, st in self.stats.items() if st.get("llm_status") == "failed")


def digest_days(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date], watchlist: Sequence[RepoSpec],
                langs: Sequence[str], summarizer: Any = None, say: Callable[[str], None] | None = None) -> DigestOutput:
    """Summarize ``days`` in ``langs`` from what the history holds. ``summarizer`` is None for extractive text only.
    LLM cache rows go through ``conn`` outside any transaction of the caller's."""
    out = DigestOutput()
    reader = DayReader(conn, days)  # one query per table for all days, not one per day
    contexts = {day: build_context(day, watchlist, **reader.load_day(day)) for day in days}
    for day, ctx in contexts.items():
        for lang in langs:
            result = summarize_day(ctx, lang, llm=summarizer)
            if summarizer is not None and say is not None:
                say(f"digest {day} {lang}: {result.stats.get('llm_calls', 0)} LLM calls, "
                    f"{result.stats.get('cache_hits', 0)} cache hits, {result.stats.get('fallbacks', 0)} fallbacks")
            out.stats[f"{day}/{lang}"] = result.stats
            for (repo, kind, item_id), text in result.items.items():
                out.item_rows.append({"day": day, "repo": repo, "lang": lang, "item_kind": kind, "item_id": item_id,
                                      "text": text.text, "summarizer": text.summarizer, "fallback_reason": text.fallback_reason})
            for section, repo, text in result.sections():
                out.digest_rows.append({"day": day, "lang": lang, "section": section, "repo": repo, "text": text.text,
                                        "summarizer": text.summarizer, "fallback_reason": text.fallback_reason})
    return out
