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
from infra_digest.report.i18n import STRINGS, coverage_line, file_status, t, tag_name, tn
from infra_digest.report.links import AUTOLINK_TEXT, DEFAULT_WEB_ORIGIN, normalize_origin, safe_url
from infra_digest.text import clean_text

_NEWLINES = re.compile(r"[\r\n\u2028\u2029]+")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# Runs of untrusted text shown as code spans: the text's own `code`, URL-like text (a viewer would link it), and
# identifiers (with "_", "::" or "()": where Markdown would see emphasis). HTML-like text is written with "&lt;"
# and "&gt;", the only character references of the Markdown, so that no "<tag" is in it, even as text.
_CODE_RUN = re.compile(
    r"`[^`\n]{1,300}`"
    rf"|{AUTOLINK_TEXT.pattern}"
    r"|(?P<html><[^\s<>`]{0,200}>?)"
    r"|(?<![A-Za-z0-9_.:/\-@])@?(?=[A-Za-z0-9_.:/\-()]*[A-Za-z0-9])[A-Za-z0-9.:/\-]*(?:_|::|\(\))[A-Za-z0-9_.:/\-()]*",
    re.I)
_TRAILING = ".,;:!?'\""
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
# Inline Markdown that plain text must not form: emphasis and code markers, backslashes, inline links. ("[a][b]"
# is a link only with a definition "[b]: ...", which no untrusted text can write: a line start is escaped.)
_MD_INLINE = re.compile(r"[\\`*_~]|\](?=\()")
# What would make a line starting with the text a heading, quote, list item, task, table or link definition.
_BLOCK_START = re.compile(r"^(?:[#>+\-=*|]|\[[ xX]\](?:\s|$)|\[[^\]]*\]:)")
_ORDERED_START = re.compile(r"^(\d{1,9})([.)])")


def _one_line(value: Any) -> str:
    return clean_text(_NEWLINES.sub(" ", str(value)))


def _md_plain(text: str) -> str:
    """Plain text in Markdown: characters that would form markup backslash-escaped, ``&`` only where it would
    start a character reference. No HTML character reference is written."""
    text = _ENTITY.sub(r"\\&", _MD_INLINE.sub(lambda m: "\\" + m.group(0), text))
    return text.replace("<", "&lt;")


def _code(run: str) -> str:
    inner = run[1:-1] if len(run) > 1 and run[0] == run[-1] == "`" else run
    inner = inner.replace("`", "'")
    return f"`{inner}`" if inner.strip() else ""


def _split_run(run: str) -> tuple[str, str]:
    """(code, trailing punctuation): a sentence's full stop or a closing parenthesis stays outside the code."""
    if run.startswith("`"):
        return run, ""
    end = len(run)
    while end > 1 and (run[end - 1] in _TRAILING or (run[end - 1] == ")" and run[:end].count("(") < run[:end].count(")"))):
        end -= 1
    return run[:end], run[end:]


def md_inline(text: str, start: bool = True) -> str:
    """One line of untrusted text as Markdown inline content that shows exactly the text: code-like runs in code
    spans, everything else with only the escapes it needs. ``start``: the text may begin a line (then what would
    make it a heading, list item, quote or link definition is escaped too)."""
    out, pos = [], 0
    for m in _CODE_RUN.finditer(text):
        out.append(_md_plain(text[pos:m.start()]))
        if m.group("html"):
            out.append(_md_plain(m.group(0)).replace(">", "&gt;"))
        else:
            code, trail = _split_run(m.group(0))
            out.append(_code(code))
            out.append(_md_plain(trail))
        pos = m.end()
    out.append(_md_plain(text[pos:]))
    result = "".join(out)
    if not start:
        return result
    if _BLOCK_START.match(result):
        return "\\" + result
    return _ORDERED_START.sub(r"\1\\\2", result, count=1)


def md_escape(value: Any, start: bool = False) -> str:
    """One line of untrusted text, safe inside Markdown: no HTML, no links, no emphasis. ``start=True`` where the
    text may begin a line."""
    return md_inline(_one_line(value).strip(), start=start)


def md_code(value: Any) -> str:
    """Text to put inside a Markdown code span."""
    return _one_line(value).replace("`", "'")


def md_prose(value: Any) -> str:
    """Section prose (ours or a validated model answer): keep `code` and list lines, neutralise HTML and links."""
    if value is None:
        return ""
    lines = []
    for line in clean_text(value).split("\n"):
        if line.startswith("- "):
            lines.append("- " + md_inline(line[2:]))
        else:
            lines.append(md_inline(line))
    return "\n".join(lines)


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
    labels = item.labels
    families = (("hw", labels.hardware), ("prec", labels.precision), ("model", labels.models))
    return Markup("".join(f' <span class="tag {family}">{escape(tag_name(x))}</span>' for family, tags in families for x in tags))


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
        "tn": lambda key, n: tn(lang, key, n),
        "fstatus": lambda status: file_status(lang, status),
        "coverage": coverage_line(lang, ctx.repo_count, len(ctx.active_repos), ctx.totals),
        "generated_at": generated_at,
        "sources_line": sources_line,
        "summarizer_line": summarizer_line,
    }
    md = env.get_template("daily.md.j2").render(**common, tags=md_tags, mdlink=_md_link(origin))
    html = env.get_template("daily.html.j2").render(**common, html_tags=html_tags, alink=_html_link(origin))
    md = re.sub(r"\n{3,}", "\n\n", md)
    return md, html
