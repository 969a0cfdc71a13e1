"""The text of a subscription's message for a period, sized for a channel.

Messages are plain text (sent with apprise's TEXT format, which each channel's plugin escapes for its own markup):
text from the data is never markup. Only GitHub web links from the data appear as URLs; any other URL in a title
or highlight is defanged (``https[:]//...``) so that chat clients do not turn it into a link, and mass mentions
(``@here``, ``@channel``, ``@all``, ``@everyone``) are neutralised.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from infra_digest.deliver.select import Period, is_github_url

TITLE_MAX = 200
HEADINGS = {"zh": ("## 今日要点",), "en": ("## Highlights",)}

S = {
    "zh": {
        "daily": "AI Infra 日报 · {end}", "weekly": "AI Infra 周报 · {start} – {end}",
        "highlights": "要点", "items": "匹配的条目（{n}）", "all_items": "全部条目（{n}）",
        "more": "另有 {n} 条未列出", "more_link": "另有 {n} 条未列出，完整列表：{url}",
        "report": "完整日报：{url}", "page": "完整列表：{url}", "none": "本期没有匹配的条目。",
        "missing_days": "以下日期尚无日报：{days}",
        "kind_commit": "commit", "kind_pull_request": "PR", "kind_issue": "issue", "untitled": "（无标题）",
    },
    "en": {
        "daily": "AI Infra Daily · {end}", "weekly": "AI Infra Weekly · {start} – {end}",
        "highlights": "Highlights", "items": "Matching items ({n})", "all_items": "All items ({n})",
        "more": "{n} more not shown", "more_link": "{n} more not shown; the full list: {url}",
        "report": "Full report: {url}", "page": "Full list: {url}", "none": "Nothing matched in this period.",
        "missing_days": "No report yet for: {days}",
        "kind_commit": "commit", "kind_pull_request": "PR", "kind_issue": "issue", "untitled": "(untitled)",
    },
}

_URL_RE = re.compile(r"\b([a-z][a-z0-9+.-]{1,20}):(//)", re.I)
_WWW_RE = re.compile(r"\bwww\.", re.I)
_MENTION_RE = re.compile(r"(?<![\w@])@(here|channel|everyone|all)\b", re.I)
_SLACK_SPECIAL = re.compile(r"<!(here|channel|everyone)[^>]*>", re.I)
_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")


@dataclasses.dataclass
class Message:
    title: str
    body: str
    items: int            # items listed in the body
    total: int            # items the filters matched
    truncated: bool       # the channel's limit left items out

    @property
    def chars(self) -> int:
        return len(self.body)


def clean_text(text: Any, limit: int = TITLE_MAX) -> str:
    """Untrusted text as one safe line: no control characters, no links, no mass mentions."""
    if not isinstance(text, str):
        return ""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    text = " ".join(text.split())
    text = _SLACK_SPECIAL.sub(lambda m: f"<! {m.group(1)}>", text)
    text = _URL_RE.sub(lambda m: f"{m.group(1)}[:]//", text)
    text = _WWW_RE.sub("www[.]", text)
    text = _MENTION_RE.sub(lambda m: f"@\u200b{m.group(1)}", text)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def highlights_from_markdown(markdown: str | None, lang: str) -> list[dict[str, Any]]:
    """The top-level bullets of the report's highlights section (``## 今日要点`` / ``## Highlights``): each as
    {text, links}: its GitHub links kept apart, the rest plain text."""
    if not markdown:
        return []
    lines = markdown.splitlines()
    start = None
    for i, line in enumerate(lines):
        if line.strip() in HEADINGS.get(lang, ()) or line.strip() in (h for hs in HEADINGS.values() for h in hs):
            start = i + 1
            break
    if start is None:
        return []
    out = []
    for line in lines[start:]:
        if line.startswith("## ") or line.startswith("# "):
            break
        if not line.startswith(("- ", "* ")):
            continue
        links = [u for _, u in _MD_LINK_RE.findall(line) if is_github_url(u)]
        text = _MD_LINK_RE.sub(lambda m: m.group(1), line[2:])
        text = text.replace("`", "").replace("**", "").replace("\\", "")
        out.append({"text": clean_text(text, 400), "links": list(dict.fromkeys(links))})
    return out


def relevant_highlights(highlights: Sequence[Mapping[str, Any]], items: Sequence[Mapping[str, Any]],
                        filtered: bool) -> list[Mapping[str, Any]]:
    """All highlights for an unfiltered subscription; for a filtered one, those that link to a matched item."""
    if not filtered:
        return list(highlights)
    urls = {it["url"] for it in items if is_github_url(it.get("url"))}
    return [h for h in highlights if urls.intersection(h.get("links") or ())]


def type_name(lang: str, change_type: Any) -> str:
    """The report's display name of a change type (修复, Fixes, ...), else the id."""
    if not isinstance(change_type, str):
        return ""
    try:
        from infra_digest.report.i18n import t

        return str(t(lang, change_type))
    except Exception:
        return change_type


def item_line(item: Mapping[str, Any], lang: str, with_day: bool) -> str:
    s = S[lang]
    title = clean_text(item.get("title")) or s["untitled"]
    kind = s.get(f"kind_{item.get('item_kind')}", item.get("item_kind") or "")
    ident = str(item.get("item_id") or "")
    ident = ident[:7] if item.get("item_kind") == "commit" else f"#{ident}"
    tags = [*item.get("flags", ()), *item.get("hardware", ()), *item.get("precision", ()), *item.get("models", ())]
    head = f"• [{clean_text(item.get('repo'), 100)}] {title}"
    meta = [f"{kind} {clean_text(ident, 20)}", clean_text(type_name(lang, item.get("change_type")), 30)]
    if with_day:
        meta.insert(0, str(item.get("day")))
    if tags:
        meta.append(", ".join(clean_text(t, 40) for t in tags))
    url = item.get("url") if is_github_url(item.get("url")) else None
    second = " · ".join(m for m in meta if m)
    return f"{head}\n  {second}" + (f"\n  {url}" if url else "")


def _highlight_line(h: Mapping[str, Any]) -> str:
    links = " ".join(h.get("links") or ())
    return f"• {h['text']}" + (f"\n  {links}" if links else "")


def build_message(*, lang: str, period: Period, sub_name: str, items: Sequence[Mapping[str, Any]],
                  highlights: Sequence[Mapping[str, Any]] = (), filtered: bool = True, limit: int | None = None,
                  page_url: str | None = None, report_url: str | None = None,
                  missing_days: Sequence[Any] = ()) -> Message:
    """Title and body: highlights, then the items most important first, each with its link; when ``limit``
    (characters of the body) cannot hold them all, the top items and a link to the page with the full list."""
    s = S[lang]
    title = (s["weekly"] if period.weekly else s["daily"]).format(start=period.start, end=period.end)
    title = f"{title} · {sub_name}"
    head: list[str] = []
    if highlights:
        head += [s["highlights"], *(_highlight_line(h) for h in highlights), ""]
    if missing_days:
        head += [s["missing_days"].format(days=", ".join(str(d) for d in missing_days)), ""]
    heading = (s["items"] if filtered else s["all_items"]).format(n=len(items))
    tail = []
    if report_url:
        tail.append(s["report"].format(url=report_url))
    elif page_url:
        tail.append(s["page"].format(url=page_url))
    lines = [item_line(it, lang, period.weekly) for it in items]
    if not items:
        lines = [s["none"]]

    def assemble(n: int) -> str:
        parts = [*head, heading, *lines[:n]]
        if n < len(items):
            more = len(items) - n
            parts.append(s["more_link"].format(n=more, url=page_url) if page_url else s["more"].format(n=more))
            if page_url and not report_url:
                return "\n".join(parts)  # the line above already links to the full list
        if tail:
            parts += ["", *tail]
        return "\n".join(parts)

    n = len(lines) if items else 1
    body = assemble(n)
    if limit is not None and len(body) > limit and items:
        # the highlights go first when even they do not fit
        while len(assemble(0)) > limit and head:
            head.pop(-2 if len(head) >= 2 else -1)
        lo, hi = 0, len(items)
        while lo < hi:  # the most items that fit
            mid = (lo + hi + 1) // 2
            if len(assemble(mid)) <= limit:
                lo = mid
            else:
                hi = mid - 1
        n = lo
        body = assemble(n)
        if len(body) > limit:
            body = body[: max(limit - 1, 0)] + "…"
    shown = min(n, len(items))
    return Message(title=title, body=body, items=shown, total=len(items), truncated=shown < len(items))
