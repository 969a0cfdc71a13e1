"""The seams of the sources, tested directly: the client's own stats, the listings as generators, the placement
of undated items, the recording wrapper around any source, the redactor."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from infra_digest.sources import record
from infra_digest.sources.base import DayBatch, RawEvent
from infra_digest.sources.github import GitHubClient, GitHubConfig, GitHubSource, listings
from infra_digest.sources.http_cache import MemoryHttpCache
from infra_digest.sources.placement import place_items
from infra_digest.sources.record import RecordingSource, UnsafePath
from infra_digest.sources.replay import ReplaySource
from infra_digest.sources.secrets import Redactor
from infra_digest.watchlist import RepoSpec
from infra_digest_tests.fakes import serve_replay

FIXTURE = Path(__file__).parent / "fixtures" / "github_replay"
KERNELS = RepoSpec("acme/kernels", "Kernels", branch="main")
TINY = RepoSpec("acme/tiny", "Tiny", branch="trunk")
D5, D6, D7 = dt.date(2026, 1, 5), dt.date(2026, 1, 6), dt.date(2026, 1, 7)


def client_for(url: str, **kw) -> GitHubClient:
    return GitHubClient(GitHubConfig(url, timeout=0.5, backoff_base=0.01), None, http_cache=MemoryHttpCache(),
                        log=lambda m: None, sleep=lambda s: None, **kw)


# -- the client owns its request stats ------------------------------------------------------------------------
def test_client_stats_are_the_requests_sent_and_batches_split_them():
    with serve_replay(FIXTURE) as fake:
        client = client_for(fake.url)
        before = client.stats.snapshot()
        batches = list(GitHubSource(client).fetch(KERNELS, [D5, D6, D7]))
        assert client.stats.since(before)["requests"] == len(fake.requests) == 11
        assert sum(b.stats["requests"] for b in batches) == client.stats.requests
        again = list(GitHubSource(client).fetch(KERNELS, [D5, D6, D7]))  # same client: 304s and cache hits
        assert sum(b.stats["not_modified"] for b in again) == 3 and sum(b.stats["cache_hits"] for b in again) == 8
        assert client.stats.snapshot()["requests"] == 14


# -- listings are generators with their stop rules ------------------------------------------------------------
def test_issue_listing_stops_at_the_first_page_older_than_the_start():
    with serve_replay(FIXTURE) as fake:
        client = client_for(fake.url)
        start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
        numbers = [item["number"] for _, item in listings.issues(client, KERNELS, start, 2)]
        assert numbers == [107, 106, 104, 103, 105, 102, 101, 90]  # the page reaching #90 is the last one read
        assert fake.count(contains="/issues?") == 4
        fake.reset_log()
        gen = listings.issues(client, KERNELS, start, 2)
        next(gen)  # lazily: one page asked for the first item
        assert fake.count(contains="/issues?") == 1


def test_merged_pull_listing_and_unavailable_listings():
    with serve_replay(FIXTURE) as fake:
        client = client_for(fake.url)
        start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
        assert {item["number"] for _, item in listings.merged_pulls(client, KERNELS, start, 2)} == {104, 95, 85}  # #85: the last page read
        fake.set_faults([{"match": "/issues", "status": 410}])
        with pytest.raises(listings.Unavailable, match="issues are not available"):
            list(listings.issues(client, KERNELS, start, 100))
        fake.set_faults([{"match": "/commits?", "status": 409}])
        with pytest.raises(listings.Unavailable, match="repository is empty"):
            list(listings.commits(client, KERNELS, start, start, 100))


# -- placement of undated items (recorded data only) ----------------------------------------------------------
def _it(n: int, **kw) -> dict:
    return {"number": n, **kw}


@pytest.mark.parametrize(
    "dated, wanted, expect",
    [
        # between two neighbours of the same day
        ([(_it(3), D6), (_it(2), None), (_it(1), D6)], [D5, D6, D7], {2: (D6, "between #1 and #3")}),
        # neighbours on different days, only one requested day allowed
        ([(_it(3), D7), (_it(2), None), (_it(1), D5)], [D6], {2: (D6, "only requested day")}),
        # nearer neighbour wins
        ([(_it(10), D7), (_it(2), None), (_it(1), D5)], [D5, D6, D7], {2: (D5, "next to #1")}),
        # no neighbours: the last requested day
        ([(_it(2), None)], [D5, D6], {2: (D6, "last possible day")}),
        # provenance first
        ([(_it(2, provenance={"created_date_from_archive": "2026-01-05"}), None)], [D5, D6], {2: (D5, "provenance")}),
        # neighbours put it outside the requested days
        ([(_it(3), D5), (_it(2), None), (_it(1), D5)], [D6, D7], {}),
    ],
)
def test_placement_of_undated_items(dated, wanted, expect):
    placed = {p.item["number"]: p for p in place_items(dated, wanted) if p.note}
    assert {n: p.day for n, p in placed.items()} == {n: d for n, (d, _) in expect.items()}
    for n, (_, words) in expect.items():
        assert words in placed[n].note and f"#{n} has no created_at" in placed[n].note


# -- record mode wraps any source -----------------------------------------------------------------------------
def test_recording_wraps_the_replay_source_and_writes_empty_days(tmp_path: Path):
    rec_dir = tmp_path / "rec"
    src = RecordingSource(ReplaySource(FIXTURE), rec_dir)
    assert src.name == "replay"
    batches = list(src.fetch(TINY, [D5, D6]))
    assert all(b.ok for b in batches)
    for b in batches:
        folder = record.day_dir(rec_dir, b.day, TINY.repo)
        for name in ("commits_list.json", "issues.json", "pulls.json"):
            assert (folder / name).is_file(), name
    assert json.loads((record.day_dir(rec_dir, D6, TINY.repo) / "commits_list.json").read_text()) == []
    again = {b.day: sorted((e.kind, e.id, json.dumps(e.payload, sort_keys=True)) for e in b.events)
             for b in ReplaySource(rec_dir).fetch(TINY, [D5, D6])}
    assert again == {b.day: sorted((e.kind, e.id, json.dumps(e.payload, sort_keys=True)) for e in b.events) for b in batches}
    manifest = json.loads((rec_dir / "manifest.json").read_text())
    assert manifest["days_utc"] == ["2026-01-05", "2026-01-06"]


class _Failing:
    name = "broken"

    def fetch(self, repo, days):
        for d in days:
            yield DayBatch(repo=repo.repo, day=d, error="could not read")


def test_recording_never_writes_a_failed_day(tmp_path: Path):
    out = list(RecordingSource(_Failing(), tmp_path / "rec").fetch(TINY, [D5]))
    assert out[0].error == "could not read" and not (tmp_path / "rec").exists()


class _Hostile:
    name = "hostile"

    def fetch(self, repo, days):
        for d in days:
            yield DayBatch(repo=repo.repo, day=d, events=[RawEvent("commit", "../../x", {"sha": "../../x"})])


def test_recording_never_writes_outside_its_directory(tmp_path: Path):
    rec_dir = tmp_path / "rec"
    (out,) = RecordingSource(_Hostile(), rec_dir).fetch(TINY, [D5])
    assert any("not 40 hex" in n for n in out.notes)
    assert not (tmp_path / "x.json").exists() and not list(tmp_path.rglob("x.json"))
    with pytest.raises(UnsafePath):
        record.day_dir(rec_dir, D5, "../../etc")


# -- the redactor -------------------------------------------------------------------------------------------------
def test_redactor_removes_every_piece_of_the_secret_before_cutting():
    token = "ghp_probe1234567890ABCDEFGHIJ"
    r = Redactor(token)
    long = "x" * 280 + f"Authorization: Bearer {token} and more"
    cut = r.text(long, 300)
    assert len(cut) <= 300 and "ghp_prob" not in cut
    assert r.text(f"echo {token[:12]}!") == "echo ***!"  # a piece of it, too
    assert r.text(f"tail {token[-9:]}") == "tail ***"
    assert r.json({"a": [f"k{token}"], token: 1}) == {"a": ["k***"], "***": 1}
    assert Redactor(None).text("anything") == "anything"
