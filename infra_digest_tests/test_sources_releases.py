"""Releases at the sources (issue 17, source side): replay's releases.json and the github source's release listing
(conditional requests), one day per release by published_at (UTC), drafts never, pre-releases as GitHub marks them."""

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


def rel(tag: str, published: str | None, created: str, **kw) -> dict:
    return {"tag_name": tag, "name": tag, "draft": False, "prerelease": False, "created_at": created,
            "published_at": published, "html_url": f"https://github.com/acme/kernels/releases/tag/{tag}",
            "author": {"login": "rel-bot"}, "body": f"notes of {tag}", **kw}


RELEASES = [
    rel("v1.2.0", "2026-01-06T15:00:00Z", "2026-01-06T14:00:00Z"),  # on the day
    rel("v1.3.0rc1", "2026-01-06T23:30:00-02:00", "2026-01-06T20:00:00Z", prerelease=True),  # 01:30 UTC on the 7th
    rel("nightly-20260105", "2026-01-05T02:00:00Z", "2026-01-05T01:00:00Z", prerelease=True),
    rel("v1.4.0", None, "2026-01-06T10:00:00Z", draft=True),  # a draft never appears
    rel("v1.1.9", "2026-01-06T09:00:00Z", "2025-12-20T09:00:00Z"),  # an old draft published on the day
    rel("v1.0.0", "2025-12-29T09:00:00Z", "2025-12-29T08:00:00Z"),  # a week old
]


@pytest.fixture
def replay(tmp_path: Path) -> Path:
    root = tmp_path / "replay"
    shutil.copytree(FIXTURE, root)
    (root / "2026-01-06" / "acme__kernels" / "releases.json").write_text(json.dumps(RELEASES))
    return root


def tags(batches) -> dict:
    return {b.day: sorted(e.id for e in b.events if e.kind == "release") for b in batches}


EXPECTED = {D5: ["nightly-20260105"], D6: ["v1.1.9", "v1.2.0"], D7: ["v1.3.0rc1"]}


def test_replay_reads_releases_by_publication_day(replay: Path):
    batches = list(ReplaySource(replay).fetch(KERNELS, [D5, D6, D7]))
    assert all(b.ok for b in batches) and tags(batches) == EXPECTED
    rc = next(e.payload for b in batches for e in b.events if e.id == "v1.3.0rc1")
    assert rc["prerelease"] is True
    assert tags(ReplaySource(replay).fetch(TINY, [D6])) == {D6: []}  # a repository with no releases


def test_github_lists_releases_with_conditional_requests(replay: Path):
    with serve_replay(replay) as fake:
        cache = MemoryHttpCache()
        client = GitHubClient(GitHubConfig(fake.url, timeout=2), None, http_cache=cache, log=lambda m: None)
        batches = list(GitHubSource(client, releases=True).fetch(KERNELS, [D5, D6, D7]))
        assert all(b.ok for b in batches) and tags(batches) == EXPECTED
        assert fake.count(contains="/releases?") == 1 and sum(b.stats["releases"] for b in batches) == 4
        fake.reset_log()
        again = list(GitHubSource(GitHubClient(GitHubConfig(fake.url), None, http_cache=cache, log=lambda m: None),
                                  releases=True).fetch(KERNELS, [D5, D6, D7]))
        assert tags(again) == EXPECTED and {r.status for r in fake.requests} == {304}  # a re-run costs only 304s
        # without releases configured, no release request at all
        fake.reset_log()
        list(GitHubSource(GitHubClient(GitHubConfig(fake.url), None, log=lambda m: None)).fetch(KERNELS, [D6]))
        assert fake.count(contains="/releases") == 0


def test_github_releases_record_and_replay(replay: Path, tmp_path: Path):
    with serve_replay(replay) as fake:
        src = RecordingSource(GitHubSource(GitHubClient(GitHubConfig(fake.url), None, log=lambda m: None), releases=True),
                              tmp_path / "rec")
        first = list(src.fetch(KERNELS, [D5, D6, D7]))
    assert tags(ReplaySource(tmp_path / "rec").fetch(KERNELS, [D5, D6, D7])) == tags(first) == EXPECTED


def test_a_bad_release_fails_only_its_day(replay: Path):
    bad = [*RELEASES, rel("", "2026-01-07T10:00:00Z", "2026-01-07T09:00:00Z")]
    (replay / "2026-01-06" / "acme__kernels" / "releases.json").write_text(json.dumps(bad))
    with serve_replay(replay) as fake:
        fake.set_faults([{"match": "/releases", "fault": "json", "body": bad, "times": None}])
        batches = {b.day: b for b in GitHubSource(GitHubClient(GitHubConfig(fake.url), None, log=lambda m: None),
                                                   releases=True).fetch(KERNELS, [D5, D6, D7])}
    assert batches[D5].ok and batches[D6].ok and not batches[D7].ok
    assert "'tag_name' is empty" in batches[D7].error and "/releases" in batches[D7].error


def test_git_tags_annotated_by_tagger_date_lightweight_by_commit_and_marked(tmp_path: Path):
    from infra_digest.sources.git import GitSource
    from infra_digest_tests.test_git_source import WorkRepo

    home = tmp_path / "home"
    home.mkdir()
    r = WorkRepo(tmp_path / "remote", home)
    r.write("a.txt", "a\n")
    first = r.commit("first", "2026-03-01T10:00:00Z")
    r.git("tag", "light-1")  # lightweight: dated by its commit (1 March)
    r.write("a.txt", "b\n")
    second = r.commit("second", "2026-03-01T12:00:00Z")
    # annotated on 2 March at 00:30 (+02:00 = 1 March 22:30 UTC) and on 3 March
    r.git("tag", "-a", "v1.0.0", "-m", "Release 1.0.0", env={"GIT_COMMITTER_DATE": "2026-03-02T00:30:00+02:00"})
    r.git("tag", "-a", "v1.1.0rc1", first, "-m", "RC", env={"GIT_COMMITTER_DATE": "2026-03-03T09:00:00Z"})
    spec, remotes, days = RepoSpec("o/r", "R"), {"o/r": str(r.path)}, [dt.date(2026, 3, d) for d in (1, 2, 3)]
    plain = list(GitSource(tmp_path / "m", remotes=remotes).fetch(spec, days))
    assert not any(e.kind == "release" for b in plain for e in b.events)  # tags only when asked for
    # the same mirror, now asked for tags: the next fetch brings them
    out = {b.day: b for b in GitSource(tmp_path / "m", remotes=remotes, tags=True).fetch(spec, days)}
    assert all(b.ok for b in out.values())
    rel = {d: {e.id: e.payload for e in b.events if e.kind == "release"} for d, b in out.items()}
    assert sorted(rel[days[0]]) == ["light-1", "v1.0.0"] and sorted(rel[days[2]]) == ["v1.1.0rc1"] and rel[days[1]] == {}
    light, annotated = rel[days[0]]["light-1"], rel[days[0]]["v1.0.0"]
    assert light["lightweight"] is True and light["published_at"] == "2026-03-01T10:00:00Z" and light["target_commitish"] == first
    assert annotated["lightweight"] is False and annotated["published_at"] == "2026-03-01T22:30:00Z"
    assert annotated["name"] == "Release 1.0.0" and annotated["target_commitish"] == second
    assert rel[days[2]]["v1.1.0rc1"]["target_commitish"] == first
