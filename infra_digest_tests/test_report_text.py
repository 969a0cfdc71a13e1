"""Clean text and right counts (issue 16, items 4 and 5): no HTML character references but "&lt;" in the Markdown,
identifiers in code spans, no "unknown" fields, file statuses in Chinese in the zh report, English plurals,
merged PRs counted from squash commits, "not recorded" is not 0, a capped list says how many more."""

from __future__ import annotations

import datetime as dt

import pytest

from infra_digest.report.context import build_context, recorded_kinds
from infra_digest.report.render import render
from infra_digest.summarize.extractive import overview, summarize_extractive
from infra_digest.watchlist import RepoSpec

D = dt.date(2026, 2, 18)
T = dt.datetime(2026, 2, 18, 3, 4, tzinfo=dt.timezone.utc)
WATCH = (RepoSpec("a/one", "One"), RepoSpec("b/two", "Two"))


def _commit(repo, n, title, pr=None, files=None):
    sha = f"{n:040x}"
    files = files if files is not None else [{"filename": "src/a_b.py", "status": "modified", "additions": 2, "deletions": 1}]
    return {"repo": repo, "day": D, "sha": sha, "short_sha": sha[:7], "title": title, "pr_number": pr,
            "url": f"https://github.com/{repo}/commit/{sha}", "author_login": None, "author_name": None, "committed_at": T,
            "files_changed": len(files), "additions": 2, "deletions": 1, "files": files, "files_truncated": False, "is_merge": False}


def _label(repo, kind, item_id, ct, **tags):
    return {"repo": repo, "item_kind": kind, "item_id": str(item_id), "change_type": ct, "hardware": tags.get("hw", []),
            "precision": tags.get("prec", []), "topics": [], "models": [], "rules": []}


def _ctx(log=None):
    commits = [
        _commit("a/one", 1, "[Build] bump deps & fix piecewise test_add_rmsnorm (#10)", pr=10, files=[
            {"filename": "a.py", "status": "added", "additions": 1, "deletions": 0},
            {"filename": "b.py", "status": "removed", "additions": 0, "deletions": 1},
            {"filename": "c.py", "status": "renamed", "previous_filename": "d.py", "additions": 0, "deletions": 0}]),
        _commit("a/one", 2, "fix: one file (#11)", pr=11),
        _commit("a/one", 3, "direct push without a PR"),
    ]
    issues = [{"repo": "b/two", "day": D, "number": 5, "url": "https://github.com/b/two/issues/5", "title": None, "body": None,
               "author_login": None, "labels": [], "created_at": None}]
    labels = [_label("a/one", "commit", c["sha"], "build") for c in commits[:1]] + [_label("a/one", "commit", commits[1]["sha"], "fix")]
    log = log if log is not None else [{"repo": "a/one", "status": "ok", "source": "replay", "notes": []},
                                       {"repo": "b/two", "status": "ok", "source": "replay", "notes": []}]
    return build_context(D, WATCH, commits, [], issues, labels, log)


def _render(ctx, lang):
    return render(ctx, summarize_extractive(ctx, lang), lang, generated_at="-", sources_line="-", summarizer_line="-")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_clean_markdown(lang):
    md, html = _render(_ctx(), lang)
    assert "&amp;" not in md and "& fix" in md
    assert "`test_add_rmsnorm`" in md and "\\_" not in md and "\\[" not in md and "[Build] bump deps" in md
    assert "unknown" not in md and "未知" not in md and "unknown" not in html and "未知" not in html
    assert "[#5](https://github.com/b/two/issues/5)\n" in md  # the issue line names no missing field
    if lang == "zh":
        assert "（新增）" in md and "（删除）" in md and "（重命名）" in md and "added" not in md and "removed" not in md
        assert "（新增）" in html
    else:
        assert "(added)" in md and "3 files" in md and "1 file +" in md and "file(s)" not in md


def test_english_reads_as_sentences():
    ctx = _ctx()
    ext = summarize_extractive(ctx, "en")
    assert ext.repos["a/one"].text.startswith("3 code changes (1 fix, 1 build or dependency change, 1 other change).")
    assert ext.repos["b/two"].text.startswith("1 new issue (1 other issue).")
    assert "with 3 code changes" in ext.summary.text and "1 new issue and 0 new PRs" in ext.summary.text
    md, _ = _render(ctx, "en")
    assert "2 repositories (2 active): 3 commits, 2 merged PRs, 0 new PRs, 1 new issue" in md


def test_merged_prs_are_counted_from_squash_commits():
    ctx = _ctx()
    assert ctx.repos[0].counts.merged_prs == 2 and ctx.totals.merged_prs == 2
    zh, _ = _render(ctx, "zh")
    assert "合并 PR 2 个" in zh


def test_not_recorded_is_not_zero():
    log = [{"repo": "a/one", "status": "ok", "source": "git", "notes": [], "stats": {"recorded": ["commits"]}},
           {"repo": "b/two", "status": "ok", "source": "git", "notes": [], "recorded": ["commits"]}]
    assert recorded_kinds(log[0]) == {"commits"} and recorded_kinds({"stats": {}}) is None
    ctx = build_context(D, WATCH, [_commit("a/one", 1, "x")], [], [], [], log)
    assert ctx.repos[0].counts.issues is None and ctx.totals.issues is None and ctx.totals.new_prs is None
    assert ctx.totals.commits == 1
    zh, _ = _render(ctx, "zh")
    en, _ = _render(ctx, "en")
    assert "新 issue 未记录" in zh and "新 issue 0" not in zh
    assert "new issues not recorded" in en and "0 new issues" not in en
    # a source that says nothing keeps counting 0 as 0
    assert _ctx().repos[0].counts.issues == 0


def test_a_capped_list_says_how_many_more():
    issues = [{"repo": r, "day": D, "number": n, "url": f"https://github.com/{r}/issues/{n}", "title": "t", "body": None,
               "author_login": f"u{n}", "labels": [], "created_at": T} for r in ("a/one", "b/two") for n in range(1, 6)]
    labels = [_label(i["repo"], "issue", i["number"], "bug", hw=["amd"]) for i in issues]
    ctx = build_context(D, WATCH, [], [], issues, labels, [])
    assert "AMD ROCm: 10 items in 2 repositories (" in overview(ctx, "en") and "and 6 more)." in overview(ctx, "en")
    assert "等，另有 6 项）" in overview(ctx, "zh")


def test_excerpts_begin_with_prose_and_add_to_the_title():
    from infra_digest.summarize.extractive import excerpt

    assert excerpt("resolved", title="resolved") is None
    assert excerpt("Resolved.", title="[Bug] resolved") is None
    assert excerpt("Summary: Add sm87 to the architectures.") == "Add sm87 to the architectures."
    assert excerpt("- Remove the decorators from routerGemm.\n- Keep the rest.").startswith("Remove the decorators")
    assert excerpt("The kernel crashes on SM120.", title="Crash") == "The kernel crashes on SM120."


def test_topics_are_named_in_the_report_language():
    issues = [{"repo": r, "day": D, "number": 1, "url": f"https://github.com/{r}/issues/1", "title": "t", "body": None,
               "author_login": None, "labels": [], "created_at": T} for r in ("a/one", "b/two")]
    labels = [{**_label(i["repo"], "issue", 1, "bug"), "topics": ["speculative"]} for i in issues]
    ctx = build_context(D, WATCH, [], [], issues, labels, [])
    assert overview(ctx, "zh").startswith("- 投机解码：出现在 2 个仓库")
    assert overview(ctx, "en").startswith("- speculative decoding: 2 items in 2 repositories")


def test_html_tags_are_distinct_by_family():
    labels = [{**_label("a/one", "commit", f"{1:040x}", "fix", hw=["nvidia-hopper"], prec=["fp8"]), "models": ["deepseek"]}]
    ctx = build_context(D, WATCH, [_commit("a/one", 1, "x")], [], [], labels, [])
    _, html = _render(ctx, "en")
    assert '<span class="tag hw">Hopper (SM90)</span> <span class="tag prec">FP8</span> <span class="tag model">DeepSeek</span>' in html
