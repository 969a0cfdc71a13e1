"""Fuzz over every field the sources read (issue 14.10): each malformed payload either parses or fails its
repository-day cleanly; nothing raises out of a source, and what passed validation never crashes the
derivation of core rows. A deterministic generator of ours (seeded), a few hundred cases, a few seconds."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from infra_digest.sources import validate
from infra_digest.sources.base import DayBatch
from infra_digest.sources.github import GitHubClient, GitHubConfig, GitHubSource
from infra_digest.sources.replay import ReplaySource
from infra_digest.transform import derive_core
from infra_digest.watchlist import RepoSpec
from infra_digest_tests.fakes import serve_replay

FIXTURE = Path(__file__).parent / "fixtures" / "github_replay"
KERNELS = RepoSpec("acme/kernels", "Kernels", branch="main")
D6 = dt.date(2026, 1, 6)
FOLDER = FIXTURE / "2026-01-06" / "acme__kernels"

# every field a source or the derivation reads, by payload kind
FIELDS = {
    "commit": [
        ("sha",), ("commit",), ("commit", "committer"), ("commit", "committer", "date"), ("commit", "committer", "name"),
        ("commit", "committer", "email"), ("commit", "author"), ("commit", "author", "date"), ("commit", "author", "name"),
        ("commit", "author", "email"), ("commit", "message"), ("author",), ("author", "login"), ("committer",),
        ("committer", "login"), ("html_url",), ("parents",), ("parents", 0), ("parents", 0, "sha"), ("stats",),
        ("stats", "additions"), ("stats", "deletions"), ("stats", "total"), ("files",), ("files", 0),
        ("files", 0, "filename"), ("files", 0, "status"), ("files", 0, "additions"), ("files", 0, "deletions"),
        ("files", 0, "changes"), ("files", 0, "previous_filename"),
    ],
    "issue": [
        ("number",), ("title",), ("body",), ("state",), ("html_url",), ("user",), ("user", "login"), ("labels",),
        ("labels", 0), ("created_at",), ("updated_at",), ("closed_at",), ("comments",), ("pull_request",),
        ("pull_request", "merged_at"), ("pull_request", "html_url"),
    ],
    "pull": [
        ("number",), ("title",), ("body",), ("state",), ("html_url",), ("user",), ("user", "login"), ("labels",),
        ("created_at",), ("merged_at",), ("merge_commit_sha",), ("additions",), ("deletions",), ("changed_files",),
    ],
    "release": [
        ("tag_name",), ("name",), ("body",), ("draft",), ("prerelease",), ("published_at",), ("created_at",),
        ("html_url",), ("author",), ("author", "login"),
    ],
}
RELEASE = {"tag_name": "v1.0.0", "name": "v1.0.0", "draft": False, "prerelease": False, "body": "notes",
           "created_at": "2026-01-06T09:00:00Z", "published_at": "2026-01-06T10:00:00Z",
           "html_url": "https://github.com/acme/kernels/releases/tag/v1.0.0", "author": {"login": "bot"}}

HOSTILE: list[Any] = [
    None, "", 0, -1, 1, 2**31, 2**40, 10**30, 1.5, float("inf") if False else 1e308, True, [], {}, ["x"], [1, 2], {"a": 1},
    "x" * 5000, "\ud800", "\udfff tail", "\u202e\u2066\u200b\u200d\ufeff", "\x00\x07\x1b[2J\x7f\x85", "Cafe\u0301",
    "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2026-13-45T99:99:99Z",
    "2026-01-06T10:00:00+14:00", "2026-01-06T10:00:00", 1767700000, "12", " 7 ", "-3", "1e3", "../../etc/passwd",
    "A" * 40, "g" * 40, "0" * 40, "javascript:alert(1)", {"login": ["x"]}, [{"name": None}], [{"name": 5}],
]


def _base(kind: str) -> dict:
    if kind == "commit":
        sha = json.loads((FOLDER / "commits_list.json").read_text())[0]["sha"]
        return json.loads((FOLDER / "commits" / f"{sha}.json").read_text())
    if kind == "issue":
        return json.loads((FOLDER / "issues.json").read_text())[0]
    if kind == "release":
        return copy.deepcopy(RELEASE)
    return json.loads((FOLDER / "pulls.json").read_text())[0]


def _set(payload: Any, path: tuple, value: Any, delete: bool) -> Any:
    target = payload
    for key in path[:-1]:
        if isinstance(target, dict) and key in target:
            target = target[key]
        elif isinstance(target, list) and isinstance(key, int) and len(target) > key:
            target = target[key]
        else:
            return payload  # the path does not exist in this payload: replace its parent's value instead
    last = path[-1]
    if isinstance(target, dict):
        if delete:
            target.pop(last, None)
        else:
            target[last] = value
    elif isinstance(target, list) and isinstance(last, int) and len(target) > last:
        target[last] = value
    return payload


def cases(n: int, seed: int = 20261201) -> list[tuple[str, Any, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = rng.choice(list(FIELDS))
        payload = copy.deepcopy(_base(kind))
        desc = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            path = rng.choice(FIELDS[kind])
            delete = rng.random() < 0.15
            value = rng.choice(HOSTILE)
            payload = _set(payload, path, copy.deepcopy(value), delete)
            desc.append(f"{'.'.join(map(str, path))}={'<deleted>' if delete else repr(value)[:30]}")
        if rng.random() < 0.03:
            payload = rng.choice(HOSTILE)  # the whole item
        out.append((kind, payload, f"case {i}: {kind} " + ", ".join(desc)))
    return out


CASES = cases(300)


def _derive(batches: list[DayBatch], source: str) -> None:
    for b in batches:
        if b.ok:
            derive_core(b.repo, b.day, [{"kind": e.kind, "id": e.id, "payload": e.payload, "source": source} for e in b.events])


def _check(batches: list[DayBatch], days: list[dt.date], desc: str, source: str) -> None:
    assert [b.day for b in batches] == days, desc
    for b in batches:
        assert b.ok or (isinstance(b.error, str) and b.error), desc
    try:
        _derive(batches, source)
    except Exception as exc:  # pragma: no cover - the assertion message is the point
        pytest.fail(f"{desc}: a validated payload crashed derive_core: {type(exc).__name__}: {exc}")


def test_validators_only_accept_or_raise_invalid():
    for kind, payload, desc in CASES:
        try:
            clean = validate.VALIDATORS[kind](copy.deepcopy(payload), "fuzz", notes=[])
        except validate.Invalid:
            continue
        except Exception as exc:  # pragma: no cover
            pytest.fail(f"{desc}: {type(exc).__name__}: {exc}")
        json.dumps(clean)  # still plain JSON
        if kind == "commit":
            _derive([DayBatch("acme/kernels", D6, events=[_ev("commit", clean["sha"], clean)])], "fuzz")


def _ev(kind, id_, payload):
    from infra_digest.sources.base import RawEvent

    return RawEvent(kind, id_, payload)


def test_replay_source_never_raises(tmp_path: Path):
    root = tmp_path / "replay"
    shutil.copytree(FIXTURE, root)
    folder = root / "2026-01-06" / "acme__kernels"
    sha = json.loads((folder / "commits_list.json").read_text())[0]["sha"]
    days = [dt.date(2026, 1, 5), D6, dt.date(2026, 1, 7)]
    outcomes = {"ok": 0, "failed": 0}
    for kind, payload, desc in CASES:
        path = folder / ("commits" if kind == "commit" else "") / (f"{sha}.json" if kind == "commit" else f"{kind}s.json")
        original = path.read_text() if path.exists() else None
        if kind == "commit":
            path.write_text(json.dumps(payload))
        else:
            items = json.loads(original) if original else [None]
            path.write_text(json.dumps([payload, *items[1:]]))
        try:
            batches = list(ReplaySource(root).fetch(KERNELS, days))
        finally:
            if original is None:
                path.unlink()
            else:
                path.write_text(original)
        _check(batches, days, desc, "replay")
        assert batches[0].ok, desc  # the folder of the 6th never fails the 5th
        outcomes["ok" if batches[1].ok else "failed"] += 1
    assert outcomes["ok"] > 30 and outcomes["failed"] > 100, outcomes  # the generator reaches both outcomes


def test_github_source_never_raises():
    days = [dt.date(2026, 1, 5), D6, dt.date(2026, 1, 7)]
    sha = json.loads((FOLDER / "commits_list.json").read_text())[0]["sha"]
    issues = json.loads((FOLDER / "issues.json").read_text())
    outcomes = {"ok": 0, "failed": 0}
    with serve_replay(FIXTURE) as fake:
        client = GitHubClient(GitHubConfig(fake.url, timeout=2.0, max_retries=0), None, http_cache=None, log=lambda m: None)
        for kind, payload, desc in CASES[::2]:  # 150 cases over HTTP
            if kind == "commit":
                faults = [{"match": f"/commits/{sha}", "fault": "json", "body": payload, "times": None}]
            elif kind == "issue":
                faults = [{"match": "/repos/acme/kernels/issues?", "fault": "json", "body": [payload, *issues[1:]], "times": None}]
            elif kind == "pull":
                faults = [{"match": "/repos/acme/kernels/pulls?", "fault": "json", "body": [payload], "times": None}]
            else:
                faults = [{"match": "/repos/acme/kernels/releases?", "fault": "json", "body": [payload], "times": None}]
            fake.set_faults(faults)
            batches = list(GitHubSource(client, releases=True).fetch(KERNELS, days))
            _check(batches, days, desc, "github")
            outcomes["ok" if all(b.ok for b in batches) else "failed"] += 1
    assert outcomes["ok"] > 15 and outcomes["failed"] > 50, outcomes
