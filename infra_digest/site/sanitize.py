"""An allow-list HTML sanitizer for the report bodies the site embeds.

The reports are rendered by our own templates with escaping, but the site does not rely on that: it re-parses
the body and keeps only an allow-list of structural tags and attributes. Every text node is escaped again; links
survive only when they point at GitHub (``https://github.com/...``) or at a fragment of the same page; scripts,
styles, frames, forms, event handlers, ``style=`` attributes and every other URL scheme are dropped.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from infra_digest.deliver.select import is_github_url

ALLOWED_TAGS = {
    "a", "abbr", "article", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "li", "mark", "nav", "ol", "p", "pre",
    "section", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "time", "tr", "ul",
}
VOID_TAGS = {"br", "hr"}
# Dropped with everything inside them.
DROP_CONTENT = {"script", "style", "template", "iframe", "object", "embed", "svg", "math", "noscript", "textarea",
                "select", "head", "title", "frameset", "frame", "applet", "canvas", "audio", "video", "form",
                "button", "input", "link", "meta", "base", "img", "picture", "source", "xmp", "noembed", "plaintext"}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$")
_FRAGMENT = re.compile(r"^#[A-Za-z0-9_][A-Za-z0-9_.:%-]{0,127}$")
_NUM = re.compile(r"^[0-9]{1,3}$")
_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def strip_invalid(text: str) -> str:
    """Remove characters HTML and XML 1.0 do not allow."""
    return _INVALID_CHARS.sub("", text)


def _attr(tag: str, name: str, value: str | None) -> str | None:
    """The kept value of an attribute, or None to drop it."""
    if value is None:
        return "" if tag == "details" and name == "open" else None
    value = strip_invalid(value)
    if name == "class":
        tokens = [t for t in value.split() if _TOKEN.match(t)]
        return " ".join(tokens) or None
    if name == "id":
        return value if _ID.match(value) else None
    if name == "href" and tag == "a":
        value = value.strip()
        return value if (is_github_url(value) or _FRAGMENT.match(value)) else None
    if name in ("title", "datetime") or (name == "lang" and re.match(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", value)):
        return value[:300]
    if name in ("colspan", "rowspan") and tag in ("td", "th"):
        return value if _NUM.match(value) else None
    if name == "open" and tag == "details":
        return ""
    return None


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []
        self.drop_depth = 0
        self.drop_tag: str | None = None
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if self.drop_depth:
            if tag == self.drop_tag:
                self.drop_depth += 1
            return
        if tag in DROP_CONTENT:
            if tag not in ("img", "input", "link", "meta", "base", "source", "frame"):  # void ones have no content
                self.drop_depth, self.drop_tag = 1, tag
            return
        if tag not in ALLOWED_TAGS:
            return  # unwrap: keep the text inside
        kept = []
        external = False
        for name, value in attrs:
            name = name.lower()
            v = _attr(tag, name, value)
            if v is None:
                continue
            if name == "href" and is_github_url(v):
                external = True
            if name == "id":
                self.ids.add(v)
            kept.append(f' {name}="{html.escape(v, quote=True)}"' if v != "" or name != "open" else " open")
        if tag == "a" and external:
            kept.append(' rel="nofollow noopener noreferrer"')
        self.out.append(f"<{tag}{''.join(kept)}>")
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag.lower() not in VOID_TAGS and self.stack and self.stack[-1] == tag.lower() and not self.drop_depth:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if self.drop_depth:
            if tag == self.drop_tag:
                self.drop_depth -= 1
                if not self.drop_depth:
                    self.drop_tag = None
            return
        if tag not in self.stack:
            return
        while self.stack:
            open_tag = self.stack.pop()
            self.out.append(f"</{open_tag}>")
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.drop_depth:
            self.out.append(html.escape(strip_invalid(data), quote=False))

    def close(self) -> None:
        super().close()
        while self.stack:
            self.out.append(f"</{self.stack.pop()}>")


def body_of(document: str) -> str:
    """The inside of ``<body>`` (the whole text when there is none)."""
    m = re.search(r"<body[^>]*>(.*)</body\s*>", document, re.S | re.I)
    if m:
        return m.group(1)
    m = re.search(r"<body[^>]*>(.*)$", document, re.S | re.I)
    return m.group(1) if m else document


def sanitize(fragment: str) -> str:
    """Safe HTML for an untrusted fragment. Links to a fragment that the result does not contain are dropped."""
    p = _Sanitizer()
    p.feed(fragment or "")
    p.close()
    out = "".join(p.out)
    return re.sub(r' href="#([^"]*)"', lambda m: m.group(0) if html.unescape(m.group(1)) in p.ids else "", out)


def report_styles(document: str) -> str:
    """The report's own ``<style>`` rules, kept only when they cannot load anything or close the element
    (no ``<``, backslash escapes, ``@import``, ``url(`` or ``expression(``)."""
    out = []
    for css in re.findall(r"<style[^>]*>(.*?)</style\s*>", document, re.S | re.I):
        low = css.lower()
        if "<" in css or "\\" in css or any(bad in low for bad in ("@import", "url(", "expression(", "image-set(")):
            continue
        out.append(css.strip())
    return "\n".join(out)
