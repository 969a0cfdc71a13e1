"""Summarize a day: every section of the report's prose, with the summarizer that wrote it.

Without a model every section is extractive. With one (see ``summarize/llm.py``), each section is asked of
the model, validated, and replaced by its extractive text when it fails:

- per active repository, one request (``prompts/repo.j2``) for its paragraph and the gists of its items
  (every new issue, every new PR, and its notable merged changes), answered as JSON; a repository with many
  items gets further requests of ``GISTS_PER_CALL`` gists each. Each part is validated on its own, so one
  bad gist falls back alone;
- one request for the day's summary (``prompts/summary.j2``) and one for the cross-repository overview
  (``prompts/overview.j2``, fed with ``extractive.cross_repo_themes`` and ``shared_authors``).

Untrusted text goes to the model inside ``<data>`` as JSON; bodies are cut at ``BODY_CHARS`` with the cut
marked in the data (``[truncated]``). What each answer may draw on is recorded per part (its own item for a
gist), and ``validate.validate`` judges it against exactly that.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from infra_digest.summarize import extractive
from infra_digest.summarize import validate as V

NOTABLE_PER_REPO = 4        # merged changes per repository that get a gist
NOTABLE_MIN_LINES = 200     # an untagged change is notable from this size (additions + deletions)
GISTS_PER_CALL = 8          # gists asked in one request
BODY_CHARS = 1500           # an issue/PR body is cut here (~400 tokens) in the prompt
TITLE_CHARS = 200
MAX_CHANGES_LISTED = 60     # changes listed for a repository paragraph
FILES_LISTED = 3
SUMMARY_CHANGES = 5         # per active repository in the day-summary prompt
SUMMARY_ISSUES = 4
OVERVIEW_THEMES = 8


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


def _extractive_summary(ext: Mapping[str, Any]) -> DaySummary:
    name = extractive.NAME
    return DaySummary(
        items={k: Text(v, name) for k, v in ext["items"].items()},
        repos={k: Text(v, name) for k, v in ext["repos"].items()},
        summary=Text(ext["summary"], name),
        overview=Text(ext["overview"], name),
    )


def summarize_day(ctx: dict[str, Any], lang: str, llm: Any = None) -> DaySummary:
    """The day's prose. ``llm``: an ``LLMSummarizer`` (``LLMResource.summarizer(conn)``) or None (extractive)."""
    ext = extractive.summarize_extractive(ctx, lang)
    if llm is None:
        out = _extractive_summary(ext)
        out.stats = {"summarizer": extractive.NAME, "llm_sections": 0,
                     "extractive_sections": len(out.items) + len(out.repos) + 2, "fallbacks": 0, "llm_calls": 0,
                     "cache_hits": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0, "seconds": 0.0}
        return out
    return _summarize_with_llm(ctx, lang, llm, ext)


# ---------------------------------------------------------------------------------------------- prompts

@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("infra_digest.summarize", "prompts"),
        autoescape=False,  # prompts are plain text; untrusted text goes in as JSON inside <data>
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def _render(name: str, **kw: Any) -> str:
    return _env().get_template(name).render(**kw).strip()


def _dumps(data: Any) -> str:
    # "<" and ">" escaped so that no text inside the data can close the <data> block
    return json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")


def _cut(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    text = text.replace("\r\n", "\n").strip()
    text = re.sub(r"<!--.*?(-->|$)", " ", text, flags=re.S)  # issue-template comments: noise, and a hiding place
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + " " + V.TRUNCATION_MARK


def _flatten(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _flatten(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _flatten(v)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def _text_of(*values: Any) -> str:
    return "\n".join(s for v in values for s in _flatten(v))


def _tags(item: Mapping[str, Any]) -> list[str]:
    from infra_digest.report.i18n import tag_name

    return [tag_name(t) for f in ("hardware", "precision", "models") for t in (item.get(f) or [])] + list(item.get("topics") or [])


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, [], {}, "")}


def _item_id(item: Mapping[str, Any]) -> str:
    if item["kind"] in ("issue", "pull_request") and item.get("number"):
        return f"#{item['number']}"
    if item.get("pr_number"):
        return f"#{item['pr_number']}"
    return item.get("short_sha") or str(item["id"])[:12]


def _change_brief(c: Mapping[str, Any]) -> dict[str, Any]:
    return _clean({"ref": f"#{c['pr_number']}" if c.get("pr_number") else None, "sha": c.get("short_sha"),
                   "title": (c.get("title") or "")[:TITLE_CHARS], "type": c.get("change_type"), "author": c.get("author"),
                   "tags": _tags(c), "additions": c.get("additions"), "deletions": c.get("deletions")})


def _item_data(item: Mapping[str, Any], iid: str, merged: bool) -> dict[str, Any]:
    kind = item["kind"]
    if kind == "issue":
        return _clean({"id": iid, "kind": "issue", "title": (item.get("title") or "")[:TITLE_CHARS], "author": item.get("author"),
                       "labels": item.get("labels"), "type": item.get("change_type"), "tags": _tags(item),
                       "body": _cut(item.get("body"), BODY_CHARS)})
    if kind == "pull_request" and not merged:
        return _clean({"id": iid, "kind": "pull_request", "state": "opened", "title": (item.get("title") or "")[:TITLE_CHARS],
                       "author": item.get("author"), "labels": item.get("labels"), "type": item.get("change_type"),
                       "tags": _tags(item), "additions": item.get("additions"), "deletions": item.get("deletions"),
                       "changed_files": item.get("changed_files"), "body": _cut(item.get("body"), BODY_CHARS)})
    files = [_clean({"path": f.get("filename"), "status": f.get("status"), "additions": f.get("additions"),
                     "deletions": f.get("deletions")}) for f in (item.get("files") or [])[:FILES_LISTED]]
    return _clean({"id": iid, "kind": "merged_change", "sha": item.get("short_sha"),
                   "pr": f"#{item['pr_number']}" if item.get("pr_number") else None,
                   "title": (item.get("title") or "")[:TITLE_CHARS], "author": item.get("author"), "type": item.get("change_type"),
                   "tags": _tags(item), "files_changed": item.get("files_changed"), "files": files,
                   "additions": item.get("additions"), "deletions": item.get("deletions"),
                   "body": _cut(item.get("body"), BODY_CHARS)})


def notable_changes(repo: Mapping[str, Any], n: int = NOTABLE_PER_REPO) -> list[dict[str, Any]]:
    """The merged changes of a repository worth a gist: tagged (hardware, precision, model), performance work,
    reverts, or large (>= NOTABLE_MIN_LINES lines); the first ``n`` by (tagged, type, size)."""
    type_rank = {"perf": 3, "feature": 2, "revert": 2, "fix": 1}
    scored = []
    for c in repo["changes"]:
        size = (c.get("additions") or 0) + (c.get("deletions") or 0)
        tagged = bool(c.get("hardware") or c.get("precision") or c.get("models"))
        if not (tagged or c.get("change_type") in ("perf", "revert") or size >= NOTABLE_MIN_LINES):
            continue
        scored.append(((tagged, type_rank.get(c.get("change_type"), 0), size), c))
    scored.sort(key=lambda sc: sc[0], reverse=True)
    return [c for _, c in scored[:n]]


# ---------------------------------------------------------------------------------------------- jobs

_THINK = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


def _strip_wrapping(content: str) -> str:
    text = _THINK.sub("", content or "").strip()
    return _FENCE.sub("", text).strip()


def _json_object(content: str) -> dict[str, Any] | None:
    text = _strip_wrapping(content)
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        obj = json.loads(text[start:end + 1])
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _tidy(text: str) -> str:
    """Formatting only: bold markers dropped (the prose is plain text)."""
    return text.replace("**", "").strip()


def _one_line(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    return _tidy(re.sub(r"\s+", " ", text)).strip("\"“”'") or None


@dataclass
class Part:
    section: str              # validate section: gist | paragraph | summary | overview
    facts: V.Facts            # what it may draw on
    foreign: str = ""         # other items' untrusted text in the same prompt
    forbidden: frozenset[str] = frozenset()


class PromptJob:
    """One request: a template, its data, and the parts it answers (see ``llm.Job``)."""

    def __init__(self, name: str, template: str, lang: str, day: str, parts: dict[str, Part], mode: str,
                 build_data: Any, extra: Mapping[str, Any] | None = None):
        self.name, self.template, self.lang, self.day = name, template, lang, day
        self.part_specs, self.mode, self._build_data = parts, mode, build_data
        self.extra = dict(extra or {})
        self.parts = list(parts)
        self._messages: dict[tuple, list[dict[str, str]]] = {}

    def messages(self, only: Collection[str] | None = None, feedback: Mapping[str, str] | None = None) -> list[dict[str, str]]:
        key = (tuple(sorted(only)) if only is not None else None, tuple(sorted((feedback or {}).items())))
        if key not in self._messages:
            parts = list(self.parts) if only is None else [p for p in self.parts if p in only]
            data = self._build_data(parts)
            user = _render(self.template, lang=self.lang, day=self.day, data_json=_dumps(data), feedback=dict(feedback or {}),
                           **self.extra, **self._shape(parts))
            self._messages[key] = [{"role": "system", "content": _system(self.lang)}, {"role": "user", "content": user}]
        return self._messages[key]

    def _shape(self, parts: Sequence[str]) -> dict[str, Any]:
        if self.mode != "json":
            return {}
        gist_ids = [p for p in parts if p != "paragraph"]
        shape: dict[str, Any] = {}
        if "paragraph" in parts:
            shape["paragraph"] = "..."
        shape["items"] = {i: "..." for i in gist_ids}
        return {"want_paragraph": "paragraph" in parts, "gist_ids": gist_ids,
                "answer_shape": json.dumps(shape, ensure_ascii=False)}

    def parse(self, content: str, parts: Collection[str]) -> dict[str, str | None]:
        if self.mode == "json":
            obj = _json_object(content)
            if obj is None:
                return {}
            out: dict[str, str | None] = {}
            if "paragraph" in parts:
                out["paragraph"] = _one_line(obj.get("paragraph"))
            items = obj.get("items")
            if isinstance(items, list):
                items = {str(x.get("id")): x.get("gist") or x.get("text") for x in items if isinstance(x, dict)}
            if not isinstance(items, dict):
                items = {}
            norm = {str(k).strip().lstrip("#").strip("`").lower(): v for k, v in items.items()}
            for p in parts:
                if p == "paragraph":
                    continue
                out[p] = _one_line(items.get(p, norm.get(p.lstrip("#").lower())))
            return out
        text = _strip_wrapping(content)
        if text.startswith("{"):
            obj = _json_object(text)
            if obj:
                text = next((v for k in ("text", "summary", "overview", "answer") if isinstance(v := obj.get(k), str)),
                            next((v for v in obj.values() if isinstance(v, str)), ""))
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if self.parts == ["overview"]:
            fixed = []
            for ln in lines:
                ln = re.sub(r"^(?:[*•·]|\d+[.)、])\s*", "- ", ln)
                fixed.append(ln if ln.startswith("- ") else "- " + ln)
            lines = fixed
        text = _tidy("\n".join(lines) if self.parts == ["overview"] else " ".join(lines))
        return {self.parts[0]: text or None}

    def validate(self, part: str, text: str) -> tuple[bool, str]:
        spec = self.part_specs[part]
        return V.validate(text, section=spec.section, lang=self.lang, allowed=spec.facts, foreign=spec.foreign,
                          forbidden=spec.forbidden)


@lru_cache(maxsize=4)
def _system(lang: str) -> str:
    return _render("system.j2", lang=lang)


# ---------------------------------------------------------------------------------------------- the day

def _payloads(ctx: Mapping[str, Any]) -> dict[tuple[str, str, str], set[str]]:
    """Per item, the distinctive words of instruction-like text (prompt injection, HTML) in its title/body."""
    texts = {}
    for r in ctx["repos"]:
        for item in (*r["changes"], *r["new_prs"], *r["issues"]):
            texts[(r["repo"], item["kind"], str(item["id"]))] = _text_of(item.get("title"), item.get("body"))
    benign: set[str] = set()
    for r in ctx["repos"]:
        benign |= V.benign_words(r["repo"])
        for item in (*r["changes"], *r["new_prs"], *r["issues"]):
            benign |= V.benign_words(_text_of(item.get("title"), item.get("body"), item.get("labels"),
                                              [f.get("filename") for f in item.get("files") or []], item.get("author")))
    out = {}
    for key, text in texts.items():
        tokens = V.payload_tokens(text, benign)
        if tokens:
            out[key] = tokens
    return out


def _repo_jobs(ctx: Mapping[str, Any], r: Mapping[str, Any], lang: str, payloads: Mapping[tuple, set[str]],
               all_forbidden: frozenset[str]) -> tuple[list[PromptJob], dict[str, dict[str, tuple]]]:
    """The requests for one active repository, and per job {part: target key} (("repo", repo) or the item key)."""
    repo, day = r["repo"], ctx["day"]
    gist_items = [*((i, False) for i in (*r["issues"], *r["new_prs"])), *((c, True) for c in notable_changes(r))]
    ids: dict[str, Mapping[str, Any]] = {}
    item_data: dict[str, dict[str, Any]] = {}
    for item, merged in gist_items:
        iid = _item_id(item)
        if iid in ids:
            iid = f"{iid}/{item.get('short_sha') or item['id']}"
        ids[iid] = item
        item_data[iid] = _item_data(item, iid, merged)
    keys = {iid: (repo, item["kind"], str(item["id"])) for iid, item in ids.items()}
    header = {"repo": repo, "day": day}
    changes = [_change_brief(c) for c in r["changes"][:MAX_CHANGES_LISTED]]
    chunks = [list(ids)[i:i + GISTS_PER_CALL] for i in range(0, len(ids), GISTS_PER_CALL)] or [[]]

    jobs, targets = [], {}
    for n, chunk in enumerate(chunks):
        with_paragraph = n == 0
        others = [iid for iid in ids if iid not in chunk]

        def build(parts: Sequence[str], chunk: list[str] = chunk, others: list[str] = others) -> dict[str, Any]:
            want = "paragraph" in parts
            data: dict[str, Any] = {"section": "repo" if want else "items", "lang": lang, **header}
            if want:
                data["counts"] = {k: r["counts"][k] for k in ("changes", "new_prs", "issues")}
                data["changes"] = changes
                if len(r["changes"]) > MAX_CHANGES_LISTED:
                    data["changes_not_listed"] = len(r["changes"]) - MAX_CHANGES_LISTED
            data["want_paragraph"] = want
            data["gist_items"] = [item_data[i] for i in chunk if i in parts]
            if want:
                other = [_clean({"id": i, "kind": item_data[i]["kind"], "title": item_data[i].get("title"),
                                 "tags": item_data[i].get("tags")}) for i in others if item_data[i]["kind"] != "merged_change"]
                if other:
                    data["other_items"] = other
            return data

        parts: dict[str, Part] = {}
        if with_paragraph:
            full = build(["paragraph", *chunk])
            parts["paragraph"] = Part("paragraph", V.Facts(_text_of(full, [item_data[i] for i in others])),
                                      forbidden=all_forbidden)
        for iid in chunk:
            own_forbidden = frozenset(t for k, toks in payloads.items() if k != keys[iid] for t in toks)
            foreign = _text_of([item_data[j] for j in chunk if j != iid])
            parts[iid] = Part("gist", V.Facts(_text_of(header, item_data[iid])), foreign=foreign, forbidden=own_forbidden)
        name = f"repo:{repo}" + (f":{n + 1}" if n else "")
        jobs.append(PromptJob(name, "repo.j2", lang, day, parts, "json", build, extra={"repo": repo}))
        targets[name] = {p: (("repo", repo) if p == "paragraph" else keys[p]) for p in parts}
    return jobs, targets


def _ranked_changes(changes: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    type_rank = {"perf": 3, "feature": 3, "revert": 2, "fix": 2, "refactor": 1}
    return sorted(changes, key=lambda c: (bool(c.get("hardware") or c.get("precision") or c.get("models")),
                                          type_rank.get(c.get("change_type"), 0),
                                          (c.get("additions") or 0) + (c.get("deletions") or 0)), reverse=True)


def _summary_data(ctx: Mapping[str, Any], lang: str) -> dict[str, Any]:
    repos = []
    for r in ctx["repos"]:
        entry: dict[str, Any] = {"repo": r["repo"], "status": r["status"]}
        if r["status"] == "active":
            entry["counts"] = {k: r["counts"][k] for k in ("changes", "new_prs", "issues")}
            entry["change_types"] = dict(Counter(c["change_type"] for c in r["changes"]).most_common())
            entry["top_changes"] = [_change_brief(c) for c in _ranked_changes(r["changes"])[:SUMMARY_CHANGES]]
            issues = sorted(r["issues"], key=lambda i: (bool(_tags(i)), i["change_type"] == "bug"), reverse=True)
            entry["top_issues"] = [_clean({"ref": f"#{i['number']}", "title": (i.get("title") or "")[:TITLE_CHARS],
                                           "type": i.get("change_type"), "tags": _tags(i)}) for i in issues[:SUMMARY_ISSUES]]
            entry["new_prs"] = [_clean({"ref": f"#{p['number']}", "title": (p.get("title") or "")[:TITLE_CHARS]})
                                for p in r["new_prs"][:3]]
        elif r["status"] == "failed":
            entry["error"] = "data could not be read"
        repos.append(_clean(entry))
    return {"section": "summary", "lang": lang, "day": ctx["day"], "repo_count": ctx["repo_count"],
            "active_count": len(ctx["active_repos"]), "totals": {k: ctx["totals"][k] for k in ("changes", "new_prs", "issues")},
            "change_types": dict(Counter(c["change_type"] for r in ctx["repos"] for c in r["changes"]).most_common()),
            "repos": repos}


def _overview_data(ctx: Mapping[str, Any], lang: str) -> dict[str, Any]:
    from infra_digest.report.i18n import tag_name

    titles = {}
    for r in ctx["repos"]:
        for item in (*r["changes"], *r["issues"], *r["new_prs"]):
            titles[extractive._ref(r["repo"], item)] = (item.get("title") or "")[:TITLE_CHARS]
    themes = []
    used: set[str] = set()
    for th in extractive.cross_repo_themes(ctx)[:OVERVIEW_THEMES]:
        refs = {repo: rs[:4] for repo, rs in th["repos"].items()}
        used |= {x for rs in refs.values() for x in rs}
        themes.append({"tag": tag_name(th["tag"]), "kind": th["field"], "item_count": th["count"], "repo_count": len(refs),
                       "repos": refs})
    authors = []
    for author, refs in extractive.shared_authors(ctx):
        used |= set(refs)
        authors.append({"author": author, "issues": refs})
    data: dict[str, Any] = {"section": "overview", "lang": lang, "day": ctx["day"], "themes": themes,
                            "shared_authors": authors, "item_titles": {ref: titles.get(ref, "") for ref in sorted(used)}}
    data["repos"] = [{"repo": r["repo"], "highlights": [(c.get("title") or "")[:TITLE_CHARS] for c in _ranked_changes(r["changes"])[:3]]
                      + [(i.get("title") or "")[:TITLE_CHARS] for i in r["issues"][:2]]}
                     for r in ctx["repos"] if r["status"] == "active"]
    return _clean(data)


def build_jobs(ctx: Mapping[str, Any], lang: str) -> tuple[list[PromptJob], dict[str, dict[str, tuple]]]:
    """Every request for the day, and per request {part: target} where target is ("repo", repo),
    ("summary",), ("overview",) or an item key (repo, kind, id)."""
    payloads = _payloads(ctx)
    all_forbidden = frozenset(t for toks in payloads.values() for t in toks)
    jobs: list[PromptJob] = []
    targets: dict[str, dict[str, tuple]] = {}
    for r in ctx["repos"]:
        if r["status"] != "active":
            continue
        rj, rt = _repo_jobs(ctx, r, lang, payloads, all_forbidden)
        jobs += rj
        targets.update(rt)
    for section, builder, template in (("summary", _summary_data, "summary.j2"), ("overview", _overview_data, "overview.j2")):
        data = builder(ctx, lang)
        part = Part(section, V.Facts(_text_of(data)), forbidden=all_forbidden)
        jobs.append(PromptJob(section, template, lang, ctx["day"], {section: part}, "text", lambda parts, data=data: data))
        targets[section] = {section: (section,)}
    return jobs, targets


def _summarize_with_llm(ctx: dict[str, Any], lang: str, llm: Any, ext: Mapping[str, Any]) -> DaySummary:
    out = _extractive_summary(ext)
    jobs, targets = build_jobs(ctx, lang)
    outcomes, usage = llm.run(jobs, day=ctx["day"], lang=lang)
    name = llm.name
    dropped = 0
    reasons: dict[str, str] = {}
    for job in jobs:
        oc = outcomes.get(job.name)
        for part, target in targets[job.name].items():
            text = oc.texts.get(part) if oc else None
            reason = (oc.rejected.get(part) if oc else None) or "no answer"
            if target[0] == "repo":
                if text:
                    out.repos[target[1]] = Text(text, name)
                else:
                    out.repos[target[1]] = Text(ext["repos"][target[1]], extractive.NAME, reason)
                    reasons[f"repo {target[1]}"] = reason
            elif target[0] in ("summary", "overview"):
                new = Text(text, name) if text else Text(ext[target[0]], extractive.NAME, reason)
                setattr(out, target[0], new)
                if not text:
                    reasons[target[0]] = reason
            else:
                if text:
                    out.items[target] = Text(text, name)
                elif target in ext["items"]:
                    out.items[target] = Text(ext["items"][target], extractive.NAME, reason)
                    reasons[" ".join(target)] = reason
                else:
                    dropped += 1
    texts = [*out.items.values(), *out.repos.values(), out.summary, out.overview]
    llm_sections = sum(1 for t in texts if t and t.summarizer.startswith("llm:"))
    out.stats = {
        "summarizer": name,
        "llm_sections": llm_sections,
        "extractive_sections": len(texts) - llm_sections,
        "fallbacks": sum(1 for t in texts if t and t.fallback_reason),
        "gists_dropped": dropped,
        "requests": len(jobs),
        **usage,
        "fallback_reasons": dict(list(reasons.items())[:40]),
    }
    return out
