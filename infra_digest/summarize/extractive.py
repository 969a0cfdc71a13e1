"""The extractive summarizer: deterministic text from the classified data, no model.

It writes the same sections the LLM summarizer does (a gist per issue, a paragraph per repository, the
day's summary and a closing overview of cross-repository themes), states only counts and labels that the
data holds, and is the fallback for any LLM section that fails validation.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from infra_digest.models import CHANGE_TYPES, ISSUE_TYPES, Change, DayContext, DaySummary, Issue, PullRequest, RepoDay, Text
from infra_digest.report.i18n import t, tag_name

NAME = "extractive"
GIST_CHARS = 160

_CODE_FENCE = re.compile(r"```.*?(```|$)", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_TAG = re.compile(r"<[^>]{0,200}>")
# Every pattern is linear on any input (bounded repetitions, no "\s*" that can cross lines at a line start), and
# a body is read up to SCAN_CHARS: an excerpt is its first sentences.
SCAN_CHARS = 50_000
_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\]\([^)\n]{0,1000}\)")
_LINK = re.compile(r"\[([^\]\n]{0,500})\]\([^)\n]{0,1000}\)")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*.*$", re.M)
_TEMPLATE_LINE = re.compile(r"^[ \t]*(?:[-*][ \t]*\[[ xX]\].*|>.*|\|.*)$", re.M)
_LIST_MARK = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+", re.M)
# A body's opening label ("Summary:", "## Motivation" is a heading and already gone): not part of the prose.
_LEAD_LABEL = re.compile(r"^(?:summary|description|motivation|purpose|overview|tl;?\s?dr|context|background|"
                         r"what does this pr do\??|problem|issue|describe the bug)\s*[:：]\s*", re.I)
_NOT_WORD = re.compile(r"[\W_]+")
_WS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s")


def clean_body(body: str | None) -> str:
    """Markdown/HTML issue body -> one line of plain prose (code, images, headings and checklists dropped)."""
    if not body:
        return ""
    text = _CODE_FENCE.sub(" ", body[:SCAN_CHARS])
    text = _HTML_COMMENT.sub(" ", text)
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _HEADING.sub(" ", text)
    text = _TEMPLATE_LINE.sub(" ", text)
    text = _LIST_MARK.sub("", text)
    text = _TAG.sub(" ", text)
    text = text.replace("`", "").replace("**", "").replace("__", "")
    return _LEAD_LABEL.sub("", _WS.sub(" ", text).strip())


def excerpt(body: str | None, limit: int = GIST_CHARS, title: str | None = None) -> str | None:
    """The first sentence(s) of a body, at most ``limit`` characters, cut at a word with an ellipsis. None when the
    body says nothing the ``title`` does not already say."""
    text = clean_body(body)
    if not text:
        return None
    if title and _NOT_WORD.sub(" ", text).strip().casefold() in _NOT_WORD.sub(" ", title).casefold():
        return None
    parts = _SENTENCE_END.split(text)
    out = ""
    for part in parts:
        if len(out) + len(part) + 1 > limit:
            break
        out = f"{out} {part}".strip()
    if not out:
        cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
        out = cut.rstrip(",;: ") + "…"
    return out


# English nouns (singular, plural) for counted change and issue types.
_CHANGE_NOUNS = {"fix": ("fix", "fixes"), "feature": ("feature", "features"),
                 "perf": ("performance change", "performance changes"), "revert": ("revert", "reverts"),
                 "refactor": ("refactoring", "refactorings"), "build": ("build or dependency change", "build or dependency changes"),
                 "ci": ("CI change", "CI changes"), "test": ("test change", "test changes"), "docs": ("docs change", "docs changes"),
                 "other": ("other change", "other changes")}
_ISSUE_NOUNS = {"bug": ("bug report", "bug reports"), "feature-request": ("feature request", "feature requests"),
                "question": ("question", "questions"), "roadmap": ("roadmap", "roadmaps"), "ci-failure": ("CI failure", "CI failures"),
                "other": ("other issue", "other issues")}


def plural(n: int, one: str, many: str | None = None) -> str:
    """ "1 file", "2 files" (English)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _join_en(parts: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    parts = list(parts)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1] if parts else ""


def _count_phrase(counter: Mapping[str, int], order: Sequence[str], lang: str, issues: bool = False) -> str:
    if lang == "zh":
        return "、".join(f"{t(lang, k)} {counter[k]}" for k in order if counter.get(k))
    nouns = _ISSUE_NOUNS if issues else _CHANGE_NOUNS
    return ", ".join(plural(counter[k], *nouns.get(k, (k, k + "s"))) for k in order if counter.get(k))


def _top_tags(items: Sequence[Change | PullRequest | Issue], lang: str, n: int = 4) -> str:
    sep = "、" if lang == "zh" else ", "
    tags: Counter = Counter()
    for field in ("hardware", "precision"):
        for item in items:
            tags.update(set(getattr(item.labels, field)))
    if not tags:
        return ""
    top = sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return sep.join(f"{tag_name(k, lang)} ({v})" for k, v in top)


def _biggest(changes: Sequence[Change]) -> Change | None:
    return max(changes, key=lambda c: c.size, default=None)


def _change_ref(c: Change) -> str:
    return f"`{c.short_sha}`" if c.short_sha else f"#{c.pr_number}"


def repo_paragraph(repo: RepoDay, lang: str) -> str:
    if repo.status == "failed":
        return t(lang, "failed", error=repo.error or "?")
    if repo.status != "active":
        return t(lang, "no_activity") if repo.status == "quiet" else t(lang, "unknown")
    changes, issues = repo.changes, repo.issues
    ct = Counter(c.change_type for c in changes)
    it = Counter(i.change_type for i in issues)
    tags = _top_tags([*changes, *issues], lang)
    biggest = _biggest(changes) if repo.counts.changes > 1 else None
    if lang == "zh":
        parts = []
        if changes:
            parts.append(f"{len(changes)} 项代码变更（{_count_phrase(ct, CHANGE_TYPES, lang)}）")
        if repo.new_prs:
            parts.append(f"新开 PR {len(repo.new_prs)} 个")
        if issues:
            parts.append(f"新 issue {len(issues)} 个（{_count_phrase(it, ISSUE_TYPES, lang)}）")
        text = "；".join(parts) + "。"
        if tags:
            text += f"涉及硬件与精度：{tags}。"
        if biggest:
            text += f"改动最大的是 {_change_ref(biggest)}（+{biggest.additions or 0} −{biggest.deletions or 0}）。"
        return text
    parts = []
    if changes:
        parts.append(f"{plural(len(changes), 'code change')} ({_count_phrase(ct, CHANGE_TYPES, lang)})")
    if repo.new_prs:
        parts.append(plural(len(repo.new_prs), "new PR"))
    if issues:
        parts.append(f"{plural(len(issues), 'new issue')} ({_count_phrase(it, ISSUE_TYPES, lang, issues=True)})")
    text = _join_en(parts) + "."
    text = text[0].upper() + text[1:]
    if tags:
        text += f" Hardware and precision: {tags}."
    if biggest:
        text += f" The largest is {_change_ref(biggest)} (+{biggest.additions or 0} −{biggest.deletions or 0})."
    return text


def day_summary(ctx: DayContext, lang: str) -> str:
    tot = ctx.totals
    active = [r for r in ctx.repos if r.status == "active"]
    all_changes = [c for r in ctx.repos for c in r.changes]
    all_items = [i for r in ctx.repos for i in (*r.changes, *r.issues)]
    ct = Counter(c.change_type for c in all_changes)
    busiest = sorted(active, key=lambda r: (-(r.counts.changes + (r.counts.issues or 0)), r.repo))[:2]
    tags = _top_tags(all_items, lang, n=5)
    failed = ctx.failed_repos
    if lang == "zh":
        if not active:
            text = f"{ctx.day}，{ctx.repo_count} 个关注仓库均无新的 commit、PR 或 issue。"
        else:
            text = (f"{ctx.day}，{ctx.repo_count} 个关注仓库中有 {len(active)} 个有动态："
                    f"共 {tot.changes} 项代码变更")
            if all_changes:
                text += f"（{_count_phrase(ct, CHANGE_TYPES, lang)}）"
            issues = f"新 issue {tot.issues} 个" if tot.issues is not None else "新 issue 未记录"
            prs = f"新开 PR {tot.new_prs} 个" if tot.new_prs is not None else "新开 PR 未记录"
            text += f"，{issues}，{prs}。"
            if busiest:
                text += "最活跃的是 " + "、".join(
                    f"{r.repo}（{r.counts.changes} 项变更" + (f"、{r.counts.issues} 个 issue" if r.counts.issues else "") + "）"
                    for r in busiest) + "。"
            if tags:
                text += f"涉及的硬件与精度：{tags}。"
        if failed:
            text += f"注意：{'、'.join(failed)} 的数据读取失败，相应内容可能不完整。"
        return text
    if not active:
        text = f"On {ctx.day}, none of the {ctx.repo_count} watched repositories had a new commit, PR or issue."
    else:
        changes = plural(tot.changes, "code change")
        if all_changes:
            changes += f" ({_count_phrase(ct, CHANGE_TYPES, lang)})"
        issues = plural(tot.issues, "new issue") if tot.issues is not None else "new issues not recorded"
        prs = plural(tot.new_prs, "new PR") if tot.new_prs is not None else "new PRs not recorded"
        text = (f"On {ctx.day}, {len(active)} of {ctx.repo_count} watched repositories were active, "
                f"with {_join_en([changes, issues, prs])}.")
        if busiest:
            text += " The busiest " + ("was " if len(busiest) == 1 else "were ") + _join_en([
                f"{r.repo} ({plural(r.counts.changes, 'change')}" + (f", {plural(r.counts.issues, 'issue')}" if r.counts.issues else "") + ")"
                for r in busiest]) + "."
        if tags:
            text += f" Hardware and precision: {tags}."
    if failed:
        text += f" Note: data for {', '.join(failed)} could not be read, so their sections may be incomplete."
    return text


def item_ref(item: Change | PullRequest | Issue) -> str:
    """How the overview names an item: ``<repo name> `<short sha>``` for a commit without a PR, else ``<repo name> #N``."""
    short = item.repo.split("/")[1]
    if isinstance(item, Change):
        if item.kind == "commit" and not item.pr_number:
            return f"{short} `{item.short_sha}`"
        return f"{short} #{item.pr_number}"
    return f"{short} #{item.number}"


def cross_repo_themes(ctx: DayContext, min_repos: int = 2) -> list[dict[str, Any]]:
    """Tags (hardware, precision, models, topics) seen in at least ``min_repos`` repositories, with refs."""
    seen: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in ctx.repos:
        for item in (*r.changes, *r.issues):
            for field in ("hardware", "precision", "models", "topics"):
                for tag in getattr(item.labels, field):
                    seen[(field, tag)][r.repo].append(item_ref(item))
    order = {"hardware": 0, "precision": 1, "models": 2, "topics": 3}
    themes = []
    for (field, tag), repos in seen.items():
        if len(repos) >= min_repos:
            themes.append({"field": field, "tag": tag, "repos": dict(repos),
                           "count": sum(len(v) for v in repos.values())})
    themes.sort(key=lambda th: (order[th["field"]], -len(th["repos"]), -th["count"], th["tag"]))
    return themes


def shared_authors(ctx: DayContext) -> list[tuple[str, list[str]]]:
    """Issue authors who opened issues in more than one repository on the day (the same problem seen twice)."""
    by_author: dict[str, set[str]] = defaultdict(set)
    refs: dict[str, list[str]] = defaultdict(list)
    for r in ctx.repos:
        for i in r.issues:
            if i.author:
                by_author[i.author].add(r.repo)
                refs[i.author].append(item_ref(i))
    return sorted((a, refs[a]) for a, repos in by_author.items() if len(repos) > 1)


def overview(ctx: DayContext, lang: str, max_themes: int = 6) -> str:
    themes = cross_repo_themes(ctx)[:max_themes]
    authors = shared_authors(ctx)
    sep = "、" if lang == "zh" else ", "
    lines = []
    for th in themes:
        refs = [ref for repo_refs in th["repos"].values() for ref in repo_refs[:2]][:6]
        more = th["count"] - len(refs)  # a capped list says how many it leaves out
        if lang == "zh":
            listed = sep.join(refs) + (f" 等，另有 {more} 项" if more else "")
            lines.append(f"{tag_name(th['tag'], lang)}：出现在 {len(th['repos'])} 个仓库的 {th['count']} 项内容中（{listed}）。")
        else:
            listed = sep.join(refs) + (f" and {more} more" if more else "")
            lines.append(f"{tag_name(th['tag'])}: {plural(th['count'], 'item')} in {len(th['repos'])} repositories ({listed}).")
    for author, refs in authors:
        if lang == "zh":
            lines.append(f"同一作者 {author} 在多个仓库提交了 issue（{sep.join(refs)}），可能是同一问题在不同项目中的表现。")
        else:
            lines.append(f"The same author, {author}, opened issues in several repositories ({sep.join(refs)}): possibly one problem seen in different projects.")
    if not lines:
        return ("今日各仓库的变更没有共同的硬件、精度、模型或主题标签。" if lang == "zh"
                else "No hardware, precision, model or topic tag is shared by two repositories today.")
    return "\n".join(f"- {line}" for line in lines)


def summarize_extractive(ctx: DayContext, lang: str) -> DaySummary:
    """Every section of the day, extractively: a gist (excerpt of the body) per new issue and new PR that has
    one, a paragraph per repository, the summary and the overview."""
    items = {}
    for r in ctx.repos:
        for item in (*r.issues, *r.new_prs):
            gist = excerpt(item.body, title=item.title)
            if gist:
                items[item.key] = Text(gist, NAME)
    return DaySummary(
        items=items,
        repos={r.repo: Text(repo_paragraph(r, lang), NAME) for r in ctx.repos},
        summary=Text(day_summary(ctx, lang), NAME),
        overview=Text(overview(ctx, lang), NAME),
    )
