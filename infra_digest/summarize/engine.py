"""Summarize a day: every section of the report's prose, with the summarizer that wrote it.

Without a model every section is extractive. With one (see ``summarize/llm.py``), each section is asked of
the model, validated, and replaced by its extractive text when it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from infra_digest.summarize import extractive


@dataclass(frozen=True)
class Text:
    text: str
    summarizer: str
    fallback_reason: str | None = None


@dataclass
class DaySummary:
    items: dict[tuple[str, str, str], Text] = field(default_factory=dict)
    repos: dict[str, Text] = field(default_factory=dict)
    summary: Text | None = None
    overview: Text | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    def sections(self) -> Iterator[tuple[str, str | None, Text]]:
        if self.summary:
            yield "summary", None, self.summary
        if self.overview:
            yield "overview", None, self.overview
        for repo, text in self.repos.items():
            yield "repo", repo, text


def summarize_day(ctx: dict[str, Any], lang: str, llm: Any = None) -> DaySummary:
    ext = extractive.summarize_extractive(ctx, lang)
    name = extractive.NAME
    out = DaySummary(
        items={k: Text(v, name) for k, v in ext["items"].items()},
        repos={k: Text(v, name) for k, v in ext["repos"].items()},
        summary=Text(ext["summary"], name),
        overview=Text(ext["overview"], name),
    )
    out.stats = {"summarizer": name, "llm_sections": 0, "extractive_sections": len(out.items) + len(out.repos) + 2,
                 "fallbacks": 0, "llm_calls": 0, "cache_hits": 0}
    return out
