"""Hostile input and hostile servers at the sources (issue 14: 14.1, 14.2, 14.5/14.6, 14.7), over real HTTP
against the fake GitHub API on 127.0.0.1 and real files. Each test fails on the code before the change."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from infra_digest.sources.base import DayBatch
from infra_digest.sources.github import GitHubClient, GitHubConfig, GitHubSource
from infra_digest.sources.http_cache import DuckDBHttpCache, MemoryHttpCache
from infra_digest.sources.record import RecordingSource
from infra_digest.sources.replay import ReplaySource
from infra_digest.storage.db import connect
from infra_digest.transform import derive_core
from infra_digest.watchlist import RepoSpec
from infra_digest_tests.fakes import serve_replay

FIXTURE = Path(__file__).parent / "fixtures" / "github_replay"
KERNELS = RepoSpec("acme/kernels", "Kernels", branch="main")
TINY = RepoSpec("acme/tiny", "Tiny", branch="trunk")
D5, D6, D7 = dt.date(2026, 1, 5), dt.date(2026, 1, 6), dt.date(2026, 1, 7)
TOKEN = "ghp_probe123SECRETsecret456TOKENtoken789"


class Logs:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.sleeps: list[float] = []

    def log(self, msg: str) -> None:
        self.lines.append(msg)

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)


def source(url: str, logs: Logs | None = None, token: str | None = TOKEN, cache: Any = None, **config: Any) -> GitHubSource:
    logs = logs or Logs()
    opts = {"timeout": 2.0, "backoff_base": 0.01, "max_rate_limit_wait": 120.0, **config}
    client = GitHubClient(GitHubConfig(url, **opts), token, http_cache=cache if cache is not None else MemoryHttpCache(),
                          log=logs.log, sleep=logs.sleep)
    return GitHubSource(client)


def detail_sha(day: dt.date, repo: str = "acme__kernels", i: int = 0) -> str:
    return json.loads((FIXTURE / day.isoformat() / repo / "commits_list.json").read_text())[i]["sha"]


def first_issue(day: dt.date) -> dict:
    return json.loads((FIXTURE / day.isoformat() / "acme__kernels" / "issues.json").read_text())[0]


def core_rows(batches: list[DayBatch], source_name: str = "github") -> None:
    """What downstream does with an ok batch: derive the core rows. Must never raise on validated payloads."""
    for b in batches:
        if b.ok:
            derive_core(b.repo, b.day, [{"kind": e.kind, "id": e.id, "payload": e.payload, "source": source_name} for e in b.events])


# -- 14.1: validate at the edge ------------------------------------------------------------------------------
def _bad_detail(mutate) -> dict:
    sha = detail_sha(D6)
    body = json.loads((FIXTURE / "2026-01-06" / "acme__kernels" / "commits" / f"{sha}.json").read_text())
    mutate(body)
    return body


BAD_COMMITS = {
    "detail without sha": (lambda b: b.pop("sha"), "'sha' is missing"),
    "files as a list of strings": (lambda b: b.__setitem__("files", ["a.py", "b.py"]), "'files[0]' is a string, not an object"),
    "commit.author a string": (lambda b: b["commit"].__setitem__("author", "Mallory"), "'commit.author' is a string, not an object"),
    "committer date in year 9999": (lambda b: b["commit"]["committer"].__setitem__("date", "9999-12-31T23:59:59-05:00"),
                                    "'commit.committer.date' is outside"),
    "committer date a number": (lambda b: b["commit"]["committer"].__setitem__("date", 1767700000), "'commit.committer.date' is not a date string"),
    "additions a float": (lambda b: b["files"][0].__setitem__("additions", 1.5), "'files[0].additions' is a number, not a count"),
    "stats overflow": (lambda b: b["stats"].__setitem__("additions", 2**40), "'stats.additions' is 1099511627776, outside"),
    "file counts that overflow a sum": (lambda b: b.__setitem__("files", [{"filename": f"f{i}", "additions": 2**31 - 1} for i in range(2)]),
                                        "'files[*].additions' add up to 4294967294"),
}


@pytest.mark.parametrize("name", list(BAD_COMMITS))
def test_a_bad_commit_detail_fails_only_its_repository_day(name: str):
    mutate, phrase = BAD_COMMITS[name]
    sha = detail_sha(D6)
    with serve_replay(FIXTURE) as fake:
        fake.set_faults([{"match": f"/commits/{sha}", "fault": "json", "body": _bad_detail(mutate), "times": None}])
        src = source(fake.url)
        batches = {b.day: b for b in src.fetch(KERNELS, [D5, D6, D7])}
        others = list(src.fetch(TINY, [D5, D6, D7]))
    assert batches[D5].ok and batches[D7].ok and all(b.ok for b in others)
    err = batches[D6].error
    assert err and phrase in err, err
    assert f"/repos/acme/kernels/commits/{sha}" in err and f"commit {sha[:12]}" in err and "invalid data from GitHub" in err
    core_rows(list(batches.values()) + others)


BAD_ISSUES = {
    "number 2**40": ({"number": 2**40}, "'number' is 1099511627776, outside 1..2147483647", "all"),
    "created_at in year 9999": ({"created_at": "9999-12-31T23:59:59-05:00"}, "'created_at' is outside", "all"),
    "created_at a number": ({"created_at": 12345}, "'created_at' is not a date string", "all"),
    "title an object": ({"title": {"x": 1}}, "'title' is a object, not a string".replace("a object", "a object"), "day"),
    "labels a string": ({"labels": "bug"}, "'labels' is a string, not a list", "day"),
    "user a list": ({"user": ["x"]}, "'user' is a list, not an object", "day"),
}


@pytest.mark.parametrize("name", list(BAD_ISSUES))
def test_a_bad_issue_fails_its_day_or_the_range_when_its_day_is_unknown(name: str):
    change, phrase, scope = BAD_ISSUES[name]
    listing = [dict(first_issue(D6), **change)]
    with serve_replay(FIXTURE) as fake:
        fake.set_faults([{"match": "/repos/acme/kernels/issues?", "fault": "json", "body": listing, "times": None}])
        batches = {b.day: b for b in source(fake.url).fetch(KERNELS, [D5, D6, D7])}
        tiny = list(source(fake.url).fetch(TINY, [D6]))
    assert tiny[0].ok
    failed = [d for d, b in batches.items() if not b.ok]
    assert failed == ([D5, D6, D7] if scope == "all" else [D6]), {d: b.error for d, b in batches.items()}
    err = batches[D6].error
    assert phrase.replace("a object", "an object") in err or phrase in err, err
    assert "/repos/acme/kernels/issues?" in err
    core_rows(list(batches.values()))


def test_text_is_normalised_and_string_counts_are_read_with_a_note():
    item = dict(first_issue(D6), title="fix\u202e txt.exe\u200b gemm \ud800 \x1b[31mred\x00 Cafe\u0301",
                body="a\u2066b\u2069c\u200dd\ufeff\x07", comments="12")
    with serve_replay(FIXTURE) as fake:
        fake.set_faults([{"match": "/repos/acme/kernels/issues?", "fault": "json", "body": [item], "times": None}])
        (b,) = source(fake.url).fetch(KERNELS, [D6])
    assert b.ok, b.error
    (issue,) = [e.payload for e in b.events if e.kind == "issue"]
    assert issue["title"] == "fix txt.exe gemm \ufffd \u241b[31mred\u2400 Caf\u00e9"
    assert issue["body"] == "abcd\u2407"
    assert issue["comments"] == 12 and any("'comments' was sent as the string '12'; read as 12" in n for n in b.notes)
    core_rows([b])


def test_replay_validates_too_and_names_the_file(tmp_path: Path):
    root = tmp_path / "replay"
    shutil.copytree(FIXTURE, root)
    path = root / "2026-01-06" / "acme__kernels" / "issues.json"
    items = json.loads(path.read_text())
    items[1]["number"] = 2**40
    path.write_text(json.dumps(items))
    batches = {b.day: b for b in ReplaySource(root).fetch(KERNELS, [D5, D6, D7])}
    assert batches[D5].ok and batches[D7].ok
    assert batches[D6].error == f"{path}: issue item 1: field 'number' is {2**40}, outside 1..2147483647"


def test_git_payload_text_is_normalised(tmp_path: Path):
    from infra_digest.sources.git import GitSource
    from infra_digest_tests.test_git_source import WorkRepo

    home = tmp_path / "home"
    home.mkdir()
    r = WorkRepo(tmp_path / "remote", home)
    r.write("a.txt", "a\n")
    r.commit("evil\u202e title\x1b[2J\n\nbody\u200b", "2026-03-01T10:00:00Z")
    (b,) = GitSource(tmp_path / "m", remotes={"o/r": str(r.path)}).fetch(RepoSpec("o/r", "R"), [dt.date(2026, 3, 1)])
    assert b.ok and b.events[0].payload["commit"]["message"] == "evil title\u241b[2J\n\nbody"


# -- 14.2: no path from data -----------------------------------------------------------------------------------
def test_replay_never_reads_outside_its_directory(tmp_path: Path):
    root = tmp_path / "replay"
    shutil.copytree(FIXTURE, root)
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"sha": "1" * 40, "commit": {"committer": {"date": "2026-01-06T10:00:00Z"}, "message": "SECRET"}}))
    folder = root / "2026-01-06" / "acme__tiny"
    item = {"sha": "../../../secret", "commit": {"committer": {"date": "2026-01-06T10:00:00Z"}}}
    (folder / "commits_list.json").write_text(json.dumps([item]))
    (b,) = ReplaySource(root).fetch(TINY, [D6])
    assert not b.ok and "'sha' is not 40 lower-case hex characters" in b.error and "SECRET" not in repr(b)
    # a symbolic link inside the directory that points out of it is not followed either
    sha = "2" * 40
    (folder / "commits").mkdir(exist_ok=True)
    (folder / "commits" / f"{sha}.json").symlink_to(secret)
    (folder / "commits_list.json").write_text(json.dumps([dict(item, sha=sha)]))
    (b,) = ReplaySource(root).fetch(TINY, [D6])
    assert not b.ok and "outside the replay directory" in b.error and "SECRET" not in repr(b)


def test_record_mode_never_writes_outside_its_directory(tmp_path: Path):
    bad = "../../../../" + str(tmp_path / "x").lstrip("/")
    listing = json.loads((FIXTURE / "2026-01-05" / "acme__tiny" / "commits_list.json").read_text())
    listing[0]["sha"] = bad
    rec = tmp_path / "deep" / "er" / "rec"
    with serve_replay(FIXTURE) as fake:
        fake.set_faults([{"match": "/repos/acme/tiny/commits?", "fault": "json", "body": listing, "times": None}])
        (b,) = RecordingSource(source(fake.url), rec).fetch(TINY, [D5])
        assert not any("/commits/.." in r.path or "%2F" in r.path for r in fake.requests)
    assert not b.ok and "'sha' is not 40 lower-case hex characters" in b.error
    assert not (tmp_path / "x.json").exists() and not [p for p in tmp_path.rglob("*.json") if rec not in p.parents]


# -- 14.5/14.6: deadlines and the budget -----------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["trickle", "trickle_headers"])
def test_a_trickling_server_is_cut_off_at_the_request_deadline(fault: str):
    with serve_replay(FIXTURE) as fake:
        fake.set_faults([{"match": "/repos/acme/kernels/commits?", "fault": fault, "interval": 0.1, "size": 400, "times": None}])
        t0 = time.monotonic()
        src = source(fake.url, timeout=1.0, request_deadline=0.8)
        batches = list(src.fetch(KERNELS, [D5]))
        elapsed = time.monotonic() - t0
        tiny = list(src.fetch(TINY, [D5]))
    # the old client read on (each byte within the 1 s read timeout) for 40 s and then had the answer
    assert not batches[0].ok and "request deadline" in batches[0].error, batches[0].error
    assert elapsed < 15, elapsed
    assert not tiny[0].ok and "not asked again" in tiny[0].error  # the server proved stuck: no more minutes spent on it


def test_a_server_that_never_answers_costs_one_deadline_not_minutes_per_repository():
    with serve_replay(FIXTURE) as fake:
        fake.set_faults([{"match": "/repos/", "fault": "hang", "times": None}])
        src = source(fake.url, timeout=0.3, request_deadline=0.5)
        batches = [b for repo in (KERNELS, TINY, RepoSpec("acme/other", "O")) for b in src.fetch(repo, [D5, D6])]
        sent = len(fake.requests)
    assert all(not b.ok for b in batches)
    assert "timeout" in batches[0].error or "deadline" in batches[0].error, batches[0].error
    assert sent == 2  # one request and one retry, then the server is not asked again (the old code: 6 per repository)
    assert all("not asked again" in b.error for b in batches[2:])


def test_the_fetch_budget_ends_the_run_s_fetching():
    with serve_replay(FIXTURE) as fake:
        fake.set_faults([{"match": "/repos/", "fault": "slow", "delay": 0.3, "times": None}])
        src = source(fake.url, timeout=2.0, fetch_budget=1.0)
        first = list(src.fetch(KERNELS, [D5]))
        n = len(fake.requests)
        later = list(src.fetch(TINY, [D5]))
        assert len(fake.requests) == n  # nothing sent once the budget is spent
    assert not first[0].ok and "fetch budget of 1s is spent" in first[0].error
    assert not later[0].ok and "fetch budget" in later[0].error


def test_a_rate_limit_wait_beyond_the_budget_fails_instead_of_waiting():
    with serve_replay(FIXTURE) as fake:
        fake.set_faults([{"match": "/issues", "fault": "rate_limit", "reset_in": 600}])
        logs = Logs()
        (b,) = source(fake.url, logs, fetch_budget=60.0, max_rate_limit_wait=900.0).fetch(KERNELS, [D5])
    assert not b.ok and "fetch budget" in b.error and logs.sleeps == []


# -- 14.7: secrets are redacted before anything is cut --------------------------------------------------------------
def _pieces(token: str, n: int = 8) -> list[str]:
    return [token[i : i + n] for i in range(len(token) - n + 1)]


def test_no_piece_of_the_token_reaches_errors_notes_stats_logs_cache_or_records(tmp_path: Path, caplog):
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "h.duckdb"
    rec = tmp_path / "rec"
    logs = Logs()
    out: list[DayBatch] = []
    scenarios = [
        # 266 characters of padding + "Authorization: Bearer " puts the token across a 300-character cut
        [{"match": "/repos/acme/kernels/issues", "fault": "echo_auth", "where": "body", "status": 403, "pad": 266}],
        [{"match": "/repos/acme/kernels/issues", "fault": "echo_auth", "where": "body", "status": 422, "pad": 280}],
        [{"match": "/repos/acme/kernels/commits?", "fault": "echo_auth", "where": "reason", "status": 403, "pad": 266}],
        [{"match": "/repos/acme/kernels/commits?", "fault": "echo_auth", "where": "reason", "status": 502, "times": None}],
        [{"match": "/repos/acme/kernels/pulls", "fault": "echo_auth", "where": "retry_after"}],
        [{"match": "/repos/acme/kernels/pulls", "fault": "echo_auth", "where": "etag"}],
        [{"match": "/repos/acme/kernels/commits?", "fault": "echo_auth", "where": "link"}],
    ]
    with serve_replay(FIXTURE, token=TOKEN) as fake:
        for faults in scenarios:
            fake.set_faults(faults)
            src = RecordingSource(source(fake.url, logs, cache=DuckDBHttpCache(db), max_retries=1), rec)
            out += list(src.fetch(KERNELS, [D5, D6]))
        assert {a for a in fake.authorizations} == {f"Bearer {TOKEN}"}
    assert sum(1 for b in out if not b.ok) >= 4 and any(b.ok for b in out)
    assert any("xxxxxxxx" in (b.error or "") for b in out)  # the echoing messages did reach the errors, redacted
    text = [json.dumps([b.error, b.notes, b.stats]) for b in out] + logs.lines + [caplog.text]
    text += [p.read_text() for p in rec.rglob("*.json")]
    with connect(db) as conn:
        text.append(json.dumps(conn.execute("SELECT * FROM raw.http_cache").fetchall(), default=str))
    blob = "\n".join(text)
    leaked = [p for p in _pieces(TOKEN) if p in blob]
    assert not leaked, leaked
    raw = db.read_bytes()
    assert not [p for p in _pieces(TOKEN) if p.encode() in raw]


def test_git_remote_credentials_never_reach_errors_notes_or_logs(tmp_path: Path):
    from infra_digest.sources.git import GitSource

    secret = "ghp_gitREMOTEsecret0123456789"
    remote = f"https://x-access-token:{secret}@127.0.0.1:9/acme/kernels.git"
    lines: list[str] = []
    (b,) = GitSource(tmp_path / "m", remotes={"acme/kernels": remote}, log=lines.append).fetch(KERNELS, [D5])
    assert not b.ok and "***@127.0.0.1:9" in b.error
    blob = json.dumps([b.error, b.notes, b.stats]) + "\n".join(lines)
    assert not [p for p in _pieces(secret) if p in blob]
