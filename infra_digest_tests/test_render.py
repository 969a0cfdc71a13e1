"""Rendering: untrusted text never becomes markup; the extractive texts state only what the data holds."""

from __future__ import annotations

import datetime as dt

from infra_digest.report.context import build_context
from infra_digest.report.render import html_prose, md_escape, md_prose, render
from infra_digest.summarize.extractive import excerpt, summarize_extractive
from infra_digest.watchlist import RepoSpec

WATCH = (RepoSpec("a/one", "One"), RepoSpec("b/two", "Two"))
D = dt.date(2026, 2, 18)
T = dt.datetime(2026, 2, 18, 3, 4, tzinfo=dt.timezone.utc)


def _issue(repo, n, title, body, author="x"):
    return {"repo": repo, "day": D, "number": n, "title": title, "body": body, "url": f"https://github.com/{repo}/issues/{n}",
            "author_login": author, "state": "open", "labels": [], "created_at": T, "comments": None, "source": "replay"}


def _change(repo, n, ct, hw=(), prec=()):
    return {"repo": repo, "day": D, "item_kind": "issue", "item_id": str(n), "change_type": ct, "hardware": list(hw),
            "precision": list(prec), "topics": [], "models": [], "rules": []}


def _inline_tokens(markdown):
    from markdown_it import MarkdownIt

    out = []
    for block in MarkdownIt("commonmark").enable(["strikethrough"]).parse(markdown):
        out += [tok.type for tok in block.children or []]
    return out


def test_md_escape_neutralises_markup_and_links():
    s = md_escape("<img src=x onerror=alert(1)> [click](javascript:alert(1)) **bold** `code`\nnext")
    assert "<" not in s and "](" not in s.replace("\\](", "") and "\n" not in s
    assert "[click\\](" in s and "\\*\\*bold\\*\\*" in s and "`code`" in s
    tokens = _inline_tokens(s)
    assert not {"html_inline", "link_open", "strong_open", "em_open", "image"} & set(tokens), tokens
    # identifiers in code spans, "&" as it is, no HTML character reference but for "<"
    assert md_escape("Fix test_add_rmsnorm & piecewise [Bug]") == "Fix `test_add_rmsnorm` & piecewise [Bug]"
    assert "&amp;" not in md_prose("Build & dependencies") and "`<b>`" not in md_prose("<b>") and "&lt;b" in md_prose("<b>")
    assert "[x\\](y)" in md_prose("[x](y)")
    assert str(html_prose("- a `b` <i>\n- c")) == "<ul>\n<li>a <code>b</code> &lt;i&gt;</li>\n<li>c</li>\n</ul>"


def test_excerpt_keeps_prose_drops_code_and_templates():
    body = "### Your current environment\n```\npip list\n```\n- [x] I searched\nThe kernel crashes on SM120. It works on H100. " + "x" * 300
    assert excerpt(body) == "The kernel crashes on SM120. It works on H100."
    assert excerpt(None) is None and excerpt("```only code```") is None
    long = excerpt("word " * 100)
    assert len(long) <= 161 and long.endswith("…")


def test_context_render_and_extractive_sections():
    issues = [_issue("a/one", 1, "SM120 NVFP4 NaN <script>", "Broken on SM120.", author="same"),
              _issue("b/two", 2, "NaN on SM120 too", "Also broken.", author="same")]
    changes = [_change("a/one", 1, "bug", ["nvidia-blackwell-rtx"], ["fp4"]), _change("b/two", 2, "bug", ["nvidia-blackwell-rtx"], ["fp4"])]
    log = [{"repo": "a/one", "status": "ok", "source": "replay", "notes": [], "error": None},
           {"repo": "b/two", "status": "failed", "source": "replay", "notes": [], "error": "b/two: 404 <b>"}]
    ctx = build_context(D, WATCH, [], [], issues, changes, log)
    assert [r.status for r in ctx.repos] == ["active", "failed"]
    ext = summarize_extractive(ctx, "en")
    assert "Blackwell RTX/SM120: 2 items in 2 repositories" in ext.overview.text
    assert "same" in ext.overview.text  # same author in two repositories
    assert "could not be read" in ext.summary.text
    before = repr(ctx)
    md, html = render(ctx, ext, "en", generated_at="now", sources_line="replay", summarizer_line="extractive")
    assert repr(ctx) == before  # rendering changes nothing
    assert "<script>" not in md and "<script>" not in html and "<b>" not in html and "&lt;b&gt;" in html
    assert "Data could not be read" in md and "[#2](https://github.com/b/two/issues/2)" in md
    zh_md, _ = render(ctx, summarize_extractive(ctx, "zh"), "zh", generated_at="now", sources_line="replay",
                      summarizer_line="extractive")
    assert "数据读取失败" in zh_md and "Data could not be read" not in zh_md
