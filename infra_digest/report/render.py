"""Render a day's context to Markdown and HTML with jinja2. Pure: context in, text out.

Untrusted text (titles, bodies, author names, file names, model answers) never becomes markup:
HTML is autoescaped, and Markdown gets HTML and link syntax escaped so that a viewer renders it as text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

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


def _tags(item: dict[str, Any]) -> list[str]:
    return [*(item.get("hardware") or []), *(item.get("precision") or []), *(item.get("models") or [])]


def md_tags(item: dict[str, Any]) -> str:
    tags = _tags(item)
    return (" ·" + "".join(f" `{md_code(tag_name(x))}`" for x in tags)) if tags else ""


def html_tags(item: dict[str, Any]) -> Markup:
    return Markup("".join(f' <span class="tag">{escape(tag_name(x))}</span>' for x in _tags(item)))


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
    env.filters.update(md=md_escape, code=md_code, prose=md_prose, html_prose=html_prose)
    return env


def render(ctx: dict[str, Any], lang: str, *, generated_at: str, sources_line: str, summarizer_line: str) -> tuple[str, str]:
    """Return (markdown, html) for a context built by :func:`infra_digest.report.context.build_context`."""
    if lang not in STRINGS:
        raise ValueError(f"unknown report language {lang!r}; choose one of {', '.join(STRINGS)}")
    env = _env()
    common = {
        "ctx": ctx,
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
