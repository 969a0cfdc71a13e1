"""Absent is not empty: a repository-day a source cannot answer for is a failed batch that says why, never
"no activity" (issue 13, item 1)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from infra_digest.sources import record
from infra_digest.sources.git import GitSource
from infra_digest.sources.github import GitHubClient, GitHubConfig, GitHubSource
from infra_digest.sources.http_cache import MemoryHttpCache
from infra_digest.sources.record import RecordingSource
from infra_digest.sources.replay import ReplaySource
from infra_digest.watchlist import RepoSpec
from infra_digest_tests.fakes import serve_replay
from infra_digest_tests.test_git_source import WorkRepo

FIXTURE = Path(__file__).parent / "fixtures" / "github_replay"
KERNELS = RepoSpec("acme/kernels", "Kernels", branch="main")
TINY = RepoSpec("acme/tiny", "Tiny", branch="trunk")
D4, D5, D6, D7, D8 = (dt.date(2026, 1, d) for d in (4, 5, 6, 7, 8))


@pytest.fixture
def replay(tmp_path: Path) -> Path:
    dst = tmp_path / "replay"
    shutil.copytree(FIXTURE, dst)
    return dst


def test_an_absent_day_folder_is_not_recorded(replay: Path):
    batches = {b.day: b for b in ReplaySource(replay).fetch(KERNELS, [D4, D5, D8])}
    assert batches[D5].ok and batches[D5].events
    for d in (D4, D8):
        b = batches[d]
        assert not b.ok and b.events == []
        assert "not recorded" in b.error and str(replay / d.isoformat()) in b.error


def test_an_absent_repository_folder_is_not_recorded(replay: Path):
    shutil.rmtree(replay / "2026-01-06" / "acme__tiny")
    batches = {b.day: b for b in ReplaySource(replay).fetch(TINY, [D5, D6, D7])}
    assert batches[D5].ok and batches[D7].ok  # their neighbour's absence changes nothing for them
    assert not batches[D6].ok
    assert batches[D6].error == f"acme/tiny: 2026-01-06 was not recorded: {replay / '2026-01-06' / 'acme__tiny'} does not exist"
    missing = list(ReplaySource(replay).fetch(RepoSpec("acme/unknown", "U"), [D5]))
    assert not missing[0].ok and "acme__unknown" in missing[0].error


def test_an_empty_recorded_folder_is_no_activity(replay: Path):
    folder = replay / "2026-01-06" / "acme__tiny"
    shutil.rmtree(folder)
    folder.mkdir()
    (b,) = ReplaySource(replay).fetch(TINY, [D6])
    assert b.ok and b.events == []


def test_neighbour_folders_only_lend_items(replay: Path):
    # a commit committed just after midnight on the 7th, recorded in the folder of the 6th: it belongs to the 7th
    # whether or not the 7th's folder holds it, and the 6th does not keep it
    folder6 = replay / "2026-01-06" / "acme__tiny"
    listing = json.loads((replay / "2026-01-05" / "acme__tiny" / "commits_list.json").read_text())
    item = json.loads(json.dumps(listing[0]).replace(listing[0]["sha"], "e" * 40))
    item["commit"]["committer"]["date"] = "2026-01-07T00:10:00Z"
    (folder6 / "commits_list.json").write_text(json.dumps([item]))
    batches = {b.day: b for b in ReplaySource(replay).fetch(TINY, [D6, D7])}
    assert batches[D6].ok and batches[D6].events == []
    assert batches[D7].ok and "e" * 40 in {e.id for e in batches[D7].events}


def test_record_mode_writes_a_folder_for_every_repository_of_every_day(tmp_path: Path):
    rec = tmp_path / "rec"
    with serve_replay(FIXTURE) as fake:
        client = GitHubClient(GitHubConfig(fake.url, timeout=2), None, http_cache=MemoryHttpCache(), log=lambda m: None)
        src = RecordingSource(GitHubSource(client), rec)
        for repo in (KERNELS, TINY):
            assert all(b.ok for b in src.fetch(repo, [D4, D5, D6, D7]))
    for d in (D4, D5, D6, D7):  # D4 had no activity anywhere: still written, with empty lists
        for repo in (KERNELS, TINY):
            folder = record.day_dir(rec, d, repo.repo)
            for name in ("commits_list.json", "issues.json", "pulls.json"):
                assert isinstance(json.loads((folder / name).read_text()), list), (d, repo.repo, name)
    assert json.loads((record.day_dir(rec, D4, TINY.repo) / "commits_list.json").read_text()) == []
    # and the capture replays: every recorded day answers, the day after does not
    out = {b.day: b for b in ReplaySource(rec).fetch(TINY, [D4, D5, D8])}
    assert out[D4].ok and out[D4].events == [] and out[D5].ok and not out[D8].ok


def test_github_cannot_answer_for_a_day_that_has_not_begun():
    with serve_replay(FIXTURE) as fake:
        client = GitHubClient(GitHubConfig(fake.url, timeout=2), None, log=lambda m: None,
                              clock=lambda: dt.datetime(2026, 1, 6, 12, tzinfo=dt.timezone.utc).timestamp())
        batches = {b.day: b for b in GitHubSource(client).fetch(KERNELS, [D5, D6, D7])}
    assert batches[D5].ok and batches[D6].ok
    assert not batches[D7].ok and "has not begun" in batches[D7].error


def test_git_stale_mirror_cannot_answer_for_days_after_its_last_update(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    r = WorkRepo(tmp_path / "remote", home)
    r.write("a.txt", "a\n")
    sha = r.commit("first", "2026-03-01T10:00:00Z")
    mirrors, remotes, spec = tmp_path / "mirrors", {"o/r": str(r.path)}, RepoSpec("o/r", "R")
    # the mirror was last updated on 2 March, 06:00 UTC
    list(GitSource(mirrors, remotes=remotes, now=lambda: dt.datetime(2026, 3, 2, 6, tzinfo=dt.timezone.utc)).fetch(spec, [dt.date(2026, 3, 1)]))
    shutil.rmtree(r.path)  # and cannot be fetched any more
    now = lambda: dt.datetime(2026, 3, 5, 12, tzinfo=dt.timezone.utc)  # noqa: E731
    days = [dt.date(2026, 3, d) for d in (1, 2, 3, 6)]
    out = {b.day: b for b in GitSource(mirrors, remotes=remotes, now=now).fetch(spec, days)}
    assert out[days[0]].ok and out[days[0]].stale and [e.id for e in out[days[0]].events] == [sha]
    assert out[days[1]].ok and out[days[1]].stale  # began before the last update: answered, marked stale
    assert not out[days[2]].ok and "last updated 2026-03-02T06:00:00Z, before 2026-03-03 began" in out[days[2]].error
    assert not out[days[3]].ok and "has not begun" in out[days[3]].error
