"""The two-minute read (issue 16): highlights first, ranked by an explainable score; CI, tests and docs never
highlighted; merges folded with their commits; links between items backed by data; the HTML for phones."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from infra_digest.models import Change, FileChange, Labels
from infra_digest.report.context import build_context
from infra_digest.report.layout import largest_change, series_prefix, short_title
from infra_digest.report.links import check_links
from infra_digest.report.rank import file_role, rank_day, score_item
from infra_digest.report.relate import relate_day
from infra_digest.report.render import render
from infra_digest.summarize.extractive import summarize_extractive
from infra_digest.watchlist import RepoSpec

D = dt.date(2026, 2, 18)
T = dt.datetime(2026, 2, 18, 3, 4, tzinfo=dt.timezone.utc)
WATCH = (RepoSpec("a/one", "One"), RepoSpec("b/two", "Two"), RepoSpec("c/three", "Three"))
_n = iter(range(1, 10_000))


def _commit(repo, title, files, pr=None, parents=None, sha=None, is_merge=False, author=None, message=None):
    sha = sha or (f"{next(_n):07x}" * 6)[:40]
    add = sum(f[1] for f in files)
    dele = sum(f[2] for f in files)
    return {"repo": repo, "day": D, "sha": sha, "short_sha": sha[:7], "title": title, "pr_number": pr,
            "message": message or title, "url": f"https://github.com/{repo}/commit/{sha}", "author_login": author,
            "author_name": "Dev", "committed_at": T, "files_changed": len(files), "additions": add, "deletions": dele,
            "files": [{"filename": f[0], "status": "modified", "additions": f[1], "deletions": f[2]} for f in files],
            "files_truncated": False, "is_merge": is_merge, "parents": parents or []}


def _issue(repo, n, title, body=None, author="x"):
    return {"repo": repo, "day": D, "number": n, "title": title, "body": body, "url": f"https://github.com/{repo}/issues/{n}",
            "author_login": author, "labels": [], "created_at": T}


def _label(row, ct, kind="commit", **kw):
    item_id = row["sha"] if kind == "commit" else str(row["number"])
    return {"repo": row["repo"], "item_kind": kind, "item_id": item_id, "change_type": ct, "hardware": kw.get("hw", []),
            "precision": kw.get("prec", []), "topics": [], "models": kw.get("models", []), "rules": [],
            "flags": kw.get("flags", [])}


LOG = [{"repo": r.repo, "status": "ok", "source": "replay", "notes": []} for r in WATCH]


def _busy_day():
    """A day with a security fix, a kernel perf change, a crash report seen in two repositories by one person, a
    huge CI change, a huge docs change, a huge test change and small chores."""
    sec = _commit("a/one", "[Core] Fix SSRF bypass in URL parsing (#10)", [("src/net/connector.py", 2, 2)], pr=10)
    perf = _commit("a/one", "[Kernel] Faster FP8 GEMM on Hopper (#11)", [("csrc/gemm/fp8_sm90.cu", 400, 20),
                                                                          ("tests/test_gemm.py", 50, 0)], pr=11)
    ci = _commit("a/one", "[CI] Rewrite the whole pipeline (#12)", [(".buildkite/pipeline.yaml", 5000, 4000)], pr=12)
    docs = _commit("a/one", "Rewrite the docs (#13)", [("docs/guide.md", 9000, 100), ("docs/img/a.svg", 900, 0)], pr=13)
    test = _commit("b/two", "Add many tests (#20)", [("tests/test_all.py", 8000, 0)], pr=20)
    bench = _commit("b/two", "Add benchmark (#21)", [("benchmarks/bench_x.py", 3000, 0)], pr=21)
    fix = _commit("b/two", "Fix NaN on SM120 with NVFP4, fixes #30 (#22)", [("src/fp4/quant.py", 30, 10)], pr=22)
    chore = _commit("c/three", "typo (#40)", [("src/a.py", 1, 1)], pr=40)
    crash1 = _issue("b/two", 30, "NVFP4 models produce NaN on SM120", author="isensez")
    crash2 = _issue("c/three", 41, "mm_fp4 broken on SM120", body="Also see https://github.com/b/two/issues/30",
                    author="isensez")
    commits = [sec, perf, ci, docs, test, bench, fix, chore]
    issues = [crash1, crash2]
    labels = [_label(sec, "fix", flags=["security"]), _label(perf, "perf", hw=["nvidia-hopper"], prec=["fp8"]),
              _label(ci, "ci", flags=["breaking"]), _label(docs, "docs"), _label(test, "test", hw=["amd"]),
              _label(bench, "perf", prec=["fp8"]), _label(fix, "fix", hw=["nvidia-blackwell-rtx"], prec=["fp4"]),
              _label(chore, "other"),
              _label(crash1, "bug", "issue", hw=["nvidia-blackwell-rtx"], prec=["fp4"], flags=["crash"]),
              _label(crash2, "bug", "issue", hw=["nvidia-blackwell-rtx"], prec=["fp4"])]
    return build_context(D, WATCH, commits, [], issues, labels, LOG), {"sec": sec, "perf": perf, "ci": ci, "docs": docs,
                                                                      "test": test, "bench": bench, "fix": fix}


def _render(ctx, lang):
    return render(ctx, summarize_extractive(ctx, lang), lang, generated_at="-", sources_line="-", summarizer_line="-")


def _section(md, heading):
    return md.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("lang,heading", [("zh", "今日要点"), ("en", "Highlights")])
def test_highlights_come_first_with_three_to_eight_bullets(lang, heading):
    ctx, c = _busy_day()
    md, html = _render(ctx, lang)
    first = re.search(r"^## (.+)$", md, re.M).group(1)
    assert first == heading
    bullets = [ln for ln in _section(md, heading).splitlines() if ln.startswith("- ")]
    assert 3 <= len(bullets) <= 8, bullets
    assert all("](https://github.com/" in b for b in bullets)  # every bullet has its links
    joined = "\n".join(bullets)
    for k in ("ci", "docs", "test", "bench"):  # huge, but CI/docs/tests/benchmarks never make the highlights
        assert c[k]["short_sha"] not in joined, k
    assert c["sec"]["short_sha"] in joined and c["perf"]["short_sha"] in joined
    # the same failure in two repositories is one bullet, the other folded into it
    crash = next(b for b in bullets if "#30" in b or "#41" in b)
    assert "#30" in crash and "three #41" in crash.replace("[", "").replace("]", "") or "two #30" in crash.replace("[", "").replace("]", "")
    assert sum(1 for b in bullets if "issues/30" in b or "issues/41" in b) == 1
    assert "&amp;" not in md and check_links(md, html) == []


def test_reasons_are_kept_and_the_order_explained():
    ctx, c = _busy_day()
    ranking = rank_day(ctx, relate_day(ctx))
    stats = ranking.as_stats()
    first = stats["highlights"][0]
    assert first["reasons"] and all(re.fullmatch(r"[\w:/.-]+[+-]\d+", r) for r in first["reasons"])
    ci_score = ranking.score(next(ch for ch in ctx.repos[0].changes if ch.sha == c["ci"]["sha"]))
    assert not ci_score.eligible and "not-highlighted:type:ci" in ci_score.reasons
    bench_score = ranking.score(next(ch for ch in ctx.repos[1].changes if ch.sha == c["bench"]["sha"]))
    assert not bench_score.eligible  # typed perf, but only a benchmark file
    assert stats["repo_order"][0] in ("a/one", "b/two")


def _change(ct="fix", files=(("src/a.py", 10, 0),), flags=(), hw=(), prec=(), models=()):
    fc = tuple(FileChange(f, "modified", a, d) for f, a, d in files)
    return Change(repo="a/one", id="x", url="https://github.com/a/one/commit/x", title="t", author=None,
                  author_is_login=False, labels=Labels(ct, tuple(hw), tuple(prec), (), tuple(models), (), tuple(flags)),
                  sha="x" * 40, short_sha="xxxxxxx", files=fc, files_changed=len(fc),
                  additions=sum(f.additions for f in fc), deletions=sum(f.deletions for f in fc))


# (name, higher, lower): the first must score above the second
ORDER = [
    ("security beats a big feature", _change("fix", flags=["security"]), _change("feature", (("src/a.py", 2000, 0),))),
    ("crash beats a plain fix", _change("fix", flags=["crash"]), _change("fix")),
    ("hardware+precision beat untagged", _change("fix", hw=["amd"], prec=["fp8"]), _change("fix")),
    ("kernel sources count", _change("perf", (("csrc/x.cu", 10, 0),)), _change("perf", (("src/x.py", 10, 0),))),
    ("real code size counts", _change("feature", (("src/a.py", 500, 0),)), _change("feature", (("src/a.py", 5, 0),))),
    ("test lines are not real code", _change("feature", (("src/a.py", 50, 0),)),
     _change("feature", (("src/a.py", 5, 0), ("tests/test_a.py", 5000, 0)))),
    ("perf beats refactor", _change("perf"), _change("refactor")),
]


@pytest.mark.parametrize("name,higher,lower", ORDER, ids=[o[0] for o in ORDER])
def test_ranking_order(name, higher, lower):
    assert score_item(higher).points > score_item(lower).points, (score_item(higher), score_item(lower))


@pytest.mark.parametrize("ct,files,eligible", [
    ("ci", ((".github/workflows/ci.yml", 9000, 0),), False),
    ("test", (("tests/test_x.py", 9000, 0),), False),
    ("docs", (("docs/x.md", 9000, 0),), False),
    ("feature", (("docs/x.md", 9000, 0), ("tests/test_y.py", 10, 0)), False),  # mislabelled, files tell
    ("perf", (("benchmarks/bench_x.py", 9000, 0),), False),
    ("build", (("uv.lock", 9000, 0),), False),
    ("feature", (("src/x.py", 10, 0), ("tests/test_x.py", 9000, 0)), True),
])
def test_ci_tests_docs_bench_generated_are_never_highlights(ct, files, eligible):
    assert score_item(_change(ct, files, flags=["crash"])).eligible is eligible


@pytest.mark.parametrize("path,role", [("csrc/a.cu", "source"), ("tests/x.py", "test"), (".buildkite/a.yaml", "ci"),
                                       ("docs/a.md", "docs"), ("benchmarks/a.py", "bench"), ("a_pb2.py", "generated"),
                                       ("vllm/model_executor/x.py", "source"), ("test/registered/t.py", "test")])
def test_file_roles(path, role):
    assert file_role(path) == role


def test_a_quiet_day_says_so_and_invents_nothing():
    one = _commit("a/one", "Bump to 4.4.0 cute dsl pin (#5)", [("pyproject.toml", 1, 1)], pr=5)
    ctx = build_context(D, WATCH, [one], [], [], [_label(one, "build")], LOG)
    for lang, heading, note in (("zh", "今日要点", "今日没有值得列为要点"), ("en", "Highlights", "Nothing of the day")):
        md, _ = _render(ctx, lang)
        section = _section(md, heading)
        assert note in section and not [ln for ln in section.splitlines() if ln.startswith("- ")]
        assert one["short_sha"] in md  # still in the body
    feat = _commit("a/one", "Add FP8 kernels (#6)", [("csrc/fp8.cu", 300, 0)], pr=6)
    ctx = build_context(D, WATCH, [one, feat], [], [], [_label(one, "build"), _label(feat, "feature", prec=["fp8"])], LOG)
    md, _ = _render(ctx, "en")
    section = _section(md, "Highlights")
    assert len([ln for ln in section.splitlines() if ln.startswith("- ")]) == 1
    assert "Only 1 item of the day is worth a highlight." in section


def test_merges_are_folded_with_the_commits_they_bring():
    base = _commit("c/three", "main work", [("src/m.py", 6, 6)], sha="b" * 40)
    brought = _commit("c/three", "add comment", [("src/x.py", 1, 0)], sha="c" * 40, parents=["b" * 40])
    lint = _commit("c/three", "lint", [("src/x.py", 2, 2)], sha="d" * 40, parents=["c" * 40])
    merge = _commit("c/three", "Merge branch 'feat' into 'main'", [("src/x.py", 3, 2)], sha="e" * 40,
                    parents=["b" * 40, "d" * 40], is_merge=True)
    single = _commit("c/three", "Fix a bug in the scheduler", [("src/s.py", 6, 6)], sha="f" * 40, parents=["a" * 40])
    gitlab = _commit("c/three", "Merge branch 'fix' into 'main'", [("src/s.py", 6, 6)], sha="9" * 40,
                     parents=["e" * 40, "f" * 40], is_merge=True)
    rows = [gitlab, merge, single, lint, brought, base]
    ctx = build_context(D, WATCH, rows, [], [], [], LOG)
    three = ctx.repos[2]
    assert three.counts.changes == 3 and three.counts.commits == 6  # commits still counted as commits
    by_sha = {c.sha: c for c in three.changes}
    assert [m.sha for m in by_sha["e" * 40].merged] == ["d" * 40, "c" * 40]
    assert [m.sha for m in by_sha["9" * 40].merged] == ["f" * 40] and by_sha["9" * 40].shown.title == "Fix a bug in the scheduler"
    assert largest_change(three.changes) is None  # 6+6 twice: a tie names nothing, a merge is never named
    for lang in ("zh", "en"):
        md, _ = _render(ctx, lang)
        for sha in "bcdef9":
            assert sha * 7 in md
        assert md.count("Fix a bug in the scheduler") == 1 and "Merge branch 'fix'" not in md
        line = next(ln for ln in md.splitlines() if "e" * 7 in ln)
        assert "c" * 7 in line and "d" * 7 in line  # the merge's commits are shown on its line
        assert "改动最大" not in md and "The largest" not in md


def test_links_between_items_are_backed_by_data():
    fix = _commit("a/one", "Fix the router (#12)", [("src/r.py", 3, 1)], pr=12,
                  message="Fix the router (#12)\n\nFixes #30. See b/two#31 and https://github.com/b/two/pull/999; also #5555.")
    other = _commit("b/two", "Unrelated (#40)", [("src/u.py", 1, 1)], pr=40, author="someone")
    issue30 = _issue("a/one", 30, "router broken", author="alice")
    issue31 = _issue("b/two", 31, "same thing here", author="alice")
    ctx = build_context(D, WATCH, [fix, other], [], [issue30, issue31],
                        [_label(fix, "fix"), _label(other, "other"), _label(issue30, "bug", "issue"), _label(issue31, "bug", "issue")], LOG)
    links = relate_day(ctx, ["a/one", "b/two", "c/three"])
    fix_links = {(lk.kind, lk.label, lk.url) for lk in links[("a/one", "commit", fix["sha"])]}
    assert ("fixes", "#30", None) in fix_links and ("mentions", "two #31", None) in fix_links
    assert ("mentions", "two #999", "https://github.com/b/two/pull/999") in fix_links  # a watched repo's URL
    assert not any("5555" in lk[1] for lk in fix_links)  # "#5555" is not in the day: no link
    assert ("fixed-by", "#12", None) in {(lk.kind, lk.label, lk.url) for lk in links[("a/one", "issue", "30")]}
    assert any(lk.kind == "same-author" and lk.label == "two #31" for lk in links[("a/one", "issue", "30")])
    assert ("b/two", "commit", other["sha"]) not in links
    md, html = _render(ctx, "en")
    assert "fixes [#30](https://github.com/a/one/issues/30)" in md
    assert "[two #999](https://github.com/b/two/pull/999)" in md
    assert check_links(md, html) == []
    # a URL of a repository we do not watch is not a link
    links = relate_day(ctx, ["a/one"])
    assert not any(lk.url for lk in links[("a/one", "commit", fix["sha"])])


def test_series_and_titles():
    assert series_prefix("[Model Runner V2] Minor cleanup") == "Model Runner V2"
    assert series_prefix("[Bugfix] x") is None and series_prefix("[2/N] x") is None
    assert series_prefix("[Bugfix][Model Runner V2] x") == "Model Runner V2"
    assert short_title("[Bugfix] Fix x") == "Fix x" and short_title("fix: crash") == "crash"
    assert short_title("[Model Runner V2] Minor", drop="Model Runner V2") == "Minor"
    rows = [_commit("a/one", f"[Model Runner V2] step {i} (#{100 + i})", [("src/mr.py", i, 0)], pr=100 + i) for i in range(1, 6)]
    ctx = build_context(D, WATCH, rows, [], [], [_label(r, "refactor") for r in rows], LOG)
    md, _ = _render(ctx, "en")
    assert "**`[Model Runner V2]` ×5**" in md and "] step 3" not in md and " step 3 " in md


def test_html_is_for_phones_and_mail():
    ctx, _ = _busy_day()
    _, html = _render(ctx, "zh")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'class="toc"' in html and 'href="#repo-a-one"' in html and 'id="repo-a-one"' in html
    assert "overflow-wrap:anywhere" in html and "Noto Sans CJK SC" in html and "sans-serif" in html
    assert 'class="tag flag"' in html and 'class="tag hw"' in html and "<details>" in html
    assert "&amp;amp;" not in html


def test_summary_states_facts_and_a_model_paragraph_stands_beside_them():
    from infra_digest.models import DaySummary, Text

    ctx, _ = _busy_day()
    ext = summarize_extractive(ctx, "en")
    model = DaySummary(items=ext.items, repos=ext.repos, summary=Text("The model's view of the day.", "llm:m"),
                       overview=Text("- A model theme.", "llm:m"))
    md, _ = render(ctx, model, "en", generated_at="-", sources_line="-", summarizer_line="LLM (m)")
    summary = _section(md, "Summary of the day")
    assert "watched repositories were active" in summary and "The model's view of the day." in summary
    assert "To note: 1 security fix." in summary and "2 bug reports (1 about a crash)" in summary  # the CI change's flag is not news
    assert "- A model theme." in md and "sections fell back" not in md


def test_page_renders_in_chromium_without_errors_or_overflow(tmp_path):
    from infra_digest_tests.fakes.browser import Browser, chromium_path

    if not chromium_path():
        pytest.skip("chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    ctx, _ = _busy_day()
    _, html = _render(ctx, "zh")
    page_file = tmp_path / "day.zh.html"
    page_file.write_text(html, encoding="utf-8")
    browser = Browser()
    try:
        for width in (1280, 400):
            page = browser.open(page_file.as_uri(), width=width, height=900)
            assert page.problems() == []
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (width, overflow)
            assert page.evaluate("document.querySelectorAll('.highlights li').length") >= 3
            page.close()
    finally:
        browser.close()


def test_a_revert_is_linked_to_what_it_reverts_and_folded_into_its_highlight():
    fix = _commit("a/one", "[AMD] Fix RotaryEmbedding crash on ROCm (#18903)", [("src/rope.py", 13, 0)], pr=18903)
    rev = _commit("a/one", 'Revert "[AMD] Fix RotaryEmbedding crash on ROCm (#18903)" (#18922)', [("src/rope.py", 0, 13)],
                  pr=18922)
    ctx = build_context(D, WATCH, [rev, fix], [], [], [_label(fix, "fix", hw=["amd"], flags=["crash"]),
                                                         _label(rev, "revert", hw=["amd"], flags=["crash"])], LOG)
    links = relate_day(ctx)
    assert [(lk.kind, lk.label) for lk in links[("a/one", "commit", rev["sha"])]] == [("reverts", "#18903")]
    assert [(lk.kind, lk.label) for lk in links[("a/one", "commit", fix["sha"])]] == [("reverted-by", "#18922")]
    md, _ = _render(ctx, "en")
    bullets = [ln for ln in _section(md, "Highlights").splitlines() if ln.startswith("- ")]
    assert len(bullets) == 1 and "#18903" in bullets[0] and "#18922" in bullets[0]


def test_identifiers_with_a_star_are_code_not_escapes():
    from infra_digest.report.render import md_escape

    assert md_escape("Fix overflow in stride*offset") == "Fix overflow in `stride*offset`"
    assert md_escape("a * b **bold**") == "a \\* b \\*\\*bold\\*\\*"


def test_a_huge_hostile_day_stays_bounded():
    issues = [_issue(r.repo, n, f"NaN on SM120 #{n + 1} fixes #{n - 1}", body="#1 " * 5000, author="same")
              for r in WATCH for n in range(1, 400)]
    labels = [_label(i, "bug", "issue", hw=["nvidia-blackwell-rtx"], prec=["fp4"], flags=["crash"]) for i in issues]
    ctx = build_context(D, WATCH, [], [], issues, labels, LOG)
    links = relate_day(ctx)
    assert all(len(v) <= 4 for v in links.values())
    ranking = rank_day(ctx, links)
    assert 3 <= len(ranking.highlights) <= 8
    md, html = _render(ctx, "en")
    assert check_links(md, html) == [] and md.count("\n- ") >= len(issues)


def test_the_header_names_the_model_but_not_how_many_sections_fell_back():
    from infra_digest.report.build import _summarizer_line

    sections = [{"section": "summary", "summarizer": "llm:m", "fallback_reason": None},
                {"section": "repo", "summarizer": "extractive", "fallback_reason": "validation: invented number"}]
    for lang in ("zh", "en"):
        name, line = _summarizer_line(lang, sections, [])
        assert name == "llm:m" and "m" in line and "1" not in line and "fell back" not in line and "改用" not in line
    failed = [{"section": "summary", "summarizer": "extractive", "fallback_reason": "model error: HTTP 401"}]
    assert "HTTP 401" in _summarizer_line("en", failed, [])[1] and "失败" in _summarizer_line("zh", failed, [])[1]
