"""Render a day's context and its summary to Markdown and HTML with jinja2. Pure: data in, text out.

Untrusted text (titles, bodies, author names, file names, model answers) never becomes markup:
HTML is autoescaped, Markdown gets HTML and link syntax escaped so that a viewer renders it as text, and text a
Markdown viewer would turn into a link by itself (``https://...``, ``www.``, e-mail addresses) is put in a code
span. Only URLs into the GitHub web origin become links (``report.links.safe_url``); any other URL from the data
is left out and its label shown as text. Every value written is cleaned of invisible and control characters
(``infra_digest.text.clean_text``).
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
from infra_digest.report.links import AUTOLINK_TEXT, DEFAULT_WEB_ORIGIN, normalize_origin, safe_url
from infra_digest.text import clean_text

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_NEWLINES = re.compile(r"[\r\n\u2028\u2029]+")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def _one_line(value: Any) -> str:
    return clean_text(_NEWLINES.sub(" ", str(value)))


def _linkish_apart(text: str, plain: Any) -> str:
    """``plain(part)`` for the text between URL-like runs, each URL-like run in a code span."""
    out, pos = [], 0
    for m in AUTOLINK_TEXT.finditer(text):
        out.append(plain(text[pos:m.start()]))
        out.append("`" + m.group(0).replace("`", "'") + "`")
        pos = m.end()
    out.append(plain(text[pos:]))
    return "".join(out)


def _md_plain(text: str) -> str:
    text = text.replace("&", "&amp;")
    return _MD_SPECIAL.sub(lambda m: {"<": "&lt;", ">": "&gt;"}.get(m.group(1), "\\" + m.group(1)), text)


def md_escape(value: Any) -> str:
    """One line of untrusted text, safe inside Markdown: no HTML, no links, no emphasis."""
    return _linkish_apart(_one_line(value), _md_plain).strip()


def md_code(value: Any) -> str:
    """Text to put inside a Markdown code span."""
    return _one_line(value).replace("`", "'")


def _prose_plain(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("[", "\\[").replace("]", "\\]")


def md_prose(value: Any) -> str:
    """Section prose (ours or a validated model answer): keep `code` and list lines, neutralise HTML and links."""
    if value is None:
        return ""
    text = clean_text(value)
    out, pos = [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_linkish_apart(text[pos:m.start()], _prose_plain))
        out.append(m.group(0))
        pos = m.end()
    out.append(_linkish_apart(text[pos:], _prose_plain))
    return "".join(out)


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


def _finalize(value: Any) -> Any:
    """Every value a template writes: no invisible or control characters."""
    if isinstance(value, Markup):
        return Markup(clean_text(str(value)))
    if isinstance(value, str):
        return clean_text(value)
    return value


def _md_link(origin: str):
    def mdlink(label: str, url: Any) -> str:
        """``[label](url)`` when ``url`` is into the web origin, else the label alone (already Markdown)."""
        target = safe_url(url, origin)
        return f"[{label}]({target})" if target else label
    return mdlink


def _html_link(origin: str):
    def alink(label: Any, url: Any, code: bool = False) -> Markup:
        inner = Markup("<code>{}</code>").format(label) if code else escape(label)
        target = safe_url(url, origin)
        return Markup('<a href="{}">{}</a>').format(target, inner) if target else Markup(inner)
    return alink


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        finalize=_finalize,
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
           summarizer_line: str, web_origin: str = DEFAULT_WEB_ORIGIN) -> tuple[str, str]:
    """Return (markdown, html) for a day's context and its summary in ``lang``. Neither is changed.
    ``web_origin``: the GitHub web origin links may point into (``https://github.com`` or an Enterprise one)."""
    origin = normalize_origin(web_origin)
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
    md = env.get_template("daily.md.j2").render(**common, tags=md_tags, mdlink=_md_link(origin))
    html = env.get_template("daily.html.j2").render(**common, html_tags=html_tags, alink=_html_link(origin))
    md = re.sub(r"\n{3,}", "\n\n", md)
    return md, html
