"""The pure derivations of issue 17: core.releases, core.discussions and core.references rows."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from infra_digest.derive.discussions import derive_discussions, hot
from infra_digest.derive.extra import EXTRA_TABLES, derive_extra
from infra_digest.derive.references import derive_references, scan
from infra_digest.derive.releases import derive_releases, is_nightly, notes_excerpt

D = dt.date(2026, 1, 6)
R = "acme/kernels"


def ev(kind: str, id_: str, payload: dict) -> dict:
    return {"kind": kind, "id": id_, "payload": payload, "source": "github"}


def rel(tag: str, **kw) -> dict:
    return ev("release", tag, {"tag_name": tag, "name": kw.pop("name", tag), "draft": False, "prerelease": False,
                               "published_at": "2026-01-06T15:00:00Z", "created_at": "2026-01-06T14:00:00Z", **kw})


@pytest.mark.parametrize("tag,name,nightly", [
    ("nightly", None, True), ("v0.9.0.dev20260106", None, True), ("nightly-2026-01-06", None, True),
    ("build-20260106", None, True), ("v2.0.0", "Nightly build", True), ("dev", None, True),
    ("v1.2.0", "v1.2.0", False), ("v1.3.0rc1", None, False), ("v0.10.1.post1", None, False),
    ("device-v1", None, False), ("2026.01.06", None, False), ("v12345678", None, False),
])
def test_nightly_by_tag_or_name(tag, name, nightly):
    assert is_nightly(tag, name) is nightly


def test_release_rows_link_built_from_repo_and_tag_drafts_never_notes_summarised():
    body = ("## What's Changed\n* Add NVFP4 MoE kernels by @alice in https://github.com/acme/kernels/pull/12\n"
            "* Fix SM120 crash by @bob in https://github.com/acme/kernels/pull/13\n"
            "* [Docs] update **README** by @carol in https://github.com/acme/kernels/pull/14\n\n"
            "## New Contributors\n* @carol made their first contribution in https://github.com/acme/kernels/pull/14\n\n"
            "**Full Changelog**: https://github.com/acme/kernels/compare/v1.1.0...v1.2.0")
    rows = derive_releases(R, D, [
        rel("v1.2.0", body=body, html_url="javascript:alert(1)", author={"login": "rel-bot"}),
        rel("v1.3.0", draft=True),
        rel("v1.3.0rc1", prerelease=True, published_at="2026-01-06T16:00:00Z"),
        rel("nightly-20260106", prerelease=True, published_at="2026-01-06T02:00:00Z"),
        rel("x/../../<b>", body=None),
        ev("issue", "1", {"number": 1}),
    ])
    by_tag = {r["tag"]: r for r in rows}
    assert set(by_tag) == {"v1.2.0", "v1.3.0rc1", "nightly-20260106", "x/../../<b>"}  # the draft never
    assert [r["tag"] for r in rows][0] == "v1.3.0rc1"  # newest first
    v = by_tag["v1.2.0"]
    assert v["url"] == "https://github.com/acme/kernels/releases/tag/v1.2.0"  # never the payload's html_url
    assert v["notes_excerpt"] == "Add NVFP4 MoE kernels; Fix SM120 crash; [Docs] update README" and v["notes_items"] == 3
    assert v["prerelease"] is False and v["nightly"] is False and v["author_login"] == "rel-bot"
    assert by_tag["v1.3.0rc1"]["prerelease"] is True and by_tag["nightly-20260106"]["nightly"] is True
    assert by_tag["x/../../<b>"]["url"] == "https://github.com/acme/kernels/releases/tag/x%2F..%2F..%2F%3Cb%3E"
    # git tags: prerelease unknown (NULL), lightweight kept
    git = derive_releases(R, D, [ev("release", "t", {"tag_name": "t", "prerelease": None, "lightweight": True,
                                                     "published_at": "2026-01-06T01:00:00Z"})])
    assert git[0]["prerelease"] is None and git[0]["lightweight"] is True


def test_notes_excerpt_is_bounded_and_linear():
    text, n = notes_excerpt("x" * 500)
    assert n == 1 and len(text) == 200 and text.endswith("…")
    assert notes_excerpt(None) == (None, 0) and notes_excerpt("## Only a heading\n") == (None, 0)
    t0 = time.process_time()
    notes_excerpt(("* [a](" * 200_000) + "\n" + "- item\n" * 500_000)
    assert time.process_time() - t0 < 5


def issue_ev(number: int, updated: str, comments: int, reactions, created: str = "2025-12-01T00:00:00Z", **kw) -> dict:
    return ev("discussion", str(number), {"number": number, "title": f"t{number}", "created_at": created,
                                          "updated_at": updated, "comments": comments, "reactions": reactions,
                                          "state": "open", "user": {"login": "u"}, **kw})


def test_discussion_rows_ranked_by_comments_and_reactions_new_or_not():
    rows = derive_discussions(R, D, [
        issue_ev(1, "2026-01-06T10:00:00Z", 87, {"total_count": 40}),
        issue_ev(2, "2026-01-06T11:00:00Z", 5, {"+1": 3, "heart": 2, "url": "x"}, created="2026-01-06T09:00:00Z",
                 pull_request={"url": "u"}),
        issue_ev(3, "2026-01-07T00:00:00Z", 900, {"total_count": 0}),  # the next day: not this one's
        issue_ev(4, "2026-01-06T12:00:00Z", 1, None),
        issue_ev(5, "2026-01-06T12:00:00Z", "lots", "many"),  # counts of the wrong type count as 0, never raise
    ])
    assert [r["number"] for r in rows] == [1, 2, 4, 5]
    assert rows[0]["heat"] == 127 and rows[0]["new_in_day"] is False and rows[0]["url"].endswith("/issues/1")
    assert rows[1]["reactions"] == 5 and rows[1]["is_pr"] and rows[1]["new_in_day"] and rows[1]["url"].endswith("/pull/2")
    assert [r["number"] for r in hot(rows)] == [1, 2]  # the few with at least HOT_MIN comments + reactions


def test_references_fixes_closes_mentions_cross_repo_urls_reverts():
    core = {
        "commits": [
            {"sha": "a" * 40, "title": "Fix crash (#20)", "message": "Fix crash (#20)\n\nFixes #10, closes acme/other#5",
             "pr_number": 20},
            {"sha": "b" * 40, "title": 'Revert "Fix crash (#20)"', "message": 'Revert "Fix crash (#20)"', "pr_number": None},
        ],
        "pull_requests": [{"number": 21, "title": "Add op", "body": "see https://github.com/Other/Repo/issues/7 and #21"}],
        "issues": [{"number": 10, "title": "Crash on SM120", "body": "resolves ACME/kernels#3"}],
    }
    rows = derive_references(R, D, core)
    got = {(r["from_kind"], r["from_id"][:1] if r["from_kind"] == "commit" else r["from_id"], r["kind"], r["to_repo"], r["to_id"])
           for r in rows}
    assert got == {
        ("commit", "a", "fixes", R, "10"), ("commit", "a", "closes", "acme/other", "5"),
        ("commit", "b", "reverts", R, "a" * 40), ("commit", "b", "mentions", R, "20"),  # its title names #20
        ("pull_request", "21", "mentions", "Other/Repo", "7"),  # its own #21 is no reference
        ("issue", "10", "fixes", R, "3"),
    }
    assert all(r["repo"] == R and r["day"] == D for r in rows)


def test_reference_scan_is_bounded():
    refs = list(scan(["#1 " * 100_000], R, None))
    assert len(refs) == 50


def test_derive_extra_fills_every_table():
    out = derive_extra(R, D, [rel("v1.0.0"), issue_ev(1, "2026-01-06T10:00:00Z", 3, None)],
                       {"commits": [], "pull_requests": [], "issues": [{"number": 9, "title": "x", "body": "Fixes #8"}]})
    assert set(out) == set(EXTRA_TABLES)
    assert [len(out[t]) for t in EXTRA_TABLES] == [1, 1, 1]
    assert derive_extra(R, D, [], {}) == {t: [] for t in EXTRA_TABLES}  # an empty partition clears its rows


def test_derive_extra_never_raises_on_odd_values():
    odd = [None, True, -1, 2**70, 1.5, "", "x" * 10_000, "\u202e\x00", [], [1], {}, {"a": 1}]
    fields = ("tag_name", "name", "body", "draft", "prerelease", "published_at", "created_at", "lightweight",
              "target_commitish", "author", "number", "title", "updated_at", "comments", "reactions", "user",
              "pull_request", "state")
    for value in odd:
        for f in fields:
            payload = {"tag_name": "v1", "number": 1, "updated_at": "2026-01-06T10:00:00Z", f: value}
            derive_extra(R, D, [ev("release", "v1", payload), ev("discussion", "1", payload), ev("release", "x", value)],
                         {"commits": [{"sha": "a" * 40, "title": value, "message": value}], "issues": [{"number": 1, "body": value}]})


def test_combined_source_keeps_git_tags_github_does_not_list():
    from infra_digest.sources.base import DayBatch, RawEvent
    from infra_digest.sources.combined import CombinedSource
    from infra_digest.watchlist import RepoSpec

    class Fixed:
        def __init__(self, name, events):
            self.name, self.events = name, events

        def fetch(self, repo, days):
            return iter([DayBatch(repo.repo, d, list(self.events), stats={"discussions": 0} if self.name == "github" else {})
                         for d in days])

    git = Fixed("git", [RawEvent("release", "v1", {"tag_name": "v1", "lightweight": True}),
                        RawEvent("release", "v2", {"tag_name": "v2"})])
    gh = Fixed("github", [RawEvent("release", "v2", {"tag_name": "v2", "name": "GitHub's"})])
    [batch] = CombinedSource(git, gh).fetch(RepoSpec(R, "K"), [D])
    assert sorted((e.id, e.payload.get("name")) for e in batch.events) == [("v1", None), ("v2", "GitHub's")]
    assert batch.stats["discussions"] == 0


def test_a_fix_of_an_issue_closed_on_the_day_carries_the_closing_event():
    core = {"commits": [{"sha": "a" * 40, "title": "Fix it (#20)", "message": "Fix it (#20)\n\nFixes #10 and #11", "pr_number": 20}]}
    events = [ev("discussion", "10", {"number": 10, "state": "closed", "closed_at": "2026-01-06T09:01:00Z"}),
              ev("issue", "11", {"number": 11, "state": "closed", "closed_at": "2026-01-05T09:01:00Z"})]  # closed before
    rows = {(r["to_id"], r["kind"]): r["closed_at"] for r in derive_references(R, D, core, events)}
    assert rows[("10", "fixes")] == dt.datetime(2026, 1, 6, 9, 1, tzinfo=dt.timezone.utc)
    assert rows[("11", "mentions")] is None
