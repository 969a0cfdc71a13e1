"""Digest stage: the text of each day (gists, repository paragraphs, summary, overview), per language.

Three phases, so that the history is never held (write-locked on a DuckDB file) while a model answers
(issue 14.5):

1. :func:`load_digest_inputs` (a short read): the days' contexts, the model's prompts, and the ``llm.cache`` rows
   of those prompts (into the summarizer's in-memory snapshot);
2. :func:`summarize_digest` (no connection): extractive text, and the model asked what the cache does not answer;
   the new cache rows and the ``llm.calls`` rows stay in memory, in the output;
3. :func:`write_digest` (a short write): the LLM rows in a transaction of their own (answers paid for are kept even
   if the next write fails), then ``summaries.items`` and ``summaries.digests`` of every (day, language) in one.

:func:`digest_days` composes 1 and 2 on one connection for callers that hold one anyway (tests, scripts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from infra_digest.models import DayContext
from infra_digest.report.context import build_context
from infra_digest.storage.reads import DayReader
from infra_digest.storage.writes import replace_partitions, transaction
from infra_digest.summarize.engine import Plan, build_jobs, summarize_day
from infra_digest.summarize.llm import LLMWrites, write_llm_rows
from infra_digest.watchlist import RepoSpec

TOTAL_KEYS = ("llm_sections", "extractive_sections", "fallbacks", "llm_calls", "cache_hits", "prompt_tokens", "completion_tokens",
              "llm_errors")


@dataclass(frozen=True)
class DigestInputs:
    """What the digest of ``days`` x ``langs`` is made from, read from the history; holds no connection."""

    days: tuple[dt.date, ...]
    langs: tuple[str, ...]
    contexts: Mapping[dt.date, DayContext]
    plans: Mapping[tuple[dt.date, str], Plan] = field(default_factory=dict)  # (day, lang) -> model requests
    cached: int = 0  # prompts the cache answers (found in the read phase)


@dataclass
class DigestOutput:
    item_rows: list[dict[str, Any]] = field(default_factory=list)  # summaries.items
    digest_rows: list[dict[str, Any]] = field(default_factory=list)  # summaries.digests
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)  # "day/lang" -> summarizer stats
    keys: list[dict[str, Any]] = field(default_factory=list)  # the (day, lang) partitions these rows replace
    llm: LLMWrites = field(default_factory=LLMWrites)  # llm.cache and llm.calls rows not written yet

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


def load_digest_inputs(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date], watchlist: Sequence[RepoSpec],
                       langs: Sequence[str], summarizer: Any = None) -> DigestInputs:
    """Phase 1: read the contexts of ``days`` (one query per table for all of them) and, with a summarizer, build
    the model's requests and load the cache rows of their prompts into it. A read-only connection is enough."""
    days = tuple(sorted(set(days)))
    reader = DayReader(conn, days)
    contexts = {day: build_context(day, watchlist, **reader.load_day(day)) for day in days}
    plans: dict[tuple[dt.date, str], Plan] = {}
    cached = 0
    if summarizer is not None:
        keys: list[str] = []
        for day, ctx in contexts.items():
            for lang in langs:
                plans[(day, lang)] = plan = build_jobs(ctx, lang)
                keys += summarizer.cache_keys(plan[0])
        cached = summarizer.load_cache(conn, keys)
    return DigestInputs(days=days, langs=tuple(langs), contexts=contexts, plans=plans, cached=cached)


def summarize_digest(inputs: DigestInputs, summarizer: Any = None,
                     say: Callable[[str], None] | None = None) -> DigestOutput:
    """Phase 2: the text of every (day, language), without any connection. ``summarizer`` is None for extractive
    text only; with one, its cache and call rows come back in ``DigestOutput.llm`` for :func:`write_digest`."""
    out = DigestOutput(keys=[{"day": d, "lang": lang} for d in inputs.days for lang in inputs.langs])
    for day in inputs.days:
        ctx = inputs.contexts[day]
        for lang in inputs.langs:
            result = summarize_day(ctx, lang, llm=summarizer, plan=inputs.plans.get((day, lang)))
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
    if summarizer is not None:
        out.llm = summarizer.take_writes()
    return out


def write_digest(conn: duckdb.DuckDBPyConnection, out: DigestOutput) -> None:
    """Phase 3: the LLM rows (their own transaction), then every (day, language) of ``out`` replaced in
    ``summaries.items`` and ``summaries.digests`` in one transaction."""
    write_llm_rows(conn, out.llm)
    out.llm = LLMWrites()
    with transaction(conn):
        replace_partitions(conn, "summaries.items", out.keys, out.item_rows)
        replace_partitions(conn, "summaries.digests", out.keys, out.digest_rows)


def digest_days(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date], watchlist: Sequence[RepoSpec],
                langs: Sequence[str], summarizer: Any = None, say: Callable[[str], None] | None = None) -> DigestOutput:
    """Phases 1 and 2 on ``conn``, and the LLM rows written through it; the summaries rows are returned for the
    caller to write (``write_digest``, or its own transaction). It holds ``conn`` while the model answers: code
    that runs with a model (the ``daily_digest`` asset) uses the three phases with a connection each."""
    inputs = load_digest_inputs(conn, days, watchlist, langs, summarizer)
    out = summarize_digest(inputs, summarizer, say=say)
    write_llm_rows(conn, out.llm)
    out.llm = LLMWrites()
    return out
