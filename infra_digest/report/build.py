"""One report row (Markdown + HTML + stats) for a day and language, from what DuckDB holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb

from infra_digest.report.context import build_context
from infra_digest.report.i18n import source_name, t
from infra_digest.report.render import render
from infra_digest.storage.reads import load_day, read_day
from infra_digest.watchlist import RepoSpec


def _summarizer_line(lang: str, sections: list[dict[str, Any]], items: list[dict[str, Any]]) -> tuple[str, str]:
    names = {r["summarizer"] for r in (*sections, *items)}
    llm = sorted(n for n in names if n.startswith("llm:"))
    fallbacks = sum(1 for r in (*sections, *items) if r.get("fallback_reason"))
    if not llm:
        return "extractive", t(lang, "extractive")
    model = ", ".join(n.removeprefix("llm:") for n in llm)
    return f"llm:{model}", t(lang, "llm", model=model, fallbacks=fallbacks)


def build_report(conn: duckdb.DuckDBPyConnection, day: dt.date, lang: str, watchlist: Sequence[RepoSpec],
                 generated_at: dt.datetime) -> dict[str, Any]:
    data = load_day(conn, day)
    items = read_day(conn, "summaries.items", day, "AND lang = ?", [lang])
    sections = read_day(conn, "summaries.digests", day, "AND lang = ?", [lang])
    texts = {(r["repo"], r["item_kind"], r["item_id"]): r["text"] for r in items}
    by_llm = {(r["repo"], r["item_kind"], r["item_id"]) for r in items if r["summarizer"].startswith("llm:") and not r["fallback_reason"]}
    ctx = build_context(day, watchlist, item_texts=texts, **data)
    for r in ctx["repos"]:
        for item in (*r["new_prs"], *r["issues"], *r["changes"]):
            item["gist_by_llm"] = (r["repo"], item["kind"], item["id"]) in by_llm
    for s in sections:
        if s["section"] in ("summary", "overview"):
            ctx[s["section"]] = s["text"]
        elif s["section"] == "repo":
            for r in ctx["repos"]:
                if r["repo"] == s["repo"]:
                    r["paragraph"] = s["text"]
    summarizer, summarizer_line = _summarizer_line(lang, sections, items)
    sources = ctx["sources"]
    sources_line = ", ".join(source_name(lang, s) for s in sources) if sources else "—"
    md, html = render(ctx, lang, generated_at=generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                      sources_line=sources_line, summarizer_line=summarizer_line)
    stats = {
        "totals": ctx["totals"],
        "repos": {r["repo"]: {"status": r["status"], **r["counts"]} for r in ctx["repos"]},
        "failed_repos": ctx["failed_repos"],
        "sources": sources,
        "fallbacks": sum(1 for r in (*sections, *items) if r.get("fallback_reason")),
    }
    return {"day": day, "lang": lang, "markdown": md, "html": html, "generated_at": generated_at,
            "summarizer": summarizer, "stats": stats}
