"""Render a day's context to Markdown and HTML with jinja2. Pure: context in, text out.

Untrusted text (titles, bodies, author names, file names, model answers) never becomes markup:
HTML is autoescaped, and Markdown gets HTML and link syntax escaped so that a viewer renders it as text.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from infra_digest.models import DayContext, DaySummary
from infra_digest.report.i18n import STRINGS, t, tag_name

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_NEWLINES = re.compile(r"[\r\n\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def md_escape(value: Any) -> str:
    """One line of untrusted text, safe inside Markdown: no HTML, no links, no emphasis."""
    text = _CONTROL.sub("", _NEWLINES.sub(" ", str(value)))
    text = text.replace("&", "&amp;")
    return _MD_SPECIAL.sub(lambda m: {"<": "&lt;", ">": "&gt;"}.get(m.group(1), "\\" + m.group(1)), text).strip()


def md_code(value: Any) -> str:
    """Text to put inside a Markdown code span."""
    return _CONTROL.sub("", _NEWLINES.sub(" ", str(value))).replace("`", "'")


def md_prose(value: Any) -> str:
    """Section prose (ours or a validated model answer): keep `code` and list lines, neutralise HTML and links."""
    if value is None:
        return ""
    text = _CONTROL.sub("", str(value)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("[", "\\[").replace("]", "\\]")


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def html_prose(value: Any) -> Markup:
    if value is None:
        return Markup("")
    lines = [ln.strip() for ln in str(value).splitlines() if ln.strip()]

    def inline(s: str) -> str:
        return _CODE_SPAN.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(s)))

    if lines and all(ln.startswith("- ") for ln in lines):
        return Markup("<ul>\n" + "\n".join(f"<li>{inline(ln[2:])}</li>" for ln in lines) + "\n</ul>")
    return Markup("\n".join(f"<p>{inline(ln)}</p>" for ln in lines))


def utc_time(ts: dt.datetime | None) -> str:
    return ts.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if ts else ""


def md_tags(item: Any) -> str:
    tags = item.labels.tags
    return (" ·" + "".join(f" `{md_code(tag_name(x))}`" for x in tags)) if tags else ""


def html_tags(item: Any) -> Markup:
    return Markup("".join(f' <span class="tag">{escape(tag_name(x))}</span>' for x in item.labels.tags))


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("infra_digest.report", "templates"),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md_escape, code=md_code, prose=md_prose, html_prose=html_prose, utc=utc_time)
    return env


def render(ctx: DayContext, summary: DaySummary, lang: str, *, generated_at: str, sources_line: str,
           summarizer_line: str) -> tuple[str, str]:
    """Return (markdown, html) for a day's context and its summary in ``lang``. Neither is changed."""
    if lang not in STRINGS:
        raise ValueError(f"unknown report language {lang!r}; choose one of {', '.join(STRINGS)}")
    env = _env()
    common = {
        "ctx": ctx,
        "summary": summary,
        "day_summary": summary.summary.text if summary.summary else None,
        "day_overview": summary.overview.text if summary.overview else None,
        "lang": lang,
        "t": lambda key, **kw: t(lang, key, **kw),
        "generated_at": generated_at,
        "sources_line": sources_line,
        "summarizer_line": summarizer_line,
    }
    md = env.get_template("daily.md.j2").render(**common, tags=md_tags)
    html = env.get_template("daily.html.j2").render(**common, html_tags=html_tags)
    md = re.sub(r"\n{3,}", "\n\n", md)
    return md, html
