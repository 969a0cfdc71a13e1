"""Beyond commits in the report (issue 17.1-17.4), end to end on a small synthetic replay: the replay source (and
the fake GitHub server), the core derivation plus ``derive_extra`` written the way the ingest stage writes its
tables, then the report as ``report.daily`` holds it, and the shipped queries over the same history."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import duckdb
import pytest

from infra_digest.derive.extra import EXTRA_TABLES, derive_extra
from infra_digest.pipeline.ingest import CORE_TABLES, PartitionKey, classify_rows, collect, derive_core_rows
from infra_digest.report.build import build_report
from infra_digest.sources.github import GitHubClient, GitHubConfig, GitHubSource
from infra_digest.sources.replay import ReplaySource
from infra_digest.storage.db import apply_ddl
from infra_digest.storage.writes import replace_partitions
from infra_digest.transform import derive_core
from infra_digest.watchlist import RepoSpec
from infra_digest_tests.fakes import serve_replay

D = dt.date(2026, 3, 10)
HISTORY = D - dt.timedelta(days=20)
WEEK_AGO = D - dt.timedelta(days=7)
KERNELS, OTHER, QUIET = RepoSpec("acme/kernels", "Kernels"), RepoSpec("acme/other", "Other"), RepoSpec("acme/quiet", "Quiet")
SPECS = [KERNELS, OTHER, QUIET]
NOW = dt.datetime(2026, 3, 11, 6, 0, tzinfo=dt.timezone.utc)
QUERIES = Path(__file__).resolve().parents[1] / "sql" / "queries"


def sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def commit(repo: str, title: str, when: str, login: str, body: str = "", files=(("csrc/nvfp4_sm120.cu", 40, 5),)) -> dict:
    s = sha(repo + title + when)
    return {"sha": s, "commit": {"author": {"name": login.title(), "email": f"{login}@x.org", "date": when},
                                 "committer": {"name": "GitHub", "email": "noreply@github.com", "date": when},
                                 "message": title + ("\n\n" + body if body else "")},
            "html_url": f"https://github.com/{repo}/commit/{s}", "author": {"login": login},
            "committer": {"login": "web-flow"}, "parents": [{"sha": sha("parent" + s)}],
            "stats": {"total": sum(a + d for _, a, d in files), "additions": sum(a for _, a, _ in files),
                      "deletions": sum(d for _, _, d in files)},
            "files": [{"filename": f, "status": "modified", "additions": a, "deletions": d, "changes": a + d} for f, a, d in files]}


def release(tag: str, published: str | None, **kw) -> dict:
    return {"tag_name": tag, "name": kw.pop("name", tag), "draft": False, "prerelease": False, "created_at": published or "2026-03-09T00:00:00Z",
            "published_at": published, "html_url": f"https://evil.example/{tag}", "author": {"login": "rel-bot"},
            "body": kw.pop("body", ""), **kw}


NOTES = ("## What's Changed\n* Add NVFP4 grouped GEMM for SM120 by @alice in https://github.com/acme/kernels/pull/29\n"
         "* Fix FP8 scale overflow by @bob in https://github.com/acme/kernels/pull/28\n"
         "* Faster top-k sampling by @carol in https://github.com/acme/kernels/pull/27\n"
         "**Full Changelog**: https://github.com/acme/kernels/compare/v1.1.0...v1.2.0")


def write(folder: Path, name: str, data) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


def commits_folder(folder: Path, commits: list[dict]) -> None:
    write(folder, "commits_list.json", [{k: v for k, v in c.items() if k not in ("stats", "files")} for c in commits])
    for c in commits:
        write(folder / "commits", f"{c['sha']}.json", c)


@pytest.fixture
def replay(tmp_path: Path) -> Path:
    root = tmp_path / "replay"
    day = f"{D}"
    # twenty days ago: alice's first commit in kernels, and a quiet day elsewhere
    commits_folder(root / f"{HISTORY}" / "acme__kernels", [commit("acme/kernels", "Init kernels", f"{HISTORY}T10:00:00Z", "alice")])
    for r in ("acme__other", "acme__quiet"):
        commits_folder(root / f"{HISTORY}" / r, [])
    # a week ago: a release (it belongs to its own day, never to D)
    commits_folder(root / f"{WEEK_AGO}" / "acme__kernels", [])
    write(root / f"{WEEK_AGO}" / "acme__kernels", "releases.json", [release("v1.1.0", f"{WEEK_AGO}T09:00:00Z")])
    k = root / day / "acme__kernels"
    commits_folder(k, [
        commit("acme/kernels", "Fix NVFP4 crash on SM120 (#30)", f"{day}T09:00:00Z", "alice", "Fixes acme/other#5"),
        commit("acme/kernels", "Add fused MoE for FP8 on Hopper (#31)", f"{day}T11:00:00Z", "zoe"),
    ])
    write(k, "releases.json", [
        release("v1.2.0", f"{day}T15:00:00Z", name="Kernels 1.2.0", body=NOTES),
        release("v1.3.0rc1", f"{day}T16:00:00Z", prerelease=True),
        release("nightly-20260310", f"{day}T02:00:00Z", prerelease=True),
        release("nightly-20260310.1", f"{day}T03:00:00Z", prerelease=True),
        release("v2.0.0", None, draft=True),
    ])
    write(k, "updated.json", [
        {"number": 60, "title": "NVFP4 accuracy on SM120 [discussion]", "state": "open", "created_at": "2025-11-02T08:00:00Z",
         "updated_at": f"{day}T21:00:00Z", "comments": 87, "reactions": {"total_count": 40, "+1": 40},
         "html_url": "https://github.com/acme/kernels/issues/60", "user": {"login": "dave"}},
        {"number": 61, "title": "a quiet one", "state": "open", "created_at": "2025-10-01T08:00:00Z",
         "updated_at": f"{day}T05:00:00Z", "comments": 0, "reactions": {"total_count": 0},
         "html_url": "https://github.com/acme/kernels/issues/61", "user": {"login": "erin"}},
    ])
    o = root / day / "acme__other"
    commits_folder(o, [])
    write(o, "issues.json", [{"number": 5, "title": "SM120 NVFP4 GEMM crashes with illegal memory access", "state": "open",
                              "created_at": f"{day}T07:00:00Z", "updated_at": f"{day}T07:00:00Z", "comments": 2,
                              "html_url": "https://github.com/acme/other/issues/5", "user": {"login": "alice"},
                              "labels": [{"name": "bug"}], "body": "Crash on RTX 5090 (SM120) with NVFP4."}])
    commits_folder(root / day / "acme__quiet", [])
    write(root, "manifest.json", {"repos": {s.repo: {"source": {"default_branch": "main"}} for s in SPECS}})
    return root


def ingest(conn: duckdb.DuckDBPyConnection, source, days: list[dt.date], specs=SPECS) -> None:
    """What the ingest stage does, with the one call it gains for the tables of issue 17 (``derive_extra``)."""
    keys = [PartitionKey(d, s.repo) for s in specs for d in days]
    got = collect(source, {s.repo: s for s in specs}, keys, NOW)
    ok = [PartitionKey(k["day"], k["repo"]) for k in got.ok_keys]
    events = [e for e in got.events if {"repo": e["repo"], "day": e["day"]} in got.ok_keys]
    core = derive_core_rows(events, ok)
    extra: dict[str, list] = {t: [] for t in EXTRA_TABLES}
    for k in ok:
        part = [e for e in events if e["repo"] == k.repo and e["day"] == k.day]
        for table, rows in derive_extra(k.repo, k.day, part, derive_core(k.repo, k.day, part)).items():
            extra[table] += rows
    classified = classify_rows(core.tables())
    replace_partitions(conn, "raw.fetch_log", got.all_keys, got.log_rows)
    replace_partitions(conn, "raw.events", got.ok_keys, events)
    for table, rows in core.tables().items():
        replace_partitions(conn, table, got.ok_keys, rows)
    for table, rows in extra.items():
        replace_partitions(conn, table, got.ok_keys, rows)
    replace_partitions(conn, "classified.changes", got.ok_keys, classified.rows)


@pytest.fixture
def history(replay: Path):
    conn = duckdb.connect()
    apply_ddl(conn)
    ingest(conn, ReplaySource(replay), [HISTORY, WEEK_AGO, D])
    yield conn
    conn.close()


def section(md: str, repo: str) -> str:
    start = md.index(f"### [{repo}]")
    nxt = md.find("\n### ", start + 1)
    end = min(x for x in (nxt, md.find("\n## ", start + 1), len(md)) if x != -1)
    return md[start:end]


def test_report_opens_each_repository_with_its_releases_and_shows_hot_discussions_and_first_timers(history):
    md = build_report(history, D, "en", SPECS, NOW)["markdown"]
    kernels = section(md, "acme/kernels")
    body = [ln for ln in kernels.splitlines()[1:] if ln.strip()]
    # the repository opens with its releases: newest first, the nightlies folded into one line after them
    assert body[0].startswith("- **Release** [`v1.3.0rc1`](https://github.com/acme/kernels/releases/tag/v1.3.0rc1)")
    assert "pre-release" in body[0]
    assert body[1].startswith("- **Release** [`v1.2.0`](https://github.com/acme/kernels/releases/tag/v1.2.0) Kernels 1.2.0")
    assert "Add NVFP4 grouped GEMM for SM120; Fix FP8 scale overflow; Faster top-k sampling" in body[1]
    assert body[2].startswith("- **Nightlies** (2): [`nightly-20260310.1`]") and "[`nightly-20260310`]" in body[2]
    assert "v2.0.0" not in md and "v1.1.0" not in md  # a draft never; a week-old release is not of this day
    assert "evil.example" not in md  # the link is built from the repository and the tag, not taken from the data
    # hot discussions: an old issue with many comments, with its counts; the quiet one is not "hot"
    assert "**Hot** (1)" in kernels
    assert re.search(r"- \[#60\]\(https://github.com/acme/kernels/issues/60\) NVFP4 accuracy on SM120 .* · 87 comments · 40 reactions", kernels)
    assert "#61" not in md
    # first-time contributors: zoe's first commit in the history held lands on the day; alice's does not
    assert "- **First-time contributors**: zoe" in kernels and "alice" not in kernels.split("First-time contributors")[1]
    # acme/other did not record its updated-issue listing: no hot section, and never "none"
    other = section(md, "acme/other")
    assert "Hot" not in other and "none" not in other.lower()
    stats = build_report(history, D, "en", SPECS, NOW)["stats"]
    assert stats["hot"] == {"acme/kernels": [60], "acme/other": None, "acme/quiet": None}
    assert stats["releases"] == {"acme/kernels": ["v1.3.0rc1", "v1.2.0", "nightly-20260310.1", "nightly-20260310"]}
    # a release is a highlight candidate; a nightly never
    highlights = md.split("## Highlights", 1)[1].split("\n## ", 1)[0]
    assert "**kernels** Release [`v1.2.0`]" in highlights and "nightly" not in highlights
    assert "[acme/quiet]" in md.split("**No activity**", 1)[1]


def test_cross_repository_reference_in_report_table_and_queries(history):
    row = build_report(history, D, "en", SPECS, NOW)
    # the fix in kernels names the issue of acme/other it fixes, and the issue is linked back
    assert any(lk["kind"] == "fixes" and lk["to"] == "acme/other issue 5" for lk in row["stats"]["links"])
    refs = history.execute("SELECT repo, from_kind, kind, to_repo, to_id FROM core.references WHERE day = ?", [D]).fetchall()
    assert ("acme/kernels", "commit", "fixes", "acme/other", "5") in refs
    history.execute("SET VARIABLE repo = 'acme/other'")
    history.execute("SET VARIABLE number = '5'")
    fixed = history.execute((QUERIES / "30_what_fixed_this_issue.sql").read_text()).fetchall()
    assert len(fixed) == 1 and fixed[0][1] == "acme/kernels" and fixed[0][7] == "Fix NVFP4 crash on SM120 (#30)"
    history.execute("SET VARIABLE id = '5'")
    linked = history.execute((QUERIES / "31_everything_linked_to_an_item.sql").read_text()).fetchall()
    kinds = {(r[1], r[2], r[3]) for r in linked}
    assert ("written-to", "fixes", "acme/kernels") in kinds
    assert ("same-day", "same-author-same-day", "acme/kernels") in kinds  # alice wrote the issue and the fix


def test_first_time_contributors_need_a_history_before_the_day(history):
    history.execute(f"SET VARIABLE day = DATE '{D}'")
    rows = history.execute((QUERIES / "32_first_time_contributors.sql").read_text()).fetchall()
    assert [(r[0], r[2]) for r in rows] == [("acme/kernels", "zoe")]
    # on the first day of a history everyone would be new: nobody is listed
    history.execute(f"SET VARIABLE day = DATE '{HISTORY}'")
    assert history.execute((QUERIES / "32_first_time_contributors.sql").read_text()).fetchall() == []
    md = build_report(history, HISTORY, "en", SPECS, NOW)["markdown"]
    assert "First-time" not in md


def test_release_and_hot_queries(history):
    rows = history.execute((QUERIES / "33_releases.sql").read_text()).fetchall()
    assert [r[2] for r in rows] == ["v1.3.0rc1", "v1.2.0", "v1.1.0"]  # nightlies apart, drafts never
    history.execute(f"SET VARIABLE day = DATE '{D}'")
    hot = history.execute((QUERIES / "34_hot_discussions.sql").read_text()).fetchall()
    assert [(r[1], r[2], r[7]) for r in hot[:1]] == [("acme/kernels", 60, 127)]


def test_the_same_through_the_github_source_against_the_fake_server(replay: Path, history):
    conn = duckdb.connect()
    apply_ddl(conn)
    with serve_replay(replay) as fake:
        src = GitHubSource(GitHubClient(GitHubConfig(fake.url), None, log=lambda m: None), releases=True, hot=True)
        ingest(conn, src, [HISTORY, WEEK_AGO, D])
    from_github = build_report(conn, D, "en", SPECS, NOW)["markdown"]
    from_replay = build_report(history, D, "en", SPECS, NOW)["markdown"]
    strip = lambda md: re.sub(r"(?m)^> \*\*[^*]*(source|Generated)\*\*: .*$", "", md)  # noqa: E731
    assert strip(from_github) == strip(from_replay)
    # the fake also serves acme/other's issue listing: its hot list was read (empty of anything hot), still no section
    assert "Hot" not in section(from_github, "acme/other")
    for table in EXTRA_TABLES:
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == history.execute(f"SELECT count(*) FROM {table}").fetchone() \
            or table == "core.discussions"


def test_html_links_only_into_github_and_escapes_tags(replay: Path):
    k = replay / f"{D}" / "acme__kernels"
    rels = json.loads((k / "releases.json").read_text())
    rels.append(release("<img src=x onerror=alert(1)>", f"{D}T17:00:00Z", name="](javascript:alert(1))"))
    (k / "releases.json").write_text(json.dumps(rels))
    conn = duckdb.connect()
    apply_ddl(conn)
    ingest(conn, ReplaySource(replay), [HISTORY, D])
    row = build_report(conn, D, "en", SPECS, NOW)
    assert "<img" not in row["markdown"] and "<img" not in row["html"] and "javascript:" not in row["html"].split("<body", 1)[1].replace("](javascript:alert(1))", "")
    assert 'href="https://github.com/acme/kernels/releases/tag/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"' in row["html"]
    hrefs = re.findall(r'href="([^"#]+)"', row["html"])
    assert hrefs and all(h.startswith("https://github.com/") for h in hrefs)
    # with a GitHub Enterprise origin, github.com release links are text
    ghe = build_report(conn, D, "en", SPECS, NOW, web_origin="https://ghe.example.com")["markdown"]
    assert "releases/tag" not in ghe and "`v1.2.0`" in ghe


def test_the_demo_day_has_releases_and_hot_discussions():
    from infra_digest.watchlist import load_watchlist

    demo = Path(__file__).resolve().parents[1] / "infra_digest" / "demo" / "replay"
    day = dt.date(2026, 3, 2)
    specs = [s for s in load_watchlist() if (demo / f"{day}" / s.dirname).is_dir()]
    conn = duckdb.connect()
    apply_ddl(conn)
    ingest(conn, ReplaySource(demo), [day], specs)
    md = build_report(conn, day, "zh", specs, NOW)["markdown"]
    vllm = section(md, "vllm-project/vllm")
    assert vllm.splitlines()[2].startswith("- **发布** [`v0.17.0`](https://github.com/vllm-project/vllm/releases/tag/v0.17.0)")
    assert "v0.17.1" not in md  # the draft
    assert "**热议** (3)" in vllm and "#34102" in vllm and "54 评论 · 31 回应" in vllm
    assert "- **每日构建** (2)" in section(md, "flashinfer-ai/flashinfer")
    assert "预发布" in section(md, "sgl-project/sglang")


def test_a_repository_with_only_a_release_gets_its_section_and_a_highlight():
    from infra_digest.models import DaySummary
    from infra_digest.report.context import build_context
    from infra_digest.report.render import plan_day, render

    log = [{"repo": s.repo, "status": "ok", "stats": {}, "notes": []} for s in SPECS]
    rel = {"repo": "acme/quiet", "day": D, "tag": "v3.0.0", "name": None, "url": "https://github.com/acme/quiet/releases/tag/v3.0.0",
           "published_at": NOW, "prerelease": False, "nightly": False, "lightweight": False, "notes_excerpt": "Big one",
           "notes_items": 1}
    ctx = build_context(D, SPECS, [], [], [], [], log, releases=[rel])
    plan = plan_day(ctx)
    md, html = render(ctx, DaySummary(), "en", generated_at="x", sources_line="x", summarizer_line="x", plan=plan)
    assert "### [acme/quiet]" in md and "- **Release** [`v3.0.0`](https://github.com/acme/quiet/releases/tag/v3.0.0): Big one" in md
    assert "**quiet** Release [`v3.0.0`]" in md.split("## Highlights", 1)[1].split("\n## ", 1)[0]
    assert "[acme/quiet]" not in md.split("**No activity**", 1)[1]
    assert plan[1].repo_order[0] == "acme/quiet"  # the only repository with something to show comes first
    assert '<a href="https://github.com/acme/quiet/releases/tag/v3.0.0"><code>v3.0.0</code></a>' in html
