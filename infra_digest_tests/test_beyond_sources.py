"""Hot discussions at the sources (issue 17.2, 17.5): the github source's updated-issue listing against the fake
GitHub server (conditional requests, one listing per repository), the replay's ``updated.json``, record mode, and
the bad-input rules (a malformed item fails only its repository-day; absent is "not recorded", never "none")."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from infra_digest.sources.github import GitHubClient, GitHubConfig, GitHubSource
from infra_digest.sources.http_cache import MemoryHttpCache
from infra_digest.sources.record import RecordingSource
from infra_digest.sources.replay import ReplaySource
from infra_digest.watchlist import RepoSpec
from infra_digest_tests.fakes import serve_replay

FIXTURE = Path(__file__).parent / "fixtures" / "github_replay"
KERNELS = RepoSpec("acme/kernels", "Kernels", branch="main")
TINY = RepoSpec("acme/tiny", "Tiny", branch="trunk")
D5, D6, D7 = dt.date(2026, 1, 5), dt.date(2026, 1, 6), dt.date(2026, 1, 7)


def issue(number: int, created: str, updated: str, comments: int, reactions: int, **kw) -> dict:
    return {"number": number, "title": f"issue {number}", "state": "open", "created_at": created, "updated_at": updated,
            "html_url": f"https://github.com/acme/kernels/issues/{number}", "user": {"login": f"u{number}"},
            "labels": [], "body": "", "comments": comments,
            "reactions": {"url": f"https://api.github.com/repos/acme/kernels/issues/{number}/reactions",
                          "total_count": reactions, "+1": reactions, "-1": 0, "heart": 0}, **kw}


# on 6 January: an issue from last year with many comments, a PR of the day, a quiet old one
UPDATED_D6 = [
    issue(60, "2025-11-02T08:00:00Z", "2026-01-06T21:00:00Z", 87, 40),
    issue(108, "2026-01-06T09:00:00Z", "2026-01-06T11:00:00Z", 3, 1,
          pull_request={"url": "https://api.github.com/repos/acme/kernels/pulls/108"}),
    issue(61, "2025-10-01T08:00:00Z", "2026-01-06T05:00:00Z", 0, 0),
]


@pytest.fixture
def replay(tmp_path: Path) -> Path:
    root = tmp_path / "replay"
    shutil.copytree(FIXTURE, root)
    (root / "2026-01-06" / "acme__kernels" / "updated.json").write_text(json.dumps(UPDATED_D6))
    return root


def hot(batches) -> dict:
    return {b.day: sorted(int(e.id) for e in b.events if e.kind == "discussion") for b in batches}


def client(fake, cache=None) -> GitHubClient:
    return GitHubClient(GitHubConfig(fake.url, timeout=5), None, http_cache=cache, log=lambda m: None)


def test_replay_reads_updated_json_and_absent_is_not_recorded(replay: Path):
    batches = {b.day: b for b in ReplaySource(replay).fetch(KERNELS, [D5, D6, D7])}
    assert all(b.ok for b in batches.values())
    assert hot(batches.values())[D6] == [60, 61, 108]
    old = next(e.payload for e in batches[D6].events if e.kind == "discussion" and e.id == "60")
    assert old["comments"] == 87 and old["reactions"]["total_count"] == 40  # as GitHub returns them
    assert batches[D6].stats["discussions"] == 3
    # no updated.json for 5 and 7 January: not recorded, which is not "no discussion"
    assert "discussions" not in batches[D5].stats and "discussions" not in batches[D7].stats
    # an empty file is recorded and empty
    (replay / "2026-01-07" / "acme__kernels" / "updated.json").write_text("[]")
    b7 = list(ReplaySource(replay).fetch(KERNELS, [D7]))[0]
    assert b7.ok and b7.stats["discussions"] == 0


def test_github_lists_updated_issues_once_per_repository_with_conditional_requests(replay: Path):
    with serve_replay(replay) as fake:
        cache = MemoryHttpCache()
        batches = list(GitHubSource(client(fake, cache), hot=True).fetch(KERNELS, [D5, D6, D7]))
        assert all(b.ok for b in batches), [b.error for b in batches]
        got = hot(batches)
        # by updated_at: #60 (from 2025) on the 6th; #103 (created on the 6th, updated on the 7th) on the 7th
        assert 60 in got[D6] and 108 in got[D6] and 61 in got[D6] and 103 in got[D7] and 103 not in got[D6]
        assert all(b.stats["discussions"] == len(got[b.day]) for b in batches)
        listing = [r for r in fake.requests if "/issues?state=all&since=" in r.path]
        assert len(listing) == 1 and "since=2026-01-05T00%3A00%3A00Z" in listing[0].path
        total = len(fake.requests)
        fake.reset_log()
        # the same fetch without hot discussions costs exactly that one request less
        list(GitHubSource(client(fake, MemoryHttpCache())).fetch(KERNELS, [D5, D6, D7]))
        assert len(fake.requests) == total - 1 and fake.count(contains="/issues?state=all&since=") == 0
        # an immediate re-run with the validators kept costs only 304s
        fake.reset_log()
        again = list(GitHubSource(client(fake, cache), hot=True).fetch(KERNELS, [D5, D6, D7]))
        assert hot(again) == got and {r.status for r in fake.requests} == {304}


def test_github_hot_discussions_record_and_replay(replay: Path, tmp_path: Path):
    rec = tmp_path / "rec"
    with serve_replay(replay) as fake:
        first = list(RecordingSource(GitHubSource(client(fake), hot=True), rec).fetch(KERNELS, [D5, D6, D7]))
        list(RecordingSource(GitHubSource(client(fake)), rec).fetch(TINY, [D6]))  # recorded without the listing
    for d in (D5, D6, D7):
        assert (rec / d.isoformat() / "acme__kernels" / "updated.json").exists()  # empty lists included
    assert not (rec / "2026-01-06" / "acme__tiny" / "updated.json").exists()  # absent: not recorded
    again = list(ReplaySource(rec).fetch(KERNELS, [D5, D6, D7]))
    assert hot(again) == hot(first)
    assert [b.stats["discussions"] for b in again] == [b.stats["discussions"] for b in first]
    tiny = list(ReplaySource(rec).fetch(TINY, [D6]))[0]
    assert tiny.ok and "discussions" not in tiny.stats
    # the capture served again by the fake gives the same hot list
    with serve_replay(rec) as fake:
        assert hot(GitHubSource(client(fake), hot=True).fetch(KERNELS, [D5, D6, D7])) == hot(first)


@pytest.mark.parametrize("bad", [
    {"comments": "many"},
    {"reactions": ["+1"]},
    {"reactions": {"total_count": -3}},
    {"reactions": {"total_count": 2**40}},
    {"number": 2**40},
    {"title": {"x": 1}},
])
def test_a_malformed_updated_item_fails_only_its_repository_day(replay: Path, bad: dict):
    items = [*UPDATED_D6, {**issue(70, "2025-01-01T00:00:00Z", "2026-01-07T10:00:00Z", 1, 1), **bad}]
    with serve_replay(replay) as fake:
        fake.set_faults([{"match": "issues?state=all&since", "fault": "json", "body": items, "times": None}])
        batches = {b.day: b for b in GitHubSource(client(fake), hot=True).fetch(KERNELS, [D5, D6, D7])}
        tiny = list(GitHubSource(client(fake), hot=True).fetch(TINY, [D6]))[0]
    assert batches[D5].ok and batches[D6].ok and not batches[D7].ok
    assert "since=" in batches[D7].error and ("#70" in batches[D7].error or "item 3" in batches[D7].error)
    assert tiny.ok
    # the replay: the same item in updated.json fails the day of its folder only
    (replay / "2026-01-07" / "acme__kernels" / "updated.json").write_text(json.dumps(items[-1:]))
    out = {b.day: b for b in ReplaySource(replay).fetch(KERNELS, [D5, D6, D7])}
    assert out[D5].ok and out[D6].ok and not out[D7].ok and "updated.json" in out[D7].error


def test_an_updated_item_without_date_is_left_out_with_a_note(replay: Path):
    items = [*UPDATED_D6, {**issue(71, "2025-01-01T00:00:00Z", "2026-01-06T10:00:00Z", 9, 9), "updated_at": None}]
    with serve_replay(replay) as fake:
        fake.set_faults([{"match": "issues?state=all&since", "fault": "json", "body": items, "times": None}])
        batches = {b.day: b for b in GitHubSource(client(fake), hot=True).fetch(KERNELS, [D6])}
    assert batches[D6].ok and 71 not in hot(batches.values())[D6]
    assert any("#71 has no updated_at" in n for n in batches[D6].notes)
