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

from infra_digest.models import Change, DayContext, DaySummary, Discussion, Issue, PullRequest, Release, RepoDay
from infra_digest.report.i18n import STRINGS, coverage_line, file_status, flag_name, t, tag_name, tn
from infra_digest.report.layout import Block, DayView, Line, day_view, largest_change, short_title
from infra_digest.report.rank import FLAG_ORDER, Highlight, Ranking, rank_day
from infra_digest.report.relate import Link, relate_day
from infra_digest.report.links import AUTOLINK_TEXT, DEFAULT_WEB_ORIGIN, normalize_origin, safe_url
from infra_digest.text import clean_text

_TAG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+@/-]{0,199}")
NIGHTLIES_SHOWN = 3      # nightlies linked on their one line, the rest counted
FIRST_TIMERS_SHOWN = 5   # first-time contributors named per repository, the rest counted
_NEWLINES = re.compile(r"[\r\n\u2028\u2029]+")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# Runs of untrusted text shown as code spans: the text's own `code`, URL-like text (a viewer would link it), and
# identifiers (with "_", "::" or "()": where Markdown would see emphasis). HTML-like text is written with "&lt;"
# and "&gt;", the only character references of the Markdown, so that no "<tag" is in it, even as text.
_CODE_RUN = re.compile(
    r"`[^`\n]{1,300}`"
    rf"|{AUTOLINK_TEXT.pattern}"
    r"|(?P<html><[^\s<>`]{0,200}>?)"
    r"|(?<![A-Za-z0-9_.:/\-@])@?(?=[A-Za-z0-9_.:/\-()]*[A-Za-z0-9])[A-Za-z0-9.:/\-]*(?:_|::|\(\))[A-Za-z0-9_.:/\-()]*"
    r"|(?<![A-Za-z0-9_.*])[A-Za-z0-9_.]*[A-Za-z0-9]\*[A-Za-z0-9][A-Za-z0-9_.]*(?![A-Za-z0-9_*])",
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


def md_tags(item: Any, lang: str = "en") -> str:
    """Flags in bold, then hardware, precision and model tags in code spans, by display name."""
    flags = [f for f in FLAG_ORDER if f in item.labels.flags]
    parts = [f"**{flag_name(f, lang)}**" for f in flags] + [f"`{md_code(tag_name(x, lang))}`" for x in item.labels.tags]
    return (" · " + " ".join(parts)) if parts else ""


def html_tags(item: Any, lang: str = "en") -> Markup:
    labels = item.labels
    flags = [f for f in FLAG_ORDER if f in labels.flags]
    families = (("flag", [flag_name(f, lang) for f in flags]), ("hw", [tag_name(x, lang) for x in labels.hardware]),
                ("prec", [tag_name(x, lang) for x in labels.precision]), ("model", [tag_name(x, lang) for x in labels.models]))
    return Markup("".join(f' <span class="tag {family}">{escape(x)}</span>' for family, tags in families for x in tags))


def item_url(item: Any) -> str | None:
    """Where an item's main link goes: a change's pull request (else its commit), an issue's or PR's page."""
    if isinstance(item, Change):
        return item.pr_url or item.url
    return item.url


def item_number(item: Any) -> int | None:
    return item.pr_number if isinstance(item, Change) else item.number


def short_path(path: str, limit: int = 30) -> str:
    """A file path short enough for a line: the path itself, or its last components after "…/"."""
    if len(path) <= limit:
        return path
    parts = path.split("/")
    out = parts[-1]
    for part in reversed(parts[:-1]):
        if len(part) + len(out) + 1 > limit:
            break
        out = f"{part}/{out}"
    return "…/" + out


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


class _MdLines:
    """The Markdown of one line of the report (a change, an issue, a highlight, a folded group)."""

    def __init__(self, lang: str, origin: str, urls: dict):
        self.lang, self.origin, self.urls = lang, origin, urls
        self.link = _md_link(origin)
        self.sep = "、" if lang == "zh" else ", "

    def refs(self, item: Any) -> str:
        out = []
        if isinstance(item, Change) and item.short_sha:
            out.append(self.link(f"`{md_code(item.short_sha)}`", item.url))
        n = item_number(item)
        if n:
            out.append(self.link(f"#{n}", item_url(item) if not isinstance(item, Change) else item.pr_url))
        return " ".join(out)

    def related(self, links: tuple[Link, ...], skip: set | None = None) -> str:
        parts = []
        for lk in links:
            if skip and lk.other in skip:
                continue
            target = self.urls.get(lk.other) if lk.other else lk.url
            parts.append(f"{t(self.lang, 'link_' + lk.kind)} {self.link(md_escape(lk.label), target)}")
        return (" · " + self.sep.join(parts)) if parts else ""

    def size(self, c: Change) -> str:
        return f" · +{c.additions} −{c.deletions}" if c.additions is not None and c.deletions is not None else ""

    def change(self, line: Line) -> str:
        c = line.item
        shown = c.shown
        title = md_escape(line.title if shown is c else shown.title or line.title, start=False)
        text = f"- {self.refs(shown)} {title}".rstrip()
        if shown is not c:
            text += f"（{t(self.lang, 'merged_via', ref=self.refs(c))}）" if self.lang == "zh" else \
                f" ({t(self.lang, 'merged_via', ref=self.refs(c))})"
        elif c.merged:
            text += " · " + t(self.lang, "brings", refs=" ".join(self.refs(m) for m in c.merged))
        text += self.size(c)
        if line.main_file and (c.files_changed or 0) > 1:
            text += f" · `{md_code(short_path(line.main_file.filename))}`"
        return text + md_tags(c, self.lang) + self.related(line.links)

    def other(self, line: Line) -> str:
        i = line.item
        text = f"- {self.refs(i)} {md_escape(line.title, start=False)}".rstrip()
        if i.author:
            text += f" · {'@' if i.author_is_login else ''}{md_escape(i.author)}"
        return text + md_tags(i, self.lang) + self.related(line.links)

    def folded(self, block: Block) -> str:
        label = t(self.lang, block.name)
        refs = self.sep.join(self.refs(line.item.shown if isinstance(line.item, Change) else line.item) for line in block.lines)
        colon = "：" if self.lang == "zh" else ": "
        return f"- **{label}** ({len(block.lines)}){colon}{refs}"

    def untitled(self, block: Block) -> str:
        colon = "：" if self.lang == "zh" else ": "
        return f"- {t(self.lang, 'untitled')} ({len(block.untitled)}){colon}" + self.sep.join(self.refs(i) for i in block.untitled)

    def highlight(self, h: Highlight) -> str:
        if isinstance(h.item, Release):
            rel = h.item
            text = f"- **{md_escape(h.repo.repo.split('/')[1])}** {t(self.lang, 'release')} {self._release_link(rel)}"
            if rel.name and rel.name.strip() != rel.tag:
                text += " " + md_escape(short_title(rel.name))
            return text + (f" · {t(self.lang, 'prerelease')}" if rel.prerelease else "")
        item = h.item.shown if isinstance(h.item, Change) else h.item
        name = h.repo.repo.split("/")[1]
        what = md_escape(short_title(item.title), start=False)
        if isinstance(h.item, Issue):
            what = ("报告：" if self.lang == "zh" else "reported: ") + what
        elif isinstance(h.item, PullRequest):
            what = ("新 PR：" if self.lang == "zh" else "new PR: ") + what
        text = f"- **{md_escape(name)}** {what}{md_tags(h.item, self.lang)} · {self.refs(item)}"
        if isinstance(h.item, Change) and item is not h.item:
            text += " " + self.refs(h.item)
        if h.related:
            parts = []
            for r in h.related:
                rname = r.repo.split("/")[1]
                label = f"#{item_number(r)}" if item_number(r) else (getattr(r, "short_sha", None) or r.id)
                label = label if r.repo == h.item.repo else f"{rname} {label}"
                kind = next((lk.kind for lk in h.links if lk.other == r.key), "mentions")
                parts.append(f"{t(self.lang, 'link_' + kind)} {self.link(md_escape(label), self.urls.get(r.key))}")
            text += " · " + self.sep.join(parts)
        return text

    # -- beyond commits: releases, hot discussions, first-time contributors (issue 17) --------------------
    def _release_link(self, rel: Release) -> str:
        """The tag in a code span (tags are identifiers), or as escaped text when it is not one (no raw HTML)."""
        label = f"`{md_code(rel.tag)}`" if _TAG_NAME.fullmatch(rel.tag) else md_escape(rel.tag)
        return self.link(label, rel.url)

    def releases(self, r: RepoDay) -> list[str]:
        """One line per release of the day (newest first), the nightlies folded into one line."""
        colon = "：" if self.lang == "zh" else ": "
        out = []
        for rel in (x for x in r.releases if not x.nightly):
            text = f"- **{t(self.lang, 'release')}** {self._release_link(rel)}"
            if rel.name and rel.name.strip() != rel.tag:
                text += " " + md_escape(short_title(rel.name))
            marks = [t(self.lang, "prerelease")] if rel.prerelease else []
            if rel.lightweight:
                marks.append(t(self.lang, "lightweight_tag"))
            if marks:
                text += " · " + " · ".join(marks)
            if rel.notes:
                text += colon + md_escape(rel.notes)
            out.append(text)
        nightlies = [x for x in r.releases if x.nightly]
        if nightlies:
            shown = self.sep.join(self._release_link(x) for x in nightlies[:NIGHTLIES_SHOWN])
            more = f"{self.sep}{t(self.lang, 'and_more', n=len(nightlies) - NIGHTLIES_SHOWN)}" if len(nightlies) > NIGHTLIES_SHOWN else ""
            out.append(f"- **{t(self.lang, 'nightly')}** ({len(nightlies)}){colon}{shown}{more}")
        return out

    def counts(self, d: Discussion) -> str:
        parts = [tn(self.lang, "n_comments", d.comments)]
        if d.reactions:
            parts.append(tn(self.lang, "n_reactions", d.reactions))
        if d.new_in_day:
            parts.append(t(self.lang, "new_item"))
        return " · ".join(parts)

    def discussion(self, d: Discussion) -> str:
        text = f"- {self.link(f'#{d.number}', d.url)} {md_escape(short_title(d.title), start=False)}".rstrip()
        return f"{text} · {self.counts(d)}"

    def first_timers(self, r: RepoDay) -> str:
        colon = "：" if self.lang == "zh" else ": "
        names = [md_escape(n) for n in r.first_timers[:FIRST_TIMERS_SHOWN]]
        more = len(r.first_timers) - FIRST_TIMERS_SHOWN
        tail = f"{self.sep}{t(self.lang, 'and_more', n=more)}" if more > 0 else ""
        return f"- **{t(self.lang, 'first_timers')}**{colon}{self.sep.join(names)}{tail}"


class _HtmlLines:
    """The HTML of one line of the report; every piece of untrusted text escaped."""

    def __init__(self, lang: str, origin: str, urls: dict, summary: DaySummary):
        self.lang, self.urls, self.summary = lang, urls, summary
        self.link = _html_link(origin)
        self.sep = "、" if lang == "zh" else ", "

    def refs(self, item: Any) -> Markup:
        out = []
        if isinstance(item, Change) and item.short_sha:
            out.append(self.link(item.short_sha, item.url, code=True))
        n = item_number(item)
        if n:
            out.append(self.link(f"#{n}", item.pr_url if isinstance(item, Change) else item.url))
        return Markup(" ").join(out)

    def related(self, links: tuple[Link, ...]) -> Markup:
        parts = [Markup("{} {}").format(t(self.lang, "link_" + lk.kind),
                                         self.link(lk.label, self.urls.get(lk.other) if lk.other else lk.url))
                 for lk in links]
        return Markup(' <span class="rel">· {}</span>').format(Markup(self.sep).join(parts)) if parts else Markup("")

    def files(self, c: Change) -> Markup:
        units = c.merged if c.is_merge and c.merged else (c,)
        files = [f for u in units for f in u.files]
        more = sum(u.files_more for u in units)
        if not files or (len(files) < 2 and not more):  # one file: the line names it, or the title says it
            return Markup("")
        items = []
        for f in files:
            status = file_status(self.lang, f.status)
            prev = Markup(" ← <code>{}</code>").format(f.previous_filename) if f.previous_filename else ""
            st = Markup(" ({})").format(status) if status else ""
            items.append(Markup("<li><code>{}</code>{}{} +{} −{}</li>").format(f.filename, prev, st, f.additions, f.deletions))
        if more:
            items.append(Markup("<li>{}{}</li>").format(tn(self.lang, "more_files", more),
                                                      f" ({t(self.lang, 'files_truncated')})" if any(u.files_truncated for u in units) else ""))
        return Markup('<details><summary>{} ({})</summary><ul class="files">{}</ul></details>').format(
            t(self.lang, "files_list"), c.files_changed if c.files_changed is not None else len(files), Markup("").join(items))

    def gist(self, item: Any) -> Markup:
        g = self.summary.gist(item)
        if not g:
            return Markup("")
        return Markup('<div class="gist">{}: {}</div>').format(t(self.lang, "gist") if g.by_llm else t(self.lang, "excerpt"), g.text)

    def author(self, item: Any) -> Markup:
        return Markup(' <span class="by">· {}{}</span>').format("@" if item.author_is_login else "", item.author) if item.author else Markup("")

    def change(self, line: Line) -> Markup:
        c = line.item
        shown = c.shown
        title = line.title if shown is c else (shown.title or line.title)
        out = Markup("{} {}").format(self.refs(shown), title)
        if shown is not c:
            out += Markup(" ({})").format(Markup(t(self.lang, "merged_via", ref="{}")).format(self.refs(c)))
        elif c.merged:
            out += Markup(" · {}").format(Markup(t(self.lang, "brings", refs="{}")).format(
                Markup(" ").join(self.refs(m) for m in c.merged)))
        if c.additions is not None and c.deletions is not None:
            out += Markup(' <span class="size">+{} −{}</span>').format(c.additions, c.deletions)
        if line.main_file and (c.files_changed or 0) > 1:
            out += Markup(" <code>{}</code>").format(short_path(line.main_file.filename))
        out += self.author(c) + html_tags(c, self.lang) + self.related(line.links) + self.files(c) + self.gist(c)
        return out

    def other(self, line: Line) -> Markup:
        i = line.item
        return (Markup("{} {}").format(self.refs(i), line.title) + self.author(i) + html_tags(i, self.lang)
                + self.related(line.links) + self.gist(i))

    def folded(self, block: Block) -> Markup:
        refs = []
        for line in block.lines:
            item = line.item.shown if isinstance(line.item, Change) else line.item
            refs.append(Markup('<span title="{}">{}</span>').format(item.title or "", self.refs(item)))
        return Markup("<strong>{}</strong> ({}): {}").format(t(self.lang, block.name), len(block.lines), Markup(self.sep).join(refs))

    def untitled(self, block: Block) -> Markup:
        return Markup("{} ({}): {}").format(t(self.lang, "untitled"), len(block.untitled),
                                            Markup(self.sep).join(self.refs(i) for i in block.untitled))

    def highlight(self, h: Highlight) -> Markup:
        if isinstance(h.item, Release):
            rel = h.item
            out = Markup("<strong>{}</strong> {} {}").format(h.repo.repo.split("/")[1], t(self.lang, "release"),
                                                              self.link(rel.tag, rel.url, code=True))
            if rel.name and rel.name.strip() != rel.tag:
                out += Markup(" {}").format(short_title(rel.name))
            if rel.prerelease:
                out += Markup(' <span class="tag flag">{}</span>').format(t(self.lang, "prerelease"))
            return out
        item = h.item.shown if isinstance(h.item, Change) else h.item
        what = short_title(item.title)
        if isinstance(h.item, Issue):
            what = ("报告：" if self.lang == "zh" else "reported: ") + what
        elif isinstance(h.item, PullRequest):
            what = ("新 PR：" if self.lang == "zh" else "new PR: ") + what
        out = Markup("<strong>{}</strong> {}{} · {}").format(h.repo.repo.split("/")[1], what, html_tags(h.item, self.lang), self.refs(item))
        if isinstance(h.item, Change) and item is not h.item:
            out += Markup(" ") + self.refs(h.item)
        if h.related:
            parts = []
            for r in h.related:
                label = f"#{item_number(r)}" if item_number(r) else (getattr(r, "short_sha", None) or r.id)
                label = label if r.repo == h.item.repo else f"{r.repo.split('/')[1]} {label}"
                kind = next((lk.kind for lk in h.links if lk.other == r.key), "mentions")
                parts.append(Markup("{} {}").format(t(self.lang, "link_" + kind), self.link(label, self.urls.get(r.key))))
            out += Markup(' <span class="rel">· {}</span>').format(Markup(self.sep).join(parts))
        return out

    # -- beyond commits (issue 17) ---------------------------------------------------------------------------
    def releases(self, r: RepoDay) -> list[Markup]:
        out = []
        for rel in (x for x in r.releases if not x.nightly):
            line = Markup("<strong>{}</strong> {}").format(t(self.lang, "release"), self.link(rel.tag, rel.url, code=True))
            if rel.name and rel.name.strip() != rel.tag:
                line += Markup(" {}").format(short_title(rel.name))
            marks = [t(self.lang, "prerelease")] if rel.prerelease else []
            if rel.lightweight:
                marks.append(t(self.lang, "lightweight_tag"))
            for m in marks:
                line += Markup(' <span class="tag flag">{}</span>').format(m)
            if rel.notes:
                line += Markup('<div class="gist">{}</div>').format(rel.notes)
            out.append(line)
        nightlies = [x for x in r.releases if x.nightly]
        if nightlies:
            links = Markup(self.sep).join(self.link(x.tag, x.url, code=True) for x in nightlies[:NIGHTLIES_SHOWN])
            if len(nightlies) > NIGHTLIES_SHOWN:
                links += Markup(self.sep) + t(self.lang, "and_more", n=len(nightlies) - NIGHTLIES_SHOWN)
            out.append(Markup("<strong>{}</strong> ({}): {}").format(t(self.lang, "nightly"), len(nightlies), links))
        return out

    def discussion(self, d: Discussion) -> Markup:
        parts = [tn(self.lang, "n_comments", d.comments)]
        if d.reactions:
            parts.append(tn(self.lang, "n_reactions", d.reactions))
        if d.new_in_day:
            parts.append(t(self.lang, "new_item"))
        return Markup('{} {} <span class="size">{}</span>').format(self.link(f"#{d.number}", d.url), short_title(d.title),
                                                                   " · ".join(parts))

    def first_timers(self, r: RepoDay) -> Markup:
        more = len(r.first_timers) - FIRST_TIMERS_SHOWN
        names = self.sep.join(r.first_timers[:FIRST_TIMERS_SHOWN]) + (self.sep + t(self.lang, "and_more", n=more) if more > 0 else "")
        return Markup("<strong>{}</strong>: {}").format(t(self.lang, "first_timers"), names)


def plan_day(ctx: DayContext, watched: Any = None) -> tuple[dict, Ranking, DayView]:
    """The day's links, ranking and layout (pure)."""
    links = relate_day(ctx, watched)
    ranking = rank_day(ctx, links)
    return links, ranking, day_view(ctx, ranking, links)


def render(ctx: DayContext, summary: DaySummary, lang: str, *, generated_at: str, sources_line: str,
           summarizer_line: str, web_origin: str = DEFAULT_WEB_ORIGIN, plan: tuple | None = None) -> tuple[str, str]:
    """Return (markdown, html) for a day's context and its summary in ``lang``. Neither is changed.
    ``web_origin``: the GitHub web origin links may point into (``https://github.com`` or an Enterprise one).
    ``plan``: the day's (links, ranking, view) from :func:`plan_day`, computed here when not given."""
    origin = normalize_origin(web_origin)
    if lang not in STRINGS:
        raise ValueError(f"unknown report language {lang!r}; choose one of {', '.join(STRINGS)}")
    from infra_digest.summarize.extractive import day_summary, overview

    links, ranking, view = plan or plan_day(ctx)
    urls = {item.key: item_url(item) for _, item in ctx.items()}
    env = _env()
    facts = day_summary(ctx, lang)
    model_summary = summary.summary.text if summary.summary and summary.summary.by_llm else None
    cross = overview(ctx, lang)
    model_overview = summary.overview.text if summary.overview and summary.overview.by_llm else None
    common = {
        "view": view,
        "ranking": ranking,
        "highlights": ranking.highlights,
        "facts": facts,
        "model_summary": model_summary,
        "cross": cross,
        "model_overview": model_overview,
        "short_path": short_path,
        "item_url": item_url,
        "item_number": item_number,
        "largest_change": largest_change,
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
    md = env.get_template("daily.md.j2").render(**common, mdlink=_md_link(origin), L=_MdLines(lang, origin, urls))
    html = env.get_template("daily.html.j2").render(**common, html_tags=lambda i: html_tags(i, lang),
                                                    alink=_html_link(origin), urls=urls,
                                                    H=_HtmlLines(lang, origin, urls, summary))
    md = re.sub(r"\n{3,}", "\n\n", md)
    return md, html
