"""The live GitHub source, driven over real HTTP against the fake GitHub API (no network, no real waits)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from infra_digest.sources import record
from infra_digest.sources.base import DayBatch, Source
from infra_digest.sources.github import TRUNCATION_NOTE_RE, GitHubClient, GitHubSource
from infra_digest.sources.record import RecordingSource
from infra_digest.sources.http_cache import DuckDBHttpCache, MemoryHttpCache
from infra_digest.storage.db import connect
from infra_digest.watchlist import RepoSpec
from infra_digest_tests.fakes import FakeGitHub, serve_replay

FIXTURE = Path(__file__).parent / "fixtures" / "github_replay"
KERNELS = RepoSpec("acme/kernels", "Kernels", branch="main")
TINY = RepoSpec("acme/tiny", "Tiny", branch="trunk")
D5, D6, D7 = dt.date(2026, 1, 5), dt.date(2026, 1, 6), dt.date(2026, 1, 7)
DAYS = [D5, D6, D7]
TOKEN = "ghp_TESTsecretTOKEN0123456789abcdef"


# -- helpers -------------------------------------------------------------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.logs: list[str] = []
        self.sleeps: list[float] = []

    def log(self, msg: str) -> None:
        self.logs.append(msg)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def build_source(api_url: str, token: str | None, **opts: Any) -> Any:
    """The source as the pipeline builds it: a client (config + token + cache + log), the source over it, and
    the recording wrapper when ``record_dir`` is given."""
    record_dir = opts.pop("record_dir", None)
    source_opts = {k: opts.pop(k) for k in ("per_page", "tz") if k in opts}
    src = GitHubSource(GitHubClient.from_options(api_url, token, **opts), **source_opts)
    return RecordingSource(src, record_dir) if record_dir else src


def make_source(fake: FakeGitHub, rec: Recorder | None = None, **kw: Any) -> Any:
    rec = rec or Recorder()
    opts: dict[str, Any] = dict(
        http_cache=MemoryHttpCache(), timeout=0.4, log=rec.log, sleep=rec.sleep, backoff_base=0.01, max_rate_limit_wait=120.0
    )
    opts.update(kw)
    token = opts.pop("token", TOKEN)
    return build_source(fake.url, token, **opts)


def canon(batches: list[DayBatch]) -> dict[dt.date, list[tuple[str, str, str]]]:
    return {b.day: sorted((e.kind, e.id, json.dumps(e.payload, sort_keys=True)) for e in b.events) for b in batches}


def expected(root: Path, repo: RepoSpec, days: list[dt.date]) -> dict[dt.date, list[tuple[str, str, str]]]:
    """Ground truth straight from the replay files: what belongs to each day."""
    out = {}
    for d in days:
        data = record.read_day(root, repo.repo, d)
        shas = [c["sha"] for c in data["commits_list"]]
        ev = [("commit", s, json.dumps(data["commits"][s], sort_keys=True)) for s in shas]
        ev += [("issue", str(i["number"]), json.dumps(i, sort_keys=True)) for i in data["issues"]]
        ev += [("pull", str(p["number"]), json.dumps(p, sort_keys=True)) for p in data["pulls"]]
        out[d] = sorted(ev)
    return out


def assert_no_duplicates(batches: list[DayBatch]) -> None:
    keys = [(b.day, e.kind, e.id) for b in batches for e in b.events]
    assert len(keys) == len(set(keys))


@pytest.fixture
def fake():
    with serve_replay(FIXTURE) as server:
        yield server


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "replay"
    shutil.copytree(FIXTURE, dst)
    return dst


# -- completeness, day splitting, pagination -------------------------------------------------------------------
def test_is_a_source_and_fetches_a_range_completely(fake: FakeGitHub) -> None:
    src = make_source(fake)
    assert isinstance(src, Source) and src.name == "github"
    batches = list(src.fetch(KERNELS, DAYS))
    assert [b.day for b in batches] == DAYS
    assert all(b.ok for b in batches), [b.error for b in batches]
    assert canon(batches) == expected(FIXTURE, KERNELS, DAYS)
    assert_no_duplicates(batches)
    # one listing per endpoint for the whole range, one detail request per commit
    assert fake.count(contains="/commits?") == 1
    assert fake.count(contains="/issues?") == 1
    assert fake.count(contains="/pulls?") == 1
    assert fake.count(contains="/commits/") == 8
    assert sum(b.stats["requests"] for b in batches) == len(fake.requests) == 11
    # the range listings are counted in the first batch, details in their own day
    assert batches[0].stats["requests"] == 3 + 4 and batches[1].stats["requests"] == 2
    assert [b.stats["commits"] for b in batches] == [4, 2, 2]
    assert [b.stats["issues"] for b in batches] == [2, 4, 1] and [b.stats["pulls"] for b in batches] == [1, 1, 0]


def test_day_membership_rules(fake: FakeGitHub) -> None:
    batches = {b.day: b for b in make_source(fake).fetch(KERNELS, DAYS)}
    by_msg = {e.payload["commit"]["message"]: d for d, b in batches.items() for e in b.events if e.kind == "commit"}
    assert by_msg["ci: pin runner (#97)"] == D5  # committed at 00:00:00Z: start of the day belongs to it
    assert by_msg["[Perf] faster fp8 gemm on SM90 (#100)"] == D5  # 23:59:59Z
    assert by_msg["fix: rocm build (#99)"] == D5  # authored on the 3rd, committed on the 5th: committer date wins
    assert by_msg["build: bump cutlass"] == D7  # authored on the 6th, committed 00:30 on the 7th
    ids = {d: {(e.kind, e.id) for e in b.events if e.kind != "commit"} for d, b in batches.items()}
    assert ids[D5] == {("issue", "101"), ("issue", "102"), ("pull", "95")}  # #95: created in December, merged on the 5th
    assert ids[D6] == {("issue", "103"), ("issue", "104"), ("issue", "105"), ("issue", "106"), ("pull", "104")}
    assert ids[D7] == {("issue", "107")}
    # issue #105 has no created_at: placed by number between #104 and #106, and said so
    assert any("#105" in n and "no created_at" in n for n in batches[D6].notes)
    # the unmerged closed PR #96 and old items never show up
    assert not any(e.id in {"80", "81", "84", "85", "90", "96"} for b in batches.values() for e in b.events)


def test_pagination_with_small_pages_gets_everything_and_stops_early(fake: FakeGitHub) -> None:
    batches = list(make_source(fake, per_page=2).fetch(KERNELS, DAYS))
    assert canon(batches) == expected(FIXTURE, KERNELS, DAYS)
    assert_no_duplicates(batches)
    assert fake.count(contains="/commits?") == 4  # 8 commits, 2 a page
    # issues newest-created first: [107 106] [104 103] [105 102] [101 90] -> stops at the page reaching #90
    assert fake.count(contains="/issues?") == 4
    assert fake.count(contains="/pulls?") == 2  # [104 96] [95 85] -> stops at #85 (updated before the range)
    assert all(r.status == 200 for r in fake.requests)


def test_single_days_equal_the_range_split(fake: FakeGitHub) -> None:
    src = make_source(fake)
    ranged = canon(list(src.fetch(KERNELS, DAYS)))
    for d in DAYS:
        single = list(make_source(fake).fetch(KERNELS, [d]))
        assert len(single) == 1 and single[0].ok
        assert canon(single)[d] == ranged[d]


def test_days_come_back_in_the_order_given_and_empty_days_are_batches(fake: FakeGitHub) -> None:
    batches = list(make_source(fake).fetch(TINY, [D7, D5]))
    assert [b.day for b in batches] == [D7, D5]
    assert batches[0].ok and batches[0].events == []
    assert [e.kind for e in batches[1].events] == ["commit"]
    assert list(make_source(fake).fetch(TINY, [])) == []


# -- faults: nothing lost or duplicated, clear messages ----------------------------------------------------------
FAULTS = {
    "502 burst on details": ([{"match": "/commits/", "status": 502, "times": 2}], "502"),
    "503 burst on issues": ([{"match": "/issues", "status": 503, "times": 3}], "503"),
    "500 on pulls": ([{"match": "/pulls", "status": 500}], "500"),
    "connection reset": ([{"match": "/pulls", "fault": "reset"}], "connection error"),
    "slow response past timeout": ([{"match": "/commits?", "fault": "slow", "delay": 1.0}], "timeout"),
    "malformed json": ([{"match": "/commits/", "fault": "malformed"}], "malformed JSON"),
    "429 retry-after": ([{"match": "/issues", "status": 429, "retry_after": 3}], "Retry-After: 3"),
    "secondary 403 retry-after": ([{"match": "/commits?", "fault": "secondary", "retry_after": 7}], "secondary rate limit"),
    "secondary 403 without retry-after": ([{"match": "/issues", "fault": "secondary", "retry_after": None}], "no Retry-After"),
    "primary limit exhausted": ([{"match": "/pulls", "fault": "rate_limit", "reset_in": 30}], "rate limit exhausted"),
    "429 primary limit": ([{"match": "/commits/", "fault": "rate_limit", "status": 429, "reset_in": 5}], "rate limit exhausted"),
    "502 on a second page": ([{"match": "page=2", "status": 502}], "502"),
    "one 429, one 502, one reset per repo": (
        [
            {"match": "/issues", "status": 429, "retry_after": 1},
            {"match": "/commits/", "status": 502},
            {"match": "/pulls", "fault": "rate_limit", "reset_in": 2},
        ],
        "rate limit exhausted",
    ),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_faults_lose_and_duplicate_nothing(fake: FakeGitHub, name: str) -> None:
    faults, phrase = FAULTS[name]
    clean = canon(list(make_source(fake, per_page=2).fetch(KERNELS, DAYS)))
    fake.set_faults(faults)
    rec = Recorder()
    batches = list(make_source(fake, rec, per_page=2).fetch(KERNELS, DAYS))
    assert all(b.ok for b in batches), [b.error for b in batches]
    assert fake.faults_left() == [], "every scripted fault was hit"
    assert canon(batches) == clean
    assert_no_duplicates(batches)
    assert phrase in "\n".join(rec.logs), rec.logs
    stats = batches[0].stats
    assert stats["retries"] + stats["rate_limit_waits"] >= len(faults)
    assert all(s <= 120 for s in rec.sleeps)
    if faults[0].get("retry_after") is not None:
        assert faults[0]["retry_after"] in rec.sleeps  # waited exactly what GitHub asked
    if name == "secondary 403 without retry-after":
        assert rec.sleeps == [60.0]  # GitHub's advice: wait at least a minute
    if faults[0].get("fault") == "rate_limit":
        waits = [s for s in rec.sleeps if s >= 1.5]
        assert waits and abs(waits[0] - (faults[0]["reset_in"] + 1)) <= 2.5  # until the reset, plus a margin
        assert any("waiting" in m and "until reset" in m for m in rec.logs)


def test_plain_403_is_not_retried_and_says_forbidden(fake: FakeGitHub) -> None:
    fake.set_faults([{"match": "/issues", "status": 403}])
    batches = list(make_source(fake).fetch(KERNELS, DAYS))
    assert all(not b.ok for b in batches)
    assert "403" in batches[0].error and "acme/kernels" in batches[0].error and "forbidden" in batches[0].error


def test_retries_are_bounded_and_only_the_affected_days_fail(fake: FakeGitHub) -> None:
    day7_sha = json.loads((FIXTURE / "2026-01-07/acme__kernels/commits_list.json").read_text())[1]["sha"]
    fake.set_faults([{"match": f"/commits/{day7_sha}", "status": 502, "times": None}])
    rec = Recorder()
    batches = list(make_source(fake, rec, max_retries=3).fetch(KERNELS, DAYS))
    assert [b.ok for b in batches] == [True, True, False]
    err = batches[2].error
    assert "acme/kernels" in err and "failed after 3 retries" in err and "502" in err and day7_sha[:12] in err
    assert fake.count(contains=f"/commits/{day7_sha}") == 4  # 1 + 3 retries
    assert len(rec.sleeps) == 3 and rec.sleeps == sorted(rec.sleeps)  # exponential backoff
    assert canon(batches[:2]) == {d: v for d, v in expected(FIXTURE, KERNELS, DAYS).items() if d in (D5, D6)}


def test_unreachable_server_fails_clearly(tmp_path: Path) -> None:
    rec = Recorder()
    src = build_source("http://127.0.0.1:9", TOKEN, timeout=0.2, max_retries=2, log=rec.log, sleep=rec.sleep, backoff_base=0.01)
    batches = list(src.fetch(KERNELS, [D5, D6]))
    assert all(b.error and "connection error" in b.error and "after 2 retries" in b.error for b in batches)
    assert TOKEN not in repr(batches) + "\n".join(rec.logs)


# -- rate limits -----------------------------------------------------------------------------------------
def test_rate_limit_wait_beyond_the_bound_fails_clearly_without_waiting(fake: FakeGitHub) -> None:
    fake.set_faults([{"match": "/issues", "fault": "rate_limit", "reset_in": 3600}])
    rec = Recorder()
    src = make_source(fake, rec, max_rate_limit_wait=60)
    batches = list(src.fetch(KERNELS, DAYS))
    assert all(not b.ok for b in batches)
    err = batches[0].error
    assert "acme/kernels" in err and "rate limit exhausted" in err and "max_rate_limit_wait" in err and "60s" in err
    assert rec.sleeps == []
    # the limit is per token: the next repository fails at once, without a request
    n = len(fake.requests)
    tiny = list(src.fetch(TINY, [D5]))
    assert not tiny[0].ok and "rate limit exhausted" in tiny[0].error
    assert len(fake.requests) == n


def test_primary_limit_counter_waits_for_reset_before_the_next_request(tmp_path: Path) -> None:
    with serve_replay(FIXTURE, rate_limit=4) as fake:
        rec = Recorder()

        def sleep(seconds: float) -> None:
            rec.sleeps.append(seconds)
            if seconds > 5:  # the reset passes while we "wait"
                fake.set_rate_limit(5000, reset_in=3600)

        src = make_source(fake, rec, sleep=sleep, max_rate_limit_wait=7200)
        batches = list(src.fetch(KERNELS, DAYS))
        assert all(b.ok for b in batches)
        assert canon(batches) == expected(FIXTURE, KERNELS, DAYS)
        assert any("rate limit exhausted (0 of 4 requests left)" in m and "until reset" in m for m in rec.logs)
        assert fake.count(status=403) == 0  # waited before asking, never hit the wall
        assert batches[0].stats["rate_limit_waits"] >= 1


# -- errors that end one repository -----------------------------------------------------------------------------
def test_404_repository_ends_only_that_repository(fake: FakeGitHub) -> None:
    src = make_source(fake)
    gone = list(src.fetch(RepoSpec("acme/renamed", "Gone"), DAYS))
    assert [b.day for b in gone] == DAYS and all(not b.ok for b in gone)
    assert gone[0].error == (
        "GitHub returned 404 for acme/renamed: the repository was renamed, deleted or is private "
        "(or the token cannot see it); check the watchlist"
    )
    ok = list(src.fetch(KERNELS, DAYS))
    assert all(b.ok for b in ok) and canon(ok) == expected(FIXTURE, KERNELS, DAYS)


def test_404_on_a_missing_branch_names_the_branch(fake: FakeGitHub) -> None:
    batches = list(make_source(fake).fetch(RepoSpec("acme/tiny", "Tiny", branch="main"), [D5]))
    assert "branch 'main' not found" in batches[0].error and "'trunk'" in batches[0].error


def test_401_bad_token_is_clear_and_does_not_leak(fixture_copy: Path) -> None:
    with serve_replay(fixture_copy, token="the-right-one") as fake:
        rec = Recorder()
        batches = list(make_source(fake, rec).fetch(KERNELS, DAYS))
        assert all(not b.ok for b in batches)
        assert "GitHub returned 401 for acme/kernels: bad credentials" in batches[0].error
        assert TOKEN not in repr(batches) + "\n".join(rec.logs)
        assert len(fake.requests) == 1  # no retry on 401
        anon = list(make_source(fake, token=None).fetch(KERNELS, [D5]))
        assert "authentication required" in anon[0].error and "GITHUB_TOKEN" in anon[0].error
        assert fake.authorizations[-1] is None  # no header without a token
        good = list(make_source(fake, token="the-right-one").fetch(KERNELS, [D5]))
        assert good[0].ok


def test_422_ends_that_repository_and_the_next_one_works(fake: FakeGitHub) -> None:
    fake.set_faults([{"match": "/repos/acme/kernels/issues", "status": 422}])
    src = make_source(fake)
    bad = list(src.fetch(KERNELS, DAYS))
    assert all(not b.ok for b in bad)
    assert bad[0].error.startswith("GitHub returned 422 for acme/kernels (issue listing")
    assert "Validation Failed" in bad[0].error
    good = list(src.fetch(TINY, DAYS))
    assert all(b.ok for b in good) and sum(len(b.events) for b in good) == 1


# -- conditional requests -------------------------------------------------------------------------------------
def test_rerun_costs_only_304s(fake: FakeGitHub) -> None:
    cache = MemoryHttpCache()
    first = list(make_source(fake, http_cache=cache, per_page=2).fetch(KERNELS, DAYS))
    n_lists = fake.count(contains="?")
    fake.reset_log()
    rec = Recorder()
    again = list(make_source(fake, rec, http_cache=cache, per_page=2).fetch(KERNELS, DAYS))
    assert canon(again) == canon(first)
    assert {r.status for r in fake.requests} == {304}
    assert len(fake.requests) == n_lists == 10  # listing pages revalidated; immutable commit details not asked again
    assert sum(b.stats["not_modified"] for b in again) == 10 and sum(b.stats["cache_hits"] for b in again) == 8
    # without reusing immutable bodies, details are revalidated too: still only 304s
    fake.reset_log()
    list(make_source(fake, http_cache=cache, per_page=2, reuse_immutable=False).fetch(KERNELS, DAYS))
    assert {r.status for r in fake.requests} == {304} and len(fake.requests) == 18


def test_rerun_with_validators_in_duckdb(fake: FakeGitHub, tmp_path: Path) -> None:
    db = tmp_path / "history.duckdb"
    first = list(make_source(fake, http_cache=DuckDBHttpCache(db)).fetch(KERNELS, DAYS))
    with connect(db) as conn:
        rows = conn.execute("SELECT count(*), count(etag), count(DISTINCT url) FROM raw.http_cache").fetchone()
    assert rows == (11, 11, 11)
    fake.reset_log()
    again = list(make_source(fake, http_cache=DuckDBHttpCache(db)).fetch(KERNELS, DAYS))  # a new process, say
    assert canon(again) == canon(first)
    assert [r.status for r in fake.requests] == [304, 304, 304]
    with connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM raw.http_cache").fetchone()[0] == 11


def test_changed_listing_is_downloaded_again(fixture_copy: Path) -> None:
    with serve_replay(fixture_copy) as fake:
        cache = MemoryHttpCache()
        list(make_source(fake, http_cache=cache).fetch(KERNELS, DAYS))
        issues_file = fixture_copy / "2026-01-07/acme__kernels/issues.json"
        items = json.loads(issues_file.read_text())
        items.insert(0, dict(items[0], number=108, title="New issue", created_at="2026-01-07T21:00:00Z"))
        issues_file.write_text(json.dumps(items))
        fake.reload()
        fake.reset_log()
        again = list(make_source(fake, http_cache=cache).fetch(KERNELS, DAYS))
        assert [(r.path.split("?")[0].rsplit("/", 1)[-1], r.status) for r in fake.requests] == [
            ("commits", 304),
            ("issues", 200),
            ("pulls", 304),
        ]
        assert ("issue", "108") in {(e.kind, e.id) for e in again[2].events}


# -- large commits ----------------------------------------------------------------------------------------------
def _add_big_commit(root: Path, key: str, n_files: int) -> str:
    folder = root / "2026-01-07" / "acme__tiny"
    (folder / "commits").mkdir(parents=True, exist_ok=True)
    base = json.loads((root / "2026-01-05/acme__tiny/commits_list.json").read_text())[0]
    sha = (key * 40)[:40]
    item = json.loads(json.dumps(base).replace(base["sha"], sha))
    item["commit"]["committer"]["date"] = item["commit"]["author"]["date"] = "2026-01-07T12:00:00Z"
    item["commit"]["message"] = f"big change with {n_files} files"
    files = [{"filename": f"gen/f{i:05d}.py", "status": "added", "additions": 1, "deletions": 0, "changes": 1} for i in range(n_files)]
    detail = dict(item, stats={"total": n_files, "additions": n_files, "deletions": 0}, files=files)
    listing = folder / "commits_list.json"
    listing.write_text(json.dumps(json.loads(listing.read_text()) + [item]))
    (folder / "commits" / f"{sha}.json").write_text(json.dumps(detail))
    return sha


def test_commit_file_pages_are_merged_and_truncation_is_noted(fixture_copy: Path) -> None:
    mid = _add_big_commit(fixture_copy, "a", 650)
    huge = _add_big_commit(fixture_copy, "b", 3100)
    with serve_replay(fixture_copy) as fake:
        [batch] = list(make_source(fake).fetch(TINY, [D7]))
        assert batch.ok
        payloads = {e.id: e.payload for e in batch.events}
        assert len(payloads[mid]["files"]) == 650 and len(payloads[huge]["files"]) == 3000
        assert [f["filename"] for f in payloads[mid]["files"]] == [f"gen/f{i:05d}.py" for i in range(650)]
        assert payloads[huge]["stats"]["total"] == 3100  # the object is otherwise unchanged
        assert fake.count(contains=f"/commits/{mid}") == 3 and fake.count(contains=f"/commits/{huge}") == 10
        truncated = [m.group(1) for n in batch.notes if (m := TRUNCATION_NOTE_RE.match(n))]
        assert truncated == [huge]
        assert batch.notes == [f"commit {huge}: file list truncated by GitHub at 3000 files"]


# -- record mode -------------------------------------------------------------------------------------------------
def test_record_mode_round_trips_offline(fake: FakeGitHub, tmp_path: Path) -> None:
    rec_dir = tmp_path / "captured"
    src = make_source(fake, record_dir=rec_dir)
    first = {r.repo: list(src.fetch(r, DAYS)) for r in (KERNELS, TINY)}
    for repo, batches in first.items():
        for b in batches:
            folder = record.day_dir(rec_dir, b.day, repo)
            assert (folder / "commits_list.json").exists() and (folder / "issues.json").exists() and (folder / "pulls.json").exists()
            data = record.read_day(rec_dir, repo, b.day)
            assert {s: p for s, p in data["commits"].items()} == {e.id: e.payload for e in b.events if e.kind == "commit"}
            assert data["issues"] == [e.payload for e in b.events if e.kind == "issue"]
            assert data["pulls"] == [e.payload for e in b.events if e.kind == "pull"]
    assert canon(first["acme/kernels"]) == expected(rec_dir, KERNELS, DAYS)
    # the capture replays offline: served by the fake, fetched again, the same events
    with serve_replay(rec_dir) as replayed:
        for repo in (KERNELS, TINY):
            again = list(make_source(replayed).fetch(repo, DAYS))
            assert canon(again) == canon(first[repo.repo])
    # re-recording a day replaces it (no stale commit files)
    stale = record.day_dir(rec_dir, D5, "acme/kernels") / "commits" / ("f" * 40 + ".json")
    stale.write_text("{}")
    list(make_source(fake, record_dir=rec_dir).fetch(KERNELS, [D5]))
    assert not stale.exists()


def test_failed_days_are_not_recorded(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.set_faults([{"match": "/issues", "status": 404}])
    batches = list(make_source(fake, record_dir=tmp_path / "rec").fetch(KERNELS, DAYS))
    # a 404 on the issue listing after the commit listing worked: issues unavailable, said so, days kept
    assert all(b.ok for b in batches) and all(any("issues are not available" in n for n in b.notes) for b in batches)
    fake.set_faults([{"match": "/pulls", "status": 404}])
    batches = list(make_source(fake).fetch(KERNELS, DAYS))
    assert all(b.ok for b in batches) and all(any("merged pull requests are not available" in n for n in b.notes) for b in batches)
    fake.set_faults([{"match": "/pulls", "status": 502, "times": None}])
    bad = list(make_source(fake, record_dir=tmp_path / "rec2", max_retries=1).fetch(KERNELS, DAYS))
    assert all(not b.ok for b in bad) and not (tmp_path / "rec2").exists()


# -- the token never leaks ----------------------------------------------------------------------------------------
def test_token_never_leaks(fixture_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    rec_dir = tmp_path / "rec"
    with serve_replay(fixture_copy, token=TOKEN) as fake:
        fake.set_faults(
            [
                {"match": "/commits/", "status": 502},
                {"match": "/issues", "fault": "rate_limit", "reset_in": 2},
                {"match": "/pulls", "fault": "malformed"},
            ]
        )
        rec = Recorder()
        src = make_source(fake, rec, http_cache=DuckDBHttpCache(db), record_dir=rec_dir)
        batches = list(src.fetch(KERNELS, DAYS)) + list(src.fetch(RepoSpec("acme/missing", "x"), [D5]))
        fake.set_faults([{"match": "/commits?", "status": 502, "times": None}])
        batches += list(make_source(fake, rec, max_retries=1).fetch(TINY, [D5]))
        assert {a for a in fake.authorizations} == {f"Bearer {TOKEN}"}  # it was sent, every time
    text = [repr(src), repr(batches), "\n".join(rec.logs)]
    text += [json.dumps([b.notes, b.stats, b.error]) for b in batches]
    text += [p.read_text() for p in rec_dir.rglob("*.json")]
    with connect(db) as conn:
        text += [json.dumps(conn.execute("SELECT * FROM raw.http_cache").fetchall(), default=str)]
    assert rec.logs and any(b.error for b in batches)
    assert all(TOKEN not in t for t in text)
    assert TOKEN.encode() not in db.read_bytes()


def test_authorization_goes_only_to_the_api_origin(fake: FakeGitHub) -> None:
    src = make_source(fake)
    assert src.client._same_origin(fake.url + "/repos/a/b") and not src.client._same_origin("https://elsewhere.example/x")
