"""One report row (Markdown + HTML + stats) for a day and language, from what DuckDB holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb

from infra_digest.models import DaySummary, Text
from infra_digest.report.context import build_context
from infra_digest.report.i18n import source_name, t
from infra_digest.report.links import DEFAULT_WEB_ORIGIN
from infra_digest.report.render import render
from infra_digest.storage.reads import DayReader
from infra_digest.watchlist import RepoSpec


_UNANSWERED = ("model error", "deadline exceeded")


def llm_status(sections: list[dict[str, Any]], items: list[dict[str, Any]]) -> str:
    """"none" (no model), "ok", "partial" (some sections unanswered by the model) or "failed" (a model was
    configured and wrote nothing: every request failed or the deadline passed), from the stored summary rows."""
    rows = (*sections, *items)
    by_llm = any(r["summarizer"].startswith("llm:") for r in rows)
    unanswered = [r for r in rows if (r.get("fallback_reason") or "").startswith(_UNANSWERED)]
    if not unanswered:
        return "ok" if by_llm else "none"
    return "partial" if by_llm else "failed"


def _summarizer_line(lang: str, sections: list[dict[str, Any]], items: list[dict[str, Any]]) -> tuple[str, str]:
    names = {r["summarizer"] for r in (*sections, *items)}
    llm = sorted(n for n in names if n.startswith("llm:"))
    fallbacks = sum(1 for r in (*sections, *items) if r.get("fallback_reason"))
    if not llm and llm_status(sections, items) == "failed":
        reason = next(r["fallback_reason"] for r in (*sections, *items) if (r.get("fallback_reason") or "").startswith(_UNANSWERED))
        return "extractive", t(lang, "llm_failed", reason=reason[:200])
    if not llm:
        return "extractive", t(lang, "extractive")
    model = ", ".join(n.removeprefix("llm:") for n in llm)
    return f"llm:{model}", t(lang, "llm", model=model, fallbacks=fallbacks)


def summary_from_rows(items: list[dict[str, Any]], sections: list[dict[str, Any]]) -> DaySummary:
    """A day's summary in one language as ``summaries.items`` and ``summaries.digests`` hold it."""
    def text(r: dict[str, Any]) -> Text:
        return Text(r["text"], r["summarizer"], r.get("fallback_reason"))

    by_section = {s["section"]: text(s) for s in sections if s["section"] in ("summary", "overview")}
    return DaySummary(items={(r["repo"], r["item_kind"], r["item_id"]): text(r) for r in items},
                      repos={s["repo"]: text(s) for s in sections if s["section"] == "repo"},
                      summary=by_section.get("summary"), overview=by_section.get("overview"))


def build_report(reader: DayReader | duckdb.DuckDBPyConnection, day: dt.date, lang: str, watchlist: Sequence[RepoSpec],
                 generated_at: dt.datetime, *, web_origin: str = DEFAULT_WEB_ORIGIN) -> dict[str, Any]:
    """The ``report.daily`` row of ``day`` in ``lang``. ``reader``: a :class:`DayReader` (or a connection);
    ``web_origin``: the GitHub web origin links may point into."""
    if not isinstance(reader, DayReader):
        reader = DayReader(reader)
    items = reader.read(day, "summaries.items", "AND lang = ?", [lang])
    sections = reader.read(day, "summaries.digests", "AND lang = ?", [lang])
    ctx = build_context(day, watchlist, **reader.load_day(day))
    summary = summary_from_rows(items, sections)
    summarizer, summarizer_line = _summarizer_line(lang, sections, items)
    sources = ctx.sources
    sources_line = ", ".join(source_name(lang, s) for s in sources) if sources else "—"
    md, html = render(ctx, summary, lang, generated_at=generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                      sources_line=sources_line, summarizer_line=summarizer_line, web_origin=web_origin)
    stats = {
        "totals": ctx.totals.as_dict(),
        "repos": {r.repo: {"status": r.status, **r.counts.as_dict()} for r in ctx.repos},
        "failed_repos": ctx.failed_repos,
        "sources": sources,
        "fallbacks": sum(1 for r in (*sections, *items) if r.get("fallback_reason")),
        "llm_status": llm_status(sections, items),
    }
    return {"day": day, "lang": lang, "markdown": md, "html": html, "generated_at": generated_at,
            "summarizer": summarizer, "stats": stats}
