"""raw payload -> core rows, and the replay source's day membership, as pure functions over small fixtures."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from infra_digest.demo.builders import commit, issue, write_replay
from infra_digest.sources.replay import ReplaySource
from infra_digest.sources.base import SourceError
from infra_digest.transform import CoreRowError, commit_row, derive_core, pr_number_from_title
from infra_digest.watchlist import RepoSpec, WatchlistError, parse_watchlist

D = dt.date(2026, 2, 18)
REPO = "vllm-project/vllm"


@pytest.mark.parametrize("title,expected", [
    ("[Bugfix] Fix lora tests (#34834)", 34834),
    ("Merge pull request #12 from a/b", 12),
    ("Bump to 4.4.0 cute dsl pin (#2262)  ", 2262),
    ("see #123 for details", None),
    ("(#12) at the start", None),
    ("Merge branch 'x' into 'main'", None),
])
def test_pr_number_from_title(title, expected):
    assert pr_number_from_title(title) == expected


def test_commit_row_fields_and_truncation():
    c = commit(REPO, "[Perf] Faster thing (#1)", body="Signed-off-by: x", login="dev", date="2026-02-18T23:52:50Z",
               files=[("a.py", "modified", 10, 5), ("b.py", "renamed", 0, 0, "old_b.py")])
    row = commit_row(REPO, D, c, "replay")
    assert row["short_sha"] == c["sha"][:7] and row["title"] == "[Perf] Faster thing (#1)"
    assert row["pr_number"] == 1 and row["author_login"] == "dev" and row["files_changed"] == 2
    assert (row["additions"], row["deletions"], row["files_truncated"]) == (10, 5, False)
    assert row["files"][1]["previous_filename"] == "old_b.py"
    assert row["committed_at"] == dt.datetime(2026, 2, 18, 23, 52, 50, tzinfo=dt.timezone.utc)
    # a file list that does not add up to the commit's stats was cut by the source
    c["stats"]["additions"] += 100
    assert commit_row(REPO, D, c, "github")["files_truncated"] is True
    assert commit_row(REPO, D, c, "github")["additions"] == 110  # the stats stay authoritative


def test_commit_with_odd_message_and_no_login():
    c = commit(REPO, "x", date="2026-02-18T01:00:00Z")
    c["commit"]["message"] = "\n\n  Ünïcödé title \udcff\n\nbody"
    c["author"] = None
    row = commit_row(REPO, D, c, "replay")
    assert row["title"].startswith("Ünïcödé title") and row["author_login"] is None
    c["commit"]["message"] = ""
    assert commit_row(REPO, D, c, "replay")["title"] == "(no commit message)"


def test_pull_request_from_issue_and_pull_listings_is_one_row():
    pr_issue = issue(REPO, 5, "Add X", created_at="2026-02-17T10:00:00Z", pull_request=True, labels=["ready"])
    pr_pull = {"number": 5, "title": "Add X", "html_url": f"https://github.com/{REPO}/pull/5", "state": "closed",
               "created_at": "2026-02-17T10:00:00Z", "merged_at": "2026-02-18T08:00:00Z", "merge_commit_sha": "abc",
               "additions": 7, "deletions": 1, "changed_files": 2, "user": {"login": "u"}, "labels": [{"name": "v1"}]}
    rows = derive_core(REPO, D, [
        {"kind": "issue", "id": "5", "payload": pr_issue, "source": "github"},
        {"kind": "pull", "id": "5", "payload": pr_pull, "source": "github"},
    ])
    assert len(rows.pull_requests) == 1 and not rows.issues
    pr = rows.pull_requests[0]
    assert pr["merged_in_day"] and not pr["opened_in_day"]
    assert (pr["additions"], pr["deletions"], pr["changed_files"], pr["merge_commit_sha"]) == (7, 1, 2, "abc")
    assert pr["labels"] == ["ready", "v1"] and pr["author_login"] == "octocat"


def test_replay_day_membership(tmp_path):
    vllm = RepoSpec(REPO, "vLLM")
    late = commit(REPO, "late", date="2026-02-18T23:59:59Z")
    early = commit(REPO, "early", date="2026-02-19T00:00:00Z")
    root = write_replay(tmp_path, [(REPO, late), (REPO, early)],
                        [("2026-02-18", REPO, issue(REPO, 1, "created on the 17th", created_at="2026-02-17T23:00:00Z")),
                         ("2026-02-18", REPO, issue(REPO, 2, "time unknown", created_at=None))],
                        recorded=[("2026-02-17", REPO), ("2026-02-19", REPO)])  # an absent folder = not recorded
    src = ReplaySource(root)
    b17, b18, b19 = src.fetch(vllm, [dt.date(2026, 2, 17), D, dt.date(2026, 2, 19)])
    assert [e.id for e in b17.events] == ["1"]
    assert sorted(e.id for e in b18.events) == sorted([late["sha"], "2"])
    assert [e.id for e in b19.events] == [early["sha"]]
    assert all(b.ok for b in (b17, b18, b19))


def test_replay_errors_name_the_file(tmp_path):
    root = write_replay(tmp_path, [(REPO, commit(REPO, "x", date="2026-02-18T05:00:00Z"))])
    folder = root / "2026-02-18" / "vllm-project__vllm"
    (folder / "commits_list.json").write_text(json.dumps({"not": "a list"}))
    (batch,) = ReplaySource(root).fetch(RepoSpec(REPO, "vLLM"), [D])
    assert not batch.ok and "commits_list.json: expected a JSON list" in batch.error and batch.events == []
    (folder / "commits_list.json").write_bytes(b"\xff\xfe[")
    (batch,) = ReplaySource(root).fetch(RepoSpec(REPO, "vLLM"), [D])
    assert "is not UTF-8" in batch.error or "not valid JSON" in batch.error
    with pytest.raises(SourceError, match="does not exist"):
        ReplaySource(tmp_path / "nope")


def test_watchlist_validation():
    specs = parse_watchlist({"repos": [{"repo": "a/b"}, {"repo": "c/d", "name": "D", "branch": "dev"}]})
    assert [s.repo for s in specs] == ["a/b", "c/d"] and specs[1].branch == "dev" and specs[0].name == "b"
    for bad in ({}, {"repos": []}, {"repos": [{"repo": "nope"}]}, {"repos": [{"repo": "a/b"}, {"repo": "A/B"}]},
                {"repos": [{"repo": "a/b|c"}]}):
        with pytest.raises(WatchlistError):
            parse_watchlist(bad)


def test_combined_source_takes_commits_from_one_and_issues_from_the_other(tmp_path):
    from infra_digest.sources.combined import CombinedSource

    c1 = commit(REPO, "from git", date="2026-02-18T05:00:00Z")
    c2 = commit(REPO, "from api (ignored)", date="2026-02-18T06:00:00Z")
    a = write_replay(tmp_path / "a", [(REPO, c1)], [("2026-02-18", REPO, issue(REPO, 1, "ignored issue"))])
    b = write_replay(tmp_path / "b", [(REPO, c2)], [("2026-02-18", REPO, issue(REPO, 2, "kept", created_at="2026-02-18T01:00:00Z"))])
    (batch,) = CombinedSource(commits=ReplaySource(a), others=ReplaySource(b)).fetch(RepoSpec(REPO, "vLLM"), [D])
    assert batch.ok and sorted((e.kind, e.id) for e in batch.events) == [("commit", c1["sha"]), ("issue", "2")]
    assert "commits from replay, issues and PRs from replay" in batch.notes
    (folder := b / "2026-02-18" / "vllm-project__vllm" / "issues.json").write_text("[")
    (batch,) = CombinedSource(commits=ReplaySource(a), others=ReplaySource(b)).fetch(RepoSpec(REPO, "vLLM"), [D])
    assert not batch.ok and batch.error.startswith("replay: ") and str(folder) in batch.error


# ------------------------------------------------------------------------------------------------ hostile payloads
# The sources validate payloads; derive_core is still defensive: what it cannot store fails with a CoreRowError
# (a ValueError naming the repository, the item and the field), never an AttributeError, an OverflowError or a
# number the INTEGER columns reject.

@pytest.mark.parametrize("title", [
    "Fix x (#99999999999999999999)", "Fix x (#2147483648)", "Fix x (#0)", "Merge pull request #99999999999999999999 from a/b",
    "Fix x (#" + "9" * 5000 + ")",  # int() of more than 4300 digits raises in Python 3.11
])
def test_out_of_range_pr_number_is_not_a_pr_reference(title):
    assert pr_number_from_title(title) is None
    row = commit_row(REPO, D, commit(REPO, title, date="2026-02-18T05:00:00Z"), "github")
    assert row["pr_number"] is None and row["title"] == title


def test_largest_pr_number_that_fits_is_kept():
    assert pr_number_from_title("Fix x (#2147483647)") == 2147483647


def _events(*payloads, kind="issue"):
    return [{"kind": kind, "id": str(i), "payload": p, "source": "github"} for i, p in enumerate(payloads)]


@pytest.mark.parametrize("number", [2**40, -1, 0, True, 1.5, "12a", None])
def test_issue_number_out_of_range_names_the_field(number):
    bad = issue(REPO, 1, "x")
    bad["number"] = number
    with pytest.raises(CoreRowError, match=r"vllm-project/vllm issue .*: number is"):
        derive_core(REPO, D, _events(bad))


def _commit_with(mutate):
    c = commit(REPO, "Fix x", date="2026-02-18T05:00:00Z", files=[("a.py", "modified", 1, 0)])
    mutate(c)
    return c


@pytest.mark.parametrize("mutate,field", [
    (lambda c: c.pop("sha"), "sha is None"),
    (lambda c: c.update(sha="../../../../tmp/x"), "sha is '../../../../tmp/x'"),
    (lambda c: c.update(files=["a.py", "b.py"]), "files[0] is str, expected an object"),
    (lambda c: c.update(files="a.py"), "files is str, expected a list"),
    (lambda c: c["commit"].update(author="Ada <ada@example.com>"), "commit.author is str, expected an object"),
    (lambda c: c["commit"]["committer"].update(date="9999-12-31T23:59:59-05:00"), "commit.committer.date is not a timestamp"),
    (lambda c: c["commit"]["author"].update(date=1771390000), "commit.author.date is not a timestamp"),
    (lambda c: c["commit"]["author"].update(date="1850-01-01T00:00:00Z"), "commit.author.date is not a timestamp"),
    (lambda c: c["files"][0].update(additions="12"), "files[0].additions '12' is not a count"),
    (lambda c: c["files"][0].update(additions=float("inf")), "files[0].additions inf is not a count"),
    (lambda c: c["stats"].update(additions=2**40), "stats.additions 1099511627776 is not a count"),
    (lambda c: c["commit"].update(message=["not", "text"]), "commit.message is list, expected text"),
])
def test_malformed_commit_fields_fail_with_the_field_named(mutate, field):
    with pytest.raises(CoreRowError) as err:
        derive_core(REPO, D, _events(_commit_with(mutate), kind="commit"))
    assert field in str(err.value) and REPO in str(err.value)


@pytest.mark.parametrize("field,value,expected", [
    ("created_at", "9999-12-31T23:59:59-05:00", "created_at is not a timestamp"),
    ("created_at", 1771390000, "created_at is not a timestamp"),
    ("title", {"x": 1}, "title is dict, expected text"),
])
def test_malformed_issue_fields_fail_with_the_field_named(field, value, expected):
    bad = issue(REPO, 7, "x")
    bad[field] = value
    with pytest.raises(CoreRowError, match=rf"issue #7: {expected}"):
        derive_core(REPO, D, _events(bad))


def test_lone_surrogate_becomes_storable_text():
    import duckdb

    c = commit(REPO, "Fix X in title (#12)", date="2026-02-18T05:00:00Z")
    c["commit"]["message"] = "Fix \ud800 in title (#12)"  # valid JSON ("\\ud800"), not valid UTF-8
    i = issue(REPO, 3, "Crash on \udfff", body="body \ud83d end", created_at="2026-02-18T01:00:00Z")
    rows = derive_core(REPO, D, _events(c, kind="commit") + _events(i))
    title, issue_title, body = rows.commits[0]["title"], rows.issues[0]["title"], rows.issues[0]["body"]
    assert (title, issue_title, body) == ("Fix \ufffd in title (#12)", "Crash on \ufffd", "body \ufffd end")
    assert rows.commits[0]["pr_number"] == 12
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a VARCHAR, b VARCHAR, c VARCHAR)")
    con.execute("INSERT INTO t VALUES (?, ?, ?)", [title, issue_title, body])  # raised UnicodeEncodeError before
    assert con.execute("SELECT a FROM t").fetchone()[0] == title


def test_unsafe_html_url_is_replaced_by_the_github_url():
    c = _commit_with(lambda c: c.update(html_url="javascript:alert(1)"))
    i = issue(REPO, 4, "x", created_at="2026-02-18T01:00:00Z")
    i["html_url"] = "https://evil.example/phish) [Login](javascript:alert(1))"
    rows = derive_core(REPO, D, _events(c, kind="commit") + _events(i))
    assert rows.commits[0]["url"] == f"https://github.com/{REPO}/commit/{c['sha']}"
    assert rows.issues[0]["url"] == f"https://github.com/{REPO}/issues/4"


def test_a_complete_list_of_more_files_than_githubs_cap_is_not_truncated():
    files = [(f"csrc/k{i}.cu", "added", 1, 0) for i in range(5000)]
    row = commit_row(REPO, D, commit(REPO, "Add kernels", date="2026-02-18T05:00:00Z", files=files), "git")
    assert row["files_changed"] == 5000 and not row["files_truncated"]
    capped = commit(REPO, "Add kernels", date="2026-02-18T05:00:00Z", files=files[:3000])
    assert commit_row(REPO, D, capped, "github")["files_truncated"]  # exactly GitHub's cap: probably cut
