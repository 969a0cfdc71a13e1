"""Summarize a day: every section of the report's prose, with the summarizer that wrote it.

Without a model every section is extractive. With one (see ``summarize/llm.py``), each section is asked of
the model, validated, and replaced by its extractive text when it fails:

- per active repository, one request (``prompts/repo.j2``) for its paragraph and the gists of its items
  (every new issue, every new PR, and its notable merged changes), answered as JSON; a repository with many
  items gets further requests of ``GISTS_PER_CALL`` gists each. Each part is validated on its own, so one
  bad gist falls back alone;
- one request for the day's summary (``prompts/summary.j2``) and one for the cross-repository overview
  (``prompts/overview.j2``, fed with ``extractive.cross_repo_themes`` and ``shared_authors``).

What the model is shown is built in ``prompt_data.py``; a request, its parsing and validation are a
``jobs.PromptJob``. Untrusted text goes to the model inside ``<data>`` as JSON; bodies are cut at
``prompt_data.BODY_CHARS`` with the cut marked in the data (``[truncated]``). What each answer may draw on is
recorded per part (its own item for a gist), and ``validate.validate`` judges it against exactly that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from infra_digest.models import DayContext, DaySummary, ItemKey, RepoDay, Text
from infra_digest.summarize import extractive
from infra_digest.summarize import validate as V
from infra_digest.summarize.jobs import Part, PromptJob
from infra_digest.summarize.prompt_data import (
    BODY_CHARS,
    MAX_CHANGES_LISTED,
    TITLE_CHARS,
    change_brief,
    clean,
    cut,
    item_data,
    item_id,
    notable_changes,
    overview_data,
    summary_data,
    text_of,
)

__all__ = ["GISTS_PER_CALL", "Plan", "build_jobs", "notable_changes", "summarize_day"]

GISTS_PER_CALL = 8          # gists asked in one request


Plan = tuple[list[PromptJob], dict[str, dict[str, tuple]]]  # what build_jobs returns


def summarize_day(ctx: DayContext, lang: str, llm: Any = None, plan: Plan | None = None) -> DaySummary:
    """The day's prose. ``llm``: an ``LLMSummarizer`` (``LLMResource.summarizer()``) or None (extractive).
    ``plan``: ``build_jobs(ctx, lang)`` when the caller already built it (to load the cache of its prompts)."""
    ext = extractive.summarize_extractive(ctx, lang)
    if llm is None:
        stats = {"summarizer": extractive.NAME, "llm_sections": 0,
                 "extractive_sections": len(ext.items) + len(ext.repos) + 2, "fallbacks": 0, "llm_calls": 0,
                 "cache_hits": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0, "seconds": 0.0}
        return DaySummary(items=ext.items, repos=ext.repos, summary=ext.summary, overview=ext.overview, stats=stats)
    return _summarize_with_llm(ctx, lang, llm, ext, plan)


def _prompt_text(item: Any) -> tuple[str | None, str | None]:
    """An item's title and body as far as a prompt shows them (see ``prompt_data``): what the model can see is all
    an injection can use, and reading no further keeps this linear in the size of the prompts, not of the data."""
    return (item.title or "")[:TITLE_CHARS] or None, cut(getattr(item, "body", None), BODY_CHARS)


def _payloads(ctx: DayContext) -> dict[ItemKey, set[str]]:
    """Per item, the distinctive words of instruction-like text (prompt injection, HTML) in its title/body."""
    texts = {item.key: text_of(*_prompt_text(item)) for _, item in ctx.items()}
    benign: set[str] = set()
    for r in ctx.repos:
        benign |= V.benign_words(r.repo)
        for item in r.items():
            benign |= V.benign_words(text_of(*_prompt_text(item), list(getattr(item, "github_labels", ()))[:50],
                                             [f.filename for f in getattr(item, "files", ())], item.author))
    out = {}
    for key, text in texts.items():
        tokens = V.payload_tokens(text, benign)
        if tokens:
            out[key] = tokens
    return out


def _repo_jobs(ctx: DayContext, r: RepoDay, lang: str, payloads: Mapping[ItemKey, set[str]],
               all_forbidden: frozenset[str]) -> tuple[list[PromptJob], dict[str, dict[str, tuple]]]:
    """The requests for one active repository, and per job {part: target key} (("repo", repo) or the item key)."""
    repo, day = r.repo, str(ctx.day)
    gist_items = [*r.issues, *r.new_prs, *notable_changes(r)]
    ids: dict[str, Any] = {}
    data_of: dict[str, dict[str, Any]] = {}
    for item in gist_items:
        iid = item_id(item)
        if iid in ids:
            iid = f"{iid}/{getattr(item, 'short_sha', None) or item.id}"
        ids[iid] = item
        data_of[iid] = item_data(item, iid)
    keys = {iid: item.key for iid, item in ids.items()}
    header = {"repo": repo, "day": day}
    changes = [change_brief(c) for c in r.changes[:MAX_CHANGES_LISTED]]
    chunks = [list(ids)[i:i + GISTS_PER_CALL] for i in range(0, len(ids), GISTS_PER_CALL)] or [[]]

    jobs, targets = [], {}
    for n, chunk in enumerate(chunks):
        with_paragraph = n == 0
        others = [iid for iid in ids if iid not in chunk]

        def build(parts: Sequence[str], chunk: list[str] = chunk, others: list[str] = others) -> dict[str, Any]:
            want = "paragraph" in parts
            data: dict[str, Any] = {"section": "repo" if want else "items", "lang": lang, **header}
            if want:
                data["counts"] = {"changes": r.counts.changes, "new_prs": r.counts.new_prs, "issues": r.counts.issues}
                data["changes"] = changes
                if len(r.changes) > MAX_CHANGES_LISTED:
                    data["changes_not_listed"] = len(r.changes) - MAX_CHANGES_LISTED
            data["want_paragraph"] = want
            data["gist_items"] = [data_of[i] for i in chunk if i in parts]
            if want:
                other = [clean({"id": i, "kind": data_of[i]["kind"], "title": data_of[i].get("title"),
                                "tags": data_of[i].get("tags")}) for i in others if data_of[i]["kind"] != "merged_change"]
                if other:
                    data["other_items"] = other
            return data

        parts: dict[str, Part] = {}
        if with_paragraph:
            full = build(["paragraph", *chunk])
            parts["paragraph"] = Part("paragraph", V.Facts(text_of(full, [data_of[i] for i in others])),
                                      forbidden=all_forbidden)
        for iid in chunk:
            own_forbidden = frozenset(t for k, toks in payloads.items() if k != keys[iid] for t in toks)
            foreign = text_of([data_of[j] for j in chunk if j != iid])
            parts[iid] = Part("gist", V.Facts(text_of(header, data_of[iid])), foreign=foreign, forbidden=own_forbidden)
        name = f"repo:{repo}" + (f":{n + 1}" if n else "")
        jobs.append(PromptJob(name, "repo.j2", lang, day, parts, "json", build, extra={"repo": repo}))
        targets[name] = {p: (("repo", repo) if p == "paragraph" else keys[p]) for p in parts}
    return jobs, targets


def build_jobs(ctx: DayContext, lang: str) -> tuple[list[PromptJob], dict[str, dict[str, tuple]]]:
    """Every request for the day, and per request {part: target} where target is ("repo", repo),
    ("summary",), ("overview",) or an item key (repo, kind, id)."""
    payloads = _payloads(ctx)
    all_forbidden = frozenset(t for toks in payloads.values() for t in toks)
    jobs: list[PromptJob] = []
    targets: dict[str, dict[str, tuple]] = {}
    for r in ctx.repos:
        if r.status != "active":
            continue
        rj, rt = _repo_jobs(ctx, r, lang, payloads, all_forbidden)
        jobs += rj
        targets.update(rt)
    for section, builder, template in (("summary", summary_data, "summary.j2"), ("overview", overview_data, "overview.j2")):
        data = builder(ctx, lang)
        part = Part(section, V.Facts(text_of(data)), forbidden=all_forbidden)
        jobs.append(PromptJob(section, template, lang, str(ctx.day), {section: part}, "text", lambda parts, data=data: data))
        targets[section] = {section: (section,)}
    return jobs, targets


def _summarize_with_llm(ctx: DayContext, lang: str, llm: Any, ext: DaySummary, plan: Plan | None) -> DaySummary:
    jobs, targets = plan if plan is not None else build_jobs(ctx, lang)
    outcomes, usage = llm.run(jobs, day=ctx.day, lang=lang)
    name = llm.name
    items: dict[ItemKey, Text] = dict(ext.items)
    repos: dict[str, Text] = dict(ext.repos)
    sections: dict[str, Text | None] = {"summary": ext.summary, "overview": ext.overview}
    dropped = 0
    reasons: dict[str, str] = {}
    for job in jobs:
        oc = outcomes.get(job.name)
        for part, target in targets[job.name].items():
            text = oc.texts.get(part) if oc else None
            reason = (oc.rejected.get(part) if oc else None) or "no answer"
            if target[0] == "repo":
                if text:
                    repos[target[1]] = Text(text, name)
                else:
                    repos[target[1]] = Text(ext.repos[target[1]].text, extractive.NAME, reason)
                    reasons[f"repo {target[1]}"] = reason
            elif target[0] in ("summary", "overview"):
                sections[target[0]] = Text(text, name) if text else Text(getattr(ext, target[0]).text, extractive.NAME, reason)
                if not text:
                    reasons[target[0]] = reason
            else:
                if text:
                    items[target] = Text(text, name)
                elif target in ext.items:
                    items[target] = Text(ext.items[target].text, extractive.NAME, reason)
                    reasons[" ".join(target)] = reason
                else:
                    dropped += 1
    texts = [*items.values(), *repos.values(), sections["summary"], sections["overview"]]
    llm_sections = sum(1 for t in texts if t and t.summarizer.startswith("llm:"))
    # requests the model never answered (transport errors after their retries, the day's deadline): when that is
    # every request, the summary failed, which is not the same as running without a model
    unanswered = [oc for oc in outcomes.values() if not oc.answered and not oc.cached]
    errors = [r for oc in unanswered for r in oc.rejected.values()]
    status = "ok" if not unanswered else ("failed" if len(unanswered) == len(jobs) else "partial")
    stats = {
        "summarizer": name,
        "llm_status": status,
        "llm_errors": len(unanswered),
        "llm_error": errors[0] if errors else None,
        "llm_sections": llm_sections,
        "extractive_sections": len(texts) - llm_sections,
        "fallbacks": sum(1 for t in texts if t and t.fallback_reason),
        "gists_dropped": dropped,
        "requests": len(jobs),
        **usage,
        "fallback_reasons": dict(list(reasons.items())[:40]),
    }
    return DaySummary(items=items, repos=repos, summary=sections["summary"], overview=sections["overview"], stats=stats)
