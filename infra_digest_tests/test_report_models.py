"""The typed day: built once from rows, never changed; staleness and failure are fields; reads go through an
explicit DayReader rather than state hidden behind the connection."""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pytest

from infra_digest.models import CHANGE_TYPE_RANK, Change, DayContext, Labels
from infra_digest.report.context import build_context, is_stale
from infra_digest.report.render import render
from infra_digest.storage.db import apply_ddl
from infra_digest.storage.reads import DayReader, prefetch, read_day
from infra_digest.summarize.extractive import summarize_extractive
from infra_digest.summarize.prompt_data import notable_changes, ranked_changes
from infra_digest.watchlist import RepoSpec

D = dt.date(2026, 2, 18)
T = dt.datetime(2026, 2, 18, 3, 4, tzinfo=dt.timezone.utc)
WATCH = (RepoSpec("a/one", "One"), RepoSpec("b/two", "Two"), RepoSpec("c/three", "Three"))


def _commit(repo, sha, title, pr=None, add=1, dele=1):
    return {"repo": repo, "day": D, "sha": sha, "short_sha": sha[:7], "title": title, "url": f"https://github.com/{repo}/commit/{sha}",
            "author_login": None, "author_name": "Dev", "committed_at": T, "files_changed": 1, "additions": add, "deletions": dele,
            "files": [{"filename": "a.py", "status": "modified", "additions": add, "deletions": dele}], "files_truncated": False,
            "is_merge": False, "pr_number": pr}


def _label(repo, kind, item_id, ct, hw=()):
    return {"repo": repo, "item_kind": kind, "item_id": str(item_id), "change_type": ct, "hardware": list(hw),
            "precision": [], "topics": [], "models": [], "rules": []}


def _ctx(log) -> DayContext:
    commits = [_commit("a/one", "a" * 40, "fix: crash (#12)", pr=12), _commit("a/one", "b" * 40, "perf: faster", add=300)]
    labels = [_label("a/one", "commit", "a" * 40, "fix", ["nvidia-hopper"]), _label("a/one", "commit", "b" * 40, "perf")]
    return build_context(D, WATCH, commits, [], [], labels, log)


def test_context_is_typed_and_frozen():
    ctx = _ctx([{"repo": "a/one", "status": "ok", "source": "git", "notes": []},
                {"repo": "b/two", "status": "failed", "source": "git", "notes": [], "error": "boom"}])
    one, two, three = ctx.repos
    assert (one.status, two.status, three.status) == ("active", "failed", "unknown")
    assert two.failed and two.error == "boom" and ctx.failed_repos == ["b/two"] and ctx.unknown_repos == ["c/three"]
    fix = next(c for c in one.changes if c.pr_number == 12)
    assert isinstance(fix, Change) and fix.title == "fix: crash" and fix.labels == Labels("fix", hardware=("nvidia-hopper",))
    assert fix.key == ("a/one", "commit", "a" * 40) and fix.author == "Dev" and not fix.author_is_login
    assert ctx.totals.changes == 2 and ctx.totals.commits == 2 and one.counts.as_dict()["changes"] == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.status = "quiet"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fix.title = "x"  # type: ignore[misc]
    before = repr(ctx)
    for lang in ("zh", "en"):
        render(ctx, summarize_extractive(ctx, lang), lang, generated_at="-", sources_line="-", summarizer_line="-")
    assert repr(ctx) == before


@pytest.mark.parametrize("log,stale", [
    ({"stale": True, "notes": []}, True),
    ({"stale": False, "notes": ["git fetch failed (x): data may be stale (mirror last updated y)"]}, False),  # the field wins
    ({"notes": ["git fetch failed (x): data may be stale (mirror last updated y)"]}, True),  # a row stored before the field
    ({"stale": None, "notes": ["git fetch failed (x): data may be stale (mirror last updated y)"]}, True),  # NULL: same
    ({"stale": None, "notes": []}, False),
    ({"notes": ["file list truncated"]}, False),
    ({}, False),
])
def test_staleness_is_a_field(log, stale):
    assert is_stale(log) is stale
    ctx = _ctx([{"repo": "a/one", "status": "ok", "source": "git", **log}])
    assert ctx.repos[0].stale is stale
    md, _ = render(ctx, summarize_extractive(ctx, "en"), "en", generated_at="-", sources_line="-", summarizer_line="-")
    assert ("may be stale" in md) is stale


def test_staleness_of_rows_read_back_from_the_history():
    """A row read back from raw.fetch_log always has a ``stale`` key (NULL on rows stored before the column): those
    fall back to the note; rows of today's sources say it in the column."""
    conn = duckdb.connect(":memory:")
    apply_ddl(conn)
    note = '["git fetch failed (x): data may be stale (mirror last updated y)"]'
    conn.execute("INSERT INTO raw.fetch_log (repo, day, source, status, notes, items, fetched_at) "
                 "VALUES ('a/one', ?, 'git', 'ok', ?, 0, now())", [D, note])  # an old row: stale NULL
    conn.execute("INSERT INTO raw.fetch_log (repo, day, source, status, notes, items, fetched_at, stale) "
                 "VALUES ('b/two', ?, 'git', 'ok', ?, 0, now(), false)", [D, note])
    conn.execute("INSERT INTO raw.fetch_log (repo, day, source, status, notes, items, fetched_at, stale) "
                 "VALUES ('c/three', ?, 'git', 'ok', '[]', 0, now(), true)", [D])
    rows = DayReader(conn, [D]).load_day(D)["fetch_log"]
    assert all("stale" in r for r in rows)
    ctx = build_context(D, WATCH, [], [], [], [], rows)
    assert [r.stale for r in ctx.repos] == [True, False, True]


def test_one_ranking_of_change_types():
    ctx = _ctx([])
    ranked = ranked_changes(ctx.repos[0].changes)
    assert ranked[0].pr_number == 12  # tagged first
    assert [c.change_type for c in notable_changes(ctx.repos[0])] == ["fix", "perf"]
    assert CHANGE_TYPE_RANK["perf"] > CHANGE_TYPE_RANK["fix"]


def test_day_reader_is_explicit_and_hides_nothing_behind_the_connection():
    conn = duckdb.connect(":memory:")
    apply_ddl(conn)
    days = [D, D + dt.timedelta(days=1)]

    def log(day, repo):
        conn.execute("INSERT INTO raw.fetch_log (repo, day, source, status, items, fetched_at) VALUES (?, ?, 'replay', 'ok', 0, now())",
                     [repo, day])

    log(D, "a/one")
    reader = DayReader(conn, days)
    assert [r["repo"] for r in reader.read(D, "raw.fetch_log")] == ["a/one"]
    with prefetch(conn, days) as pf:
        assert [r["repo"] for r in pf.load_day(D)["fetch_log"]] == ["a/one"]
        log(D, "b/two")
        # a plain read is a plain read, even while a reader for the same connection exists
        assert sorted(r["repo"] for r in read_day(conn, "raw.fetch_log", D)) == ["a/one", "b/two"]
    assert [r["repo"] for r in reader.read(D, "raw.fetch_log")] == ["a/one"]  # the reader's own snapshot
    assert sorted(r["repo"] for r in DayReader(conn, days).read(D, "raw.fetch_log")) == ["a/one", "b/two"]
    rows = reader.read(D, "raw.fetch_log")
    rows[0]["repo"] = "changed"
    assert reader.read(D, "raw.fetch_log")[0]["repo"] == "a/one"  # callers get copies
