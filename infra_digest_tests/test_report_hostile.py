"""Hostile data in the report: links only into the GitHub web origin, no way out of Markdown syntax, no raw HTML
in the Markdown, no invisible or control characters in either report (issue 14, items 3 and 4)."""

from __future__ import annotations

import datetime as dt

import pytest
from markdown_it import MarkdownIt

from infra_digest.report.context import build_context
from infra_digest.report.links import check_links, safe_url
from infra_digest.report.render import render
from infra_digest.summarize.extractive import summarize_extractive
from infra_digest.text import clean_text, has_invisible
from infra_digest.watchlist import RepoSpec

D = dt.date(2026, 2, 18)
T = dt.datetime(2026, 2, 18, 3, 4, tzinfo=dt.timezone.utc)
WATCH = (RepoSpec("a/one", "One"),)
BREAKOUT = "https://evil.example/phish) [Login](javascript:alert(1))"
INVISIBLE = "\u202e\u2066\u200b\u200d\ufeff\x00\x07\x1b[31m\x9b\U000e0041"


def _rows(url_commit=BREAKOUT, url_issue="javascript:alert(1)", url_pr="https://github.com.evil.example/a/one/pull/7"):
    sha = "a" * 40
    commits = [{"repo": "a/one", "day": D, "sha": sha, "short_sha": sha[:7], "pr_number": 7, "url": url_commit,
                "title": f"fix: see {BREAKOUT} and www.evil-example.com or mail admin@evil.example{INVISIBLE} (#7)",
                "author_login": None, "author_name": f"Eve{INVISIBLE} <img src=x onerror=alert(2)>",
                "committed_at": T, "files_changed": 1, "additions": 1, "deletions": 1, "is_merge": False, "files_truncated": False,
                "files": [{"filename": f"a{INVISIBLE}.py`](javascript:x)", "status": "<img src=x onerror=alert(3)>",
                           "additions": "<b>1</b>", "deletions": 0}]}]
    prs = [{"repo": "a/one", "day": D, "number": 7, "url": url_pr, "title": "t", "body": None, "author_login": "eve",
            "labels": [], "created_at": T, "merged_at": T, "opened_in_day": True, "merged_in_day": True}]
    issues = [{"repo": "a/one", "day": D, "number": 8, "url": url_issue, "title": f"crash{INVISIBLE} <script>alert(4)</script>",
               "author_login": f"eve{INVISIBLE}", "labels": [], "created_at": T,
               "body": f"Steps: open {BREAKOUT} then ftp://evil.example/x {INVISIBLE} and <img src=x onerror=alert(5)>."}]
    log = [{"repo": "a/one", "status": "ok", "source": "replay", "notes": []}]
    return build_context(D, WATCH, commits, prs, issues, [], log)


def _links(markdown: str) -> list[str]:
    out = []

    def walk(tokens):
        for tok in tokens:
            if tok.type == "link_open":
                out.append(tok.attrs["href"])
            walk(tok.children or [])

    walk(MarkdownIt("commonmark").parse(markdown))
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_only_the_github_origin_becomes_a_link(lang):
    ctx = _rows()
    md, html = render(ctx, summarize_extractive(ctx, lang), lang, generated_at="-", sources_line="-", summarizer_line="-")
    assert check_links(md, html) == []
    links = _links(md)
    assert links and all(u.startswith("https://github.com/") for u in links), links
    assert "javascript:" not in "".join(links) and "evil" not in "".join(links)
    assert 'href="javascript' not in html and "evil.example/phish" not in " ".join(
        a.split('"')[1] for a in html.split("href=")[1:])
    # raw HTML never reaches the Markdown; in the HTML it is escaped
    assert "<img" not in md and "<script" not in md and "<b>" not in md
    assert "<img" not in html and "<script>alert" not in html and "&lt;img src=x onerror=alert(3)&gt;" in html
    # untrusted URL-like text is shown, as code, never as a link
    assert "`https://evil.example/phish`" in md and "`www.evil-example.com`" in md and "`admin@evil.example`" in md


def test_an_enterprise_origin_is_the_only_link_target():
    sha = "a" * 40
    ctx = _rows(url_commit=f"https://github.example.com/a/one/commit/{sha}", url_issue="https://github.com/a/one/issues/8")
    md, html = render(ctx, summarize_extractive(ctx, "en"), "en", generated_at="-", sources_line="-", summarizer_line="-",
                      web_origin="https://github.example.com/")
    assert f"https://github.example.com/a/one/commit/{sha}" in _links(md)
    assert all(u.startswith("https://github.example.com/") for u in _links(md))
    assert check_links(md, html, "https://github.example.com") == []
    assert check_links(md, html) != []  # against github.com the Enterprise links are foreign


@pytest.mark.parametrize("url,ok", [
    ("https://github.com/a/b/pull/1", True),
    ("https://GitHub.com/a/b/issues/2#issuecomment-3", True),
    ("http://github.com/a/b", False),
    ("https://github.com.evil.example/a", False),
    ("https://evil.example/github.com/a", False),
    ("https://user@github.com/a", False),
    ("https://github.com:8443/a", False),
    ("https://github.com/a) [x](javascript:alert(1))", False),
    ("https://github.com/a/<script>", False),
    ("javascript:alert(1)", False),
    ("//github.com/a", False),
    ("", False),
    (None, False),
])
def test_safe_url(url, ok):
    assert (safe_url(url) is not None) is ok


def test_check_links_finds_every_kind_of_foreign_link():
    md = ("# r\n\n- [x](javascript:alert(1))\n- <https://evil.example/a>\n- see www.evil.example now\n- mail a@evil.example\n"
          "- [ok](https://github.com/a/b)\n- `https://in.code/is/text`\n- ![i](https://github.com/a.png)\n- <img src=x>\n\n"
          "[ref]: https://evil.example/r\n")
    html = ('<a href="https://github.com/a">ok</a><a href="javascript:alert(1)">x</a><a href="#top">in page</a>'
            '<img src="https://github.com/x.png"><p onclick="x()">p</p><a href="https://evil.example">e</a>')
    problems = check_links(md, html)
    text = "\n".join(problems)
    for needle in ("javascript:alert(1)", "https://evil.example/a", "www.evil.example", "a@evil.example", "image",
                   "raw HTML", "https://evil.example/r", "<img> element", "onclick", "'https://evil.example'"):
        assert needle in text, (needle, problems)
    assert "github.com/a/b" not in text and "in.code" not in text and "#top" not in text
    assert check_links("[ok](https://github.com/a/b) and #12", '<a href="https://github.com/a/b">ok</a>') == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_invisible_or_control_character_reaches_a_report(lang):
    ctx = _rows()
    ext = summarize_extractive(ctx, lang)
    md, html = render(ctx, ext, lang, generated_at="-", sources_line="-", summarizer_line=f"x{INVISIBLE}")
    for report in (md, html):
        assert not has_invisible(report), [hex(ord(c)) for c in report if has_invisible(c)][:10]
        assert "\x1b" not in report and "\u202e" not in report and "\x00" not in report
    assert "crash" in md and "Eve" in md  # the visible text stays


def test_clean_text_removes_or_shows():
    s = f"a{INVISIBLE}b\nc\td"
    assert clean_text(s) == "a[31mb\nc\td"
    shown = clean_text("x\u202ey\x1b", mode="visible")
    assert shown == "x⟨U+202E⟩y⟨U+001B⟩"
    assert clean_text("a\r\nb\u2028c", keep_newlines=False) == "a b c"
    assert clean_text("e\u0301") == "é"  # NFC
    assert clean_text("\ud800x") == "x"  # a lone surrogate
    assert clean_text("x" * 1_000_000 + "\u202e") == "x" * 1_000_000
