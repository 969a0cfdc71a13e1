"""Which links a report may hold, and the check that it holds no other.

Only the GitHub web origin (``https://github.com``, or a configured GitHub Enterprise origin such as
``https://github.example.com``) becomes a link, in Markdown and in HTML; a URL from the data that is anything else
(``javascript:``, another host, a URL with characters that could end a Markdown link) is shown as text.

:func:`safe_url` decides for one URL; :func:`check_links` verifies a rendered report pair (what the
``report_links_resolve`` asset check calls): every link's scheme and host, no raw HTML in the Markdown, no text a
Markdown viewer would turn into a link by itself.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

DEFAULT_WEB_ORIGIN = "https://github.com"

# What a link target may contain: RFC 3986 unreserved and reserved characters except those that can end or break
# a Markdown link destination or an HTML attribute: ( ) [ ] < > " ' ` \ space, and * (emphasis).
_SAFE_TARGET = re.compile(r"[A-Za-z0-9\-._~/%?#=&+:@!$,;]+")
# Text a GitHub-flavoured Markdown viewer turns into a link on its own (extended autolinks).
AUTOLINK_TEXT = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z][A-Za-z0-9+.\-]{1,31}://|www\.)[^\s<>`]+"
    r"|(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
    r"|(?<![A-Za-z0-9])(?:mailto|xmpp|javascript|vbscript|data|file):[^\s<>`]+",
    re.I)


def normalize_origin(origin: str | None) -> str:
    """``https://host[:port]`` without a trailing slash; raises ValueError for anything else."""
    origin = (origin or DEFAULT_WEB_ORIGIN).strip().rstrip("/")
    parts = urlsplit(origin)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path or parts.query or parts.fragment \
            or parts.username or parts.password:
        raise ValueError(f"a web origin is scheme://host[:port], not {origin!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def safe_url(url: object, origin: str = DEFAULT_WEB_ORIGIN) -> str | None:
    """``url`` if it is a link into ``origin`` (same scheme, host and port; a path; only characters that cannot
    break Markdown or HTML), else None."""
    if not isinstance(url, str) or not url or len(url) > 2000 or not _SAFE_TARGET.fullmatch(url):
        return None
    origin = normalize_origin(origin)
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or f":{parts.port}" in origin
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or not port_ok:
        return None
    if f"{parts.scheme.lower()}://{parts.netloc.lower()}" != origin:
        return None
    if parts.path and not parts.path.startswith("/"):
        return None
    return url


def _allowed(url: str, origin: str) -> bool:
    return url.startswith("#") and _SAFE_TARGET.fullmatch(url) is not None or safe_url(url, origin) is not None


class _HTMLLinks(HTMLParser):
    URL_ATTRS = {"href", "src", "action", "formaction", "srcset", "poster", "background", "cite", "data", "xlink:href",
                 "ping", "longdesc", "manifest", "codebase", "archive", "usemap", "icon", "lowsrc", "dynsrc"}
    FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "form", "base", "frame", "frameset", "applet", "link",
                      "svg", "math", "img", "video", "audio", "source", "input", "button", "textarea"}

    def __init__(self, origin: str):
        super().__init__(convert_charrefs=True)
        self.origin = origin
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.FORBIDDEN_TAGS:
            self.problems.append(f"html: <{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"html: event handler attribute {name} on <{tag}>")
            elif name in self.URL_ATTRS or (name == "content" and tag == "meta" and "url=" in (value or "").lower()):
                if not _allowed(value or "", self.origin):
                    self.problems.append(f"html: <{tag} {name}> to {str(value)[:120]!r}")
            elif name == "style" and re.search(r"url\s*\(|expression\s*\(", value or "", re.I):
                self.problems.append(f"html: style with a URL on <{tag}>")

    handle_startendtag = handle_starttag


def _markdown_problems(markdown: str, origin: str) -> list[str]:
    from markdown_it import MarkdownIt

    problems: list[str] = []
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    env: dict = {}
    tokens = md.parse(markdown, env)
    for ref, target in (env.get("references") or {}).items():
        href = target.get("href", "") if isinstance(target, dict) else ""
        if not _allowed(href, origin):
            problems.append(f"markdown: reference [{ref}] to {href[:120]!r}")

    def walk(toks: list) -> None:
        for tok in toks:
            if tok.type in ("html_inline", "html_block"):
                problems.append(f"markdown: raw HTML {tok.content.strip()[:80]!r}")
            elif tok.type == "link_open":
                href = str(tok.attrs.get("href", ""))
                if not _allowed(href, origin):
                    problems.append(f"markdown: link to {href[:120]!r}")
            elif tok.type == "image":
                problems.append(f"markdown: image {str(tok.attrs.get('src', ''))[:120]!r}")
            elif tok.type == "text":
                for m in AUTOLINK_TEXT.finditer(tok.content):
                    if safe_url(m.group(0).rstrip(".,:;!?*_~'\")"), origin) is None:
                        problems.append(f"markdown: text a viewer would make a link: {m.group(0)[:120]!r}")
            if tok.children:
                walk(tok.children)

    walk(tokens)
    return problems


def check_links(markdown: str, html: str, allowed_origin: str = DEFAULT_WEB_ORIGIN) -> list[str]:
    """Problems with the links of a rendered report pair, empty when every link (Markdown inline links, reference
    definitions, autolinks; HTML ``href``/``src``/... attributes) has the scheme and host of ``allowed_origin`` (or
    is an in-page ``#anchor``), the Markdown holds no raw HTML and no text a viewer would turn into a link, and the
    HTML holds no script, embedded object or event handler."""
    origin = normalize_origin(allowed_origin)
    problems = _markdown_problems(markdown, origin)
    parser = _HTMLLinks(origin)
    parser.feed(html)
    parser.close()
    return problems + parser.problems
