"""Build one day's :class:`~infra_digest.models.DayContext` from core, classified and fetch-log rows. Pure: no I/O.

A squash-merged pull request and its commit become one change, shown once with both the sha and ``#N``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from infra_digest.models import (
    CHANGE_TYPES,
    ISSUE_TYPES,
    Change,
    Counts,
    DayContext,
    Discussion,
    FileChange,
    Issue,
    Labels,
    PullRequest,
    Release,
    RepoDay,
)
from infra_digest.derive.discussions import hot
from infra_digest.watchlist import RepoSpec

__all__ = ["CHANGE_TYPES", "ISSUE_TYPES", "FILES_SHOWN", "build_context", "is_stale", "recorded_kinds"]

FILES_SHOWN = 3  # the largest few files named per change, the rest counted

_PR_SUFFIX = re.compile(r"\s*\(#\d+\)\s*$")


def is_stale(log: Mapping[str, Any]) -> bool:
    """Whether a repository-day's data may be stale, from its ``raw.fetch_log`` row.

    The source says so in its ``stale`` field (``DayBatch.stale``). A row written before that column existed reads
    back with ``stale`` NULL (``SELECT *`` always has the key): only the git source's note says it then, so a row
    whose field is missing or NULL falls back to that note."""
    if log.get("stale") is not None:
        return bool(log["stale"])
    return any("may be stale" in str(n) for n in log.get("notes") or [])  # legacy rows only


def recorded_kinds(log: Mapping[str, Any]) -> frozenset[str] | None:
    """Which kinds of item ("commits", "issues", "pulls") the source recorded for a repository-day, from its
    ``raw.fetch_log`` row (``recorded`` field, or ``stats.recorded``); None when the row does not say (then every
    kind counts as recorded, as before the field existed)."""
    value = log.get("recorded")
    if value is None and isinstance(log.get("stats"), Mapping):
        value = log["stats"].get("recorded")
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(str(v) for v in value)
    return None


def _labels(row: Mapping[str, Any] | None) -> Labels:
    if not row:
        return Labels()
    return Labels(change_type=row.get("change_type") or "other",
                  **{k: tuple(row.get(k) or ()) for k in ("hardware", "precision", "topics", "models", "rules", "flags")})


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _file(f: Mapping[str, Any]) -> FileChange:
    """A file entry of ``core.commits.files`` (JSON) as a typed record: a field of the wrong type is left out."""
    return FileChange(filename=_opt_str(f.get("filename")) or "?", status=_opt_str(f.get("status")),
                      additions=_count(f.get("additions")), deletions=_count(f.get("deletions")),
                      previous_filename=_opt_str(f.get("previous_filename")))


def _top_files(files: Any, n: int = FILES_SHOWN) -> tuple[FileChange, ...]:
    typed = [_file(f) for f in files if isinstance(f, Mapping)] if isinstance(files, Sequence) else []
    ranked = sorted(typed, key=lambda f: (-(f.additions + f.deletions), f.filename))
    return tuple(ranked[:n])


def _message_body(message: Any) -> str | None:
    """A commit message without its first line (the title), or None."""
    if not isinstance(message, str) or "\n" not in message:
        return None
    return message.split("\n", 1)[1].strip() or None


def _ancestors(starts: Iterable[str], parents: Mapping[str, tuple[str, ...]]) -> set[str]:
    """Every commit of the day reachable from ``starts`` (included) through parent links within the day."""
    seen: set[str] = set()
    stack = [s for s in starts if s in parents]
    while stack:
        sha = stack.pop()
        if sha in seen:
            continue
        seen.add(sha)
        stack.extend(p for p in parents[sha] if p in parents and p not in seen)
    return seen


def fold_merges(changes: Sequence[Change]) -> list[Change]:
    """A merge and the commits of the day it brings are one change: the commits reached only through a merge's
    second (and further) parents, not through its first, are taken out of the list and put under the merge
    (``Change.merged``, newest first). A commit brought by several merges goes under the newest. Changes that
    are not commits, and merges whose brought commits are not of the day, are left as they are."""
    commits = {c.sha: c for c in changes if c.item_kind == "commit" and c.sha}
    parents = {sha: c.parents for sha, c in commits.items()}
    merges = [c for c in changes if c.item_kind == "commit" and c.is_merge and len(c.parents) > 1]
    if not merges:
        return list(changes)
    claimed: dict[str, str] = {}
    for m in merges:  # changes come newest first: the newest merge claims first
        brought = _ancestors(m.parents[1:], parents) - _ancestors(m.parents[:1], parents)
        for sha in brought:
            claimed.setdefault(sha, m.sha)
    out = []
    for c in changes:
        if c.sha in claimed and c.item_kind == "commit":
            continue
        if c.is_merge and c.sha and any(v == c.sha for v in claimed.values()):
            inner = tuple(x for x in changes if x.item_kind == "commit" and claimed.get(x.sha) == c.sha)
            c = dataclasses.replace(c, merged=inner)
        out.append(c)
    return out


def _author(login: str | None, name: str | None = None) -> tuple[str | None, bool]:
    return (login or name or None), bool(login)


def build_context(
    day: dt.date,
    watchlist: Sequence[RepoSpec],
    commits: Iterable[Mapping[str, Any]],
    pull_requests: Iterable[Mapping[str, Any]],
    issues: Iterable[Mapping[str, Any]],
    changes: Iterable[Mapping[str, Any]],
    fetch_log: Iterable[Mapping[str, Any]] = (),
    releases: Iterable[Mapping[str, Any]] = (),
    discussions: Iterable[Mapping[str, Any]] = (),
    first_timers: Mapping[str, Sequence[str]] | None = None,
) -> DayContext:
    """``releases``, ``discussions``: ``core.releases`` / ``core.discussions`` rows of the day; ``first_timers``:
    per repository, the authors whose first commit in the history held lands on the day."""
    labels = {(c["repo"], c["item_kind"], str(c["item_id"])): c for c in changes}
    status = {f["repo"]: f for f in fetch_log}
    by_repo: dict[str, dict[str, list]] = {r.repo: {"commits": [], "prs": [], "issues": [], "releases": [],
                                                    "discussions": []} for r in watchlist}
    first_timers = first_timers or {}
    for kind, rows in (("commits", commits), ("prs", pull_requests), ("issues", issues), ("releases", releases),
                       ("discussions", discussions)):
        for row in rows:
            if row["repo"] in by_repo:
                by_repo[row["repo"]][kind].append(row)
    return DayContext(day=day, repos=tuple(
        dataclasses.replace(_repo_day(spec, by_repo[spec.repo], labels, status.get(spec.repo)),
                            **_beyond(spec, by_repo[spec.repo], status.get(spec.repo), first_timers.get(spec.repo) or ()))
        for spec in watchlist))


def _beyond(spec: RepoSpec, data: Mapping[str, list], log: Mapping[str, Any] | None,
            first_timers: Sequence[str]) -> dict[str, Any]:
    """A repository-day's releases, hot discussions and first-time contributors (issue 17)."""
    if log and log.get("status") == "failed":
        return {}
    releases = tuple(Release(
        repo=spec.repo, tag=r["tag"], url=r["url"], name=r.get("name"), published_at=r.get("published_at"),
        prerelease=r.get("prerelease"), nightly=bool(r.get("nightly")), lightweight=bool(r.get("lightweight")),
        notes=r.get("notes_excerpt"), notes_items=_count(r.get("notes_items")))
        for r in sorted(data["releases"], key=lambda r: (r.get("published_at") is not None, r.get("published_at") or 0,
                                                         r["tag"]), reverse=True))
    stats = (log or {}).get("stats")
    recorded = isinstance(stats, Mapping) and "discussions" in stats
    shown = tuple(Discussion(
        repo=spec.repo, number=r["number"], url=r["url"], title=r.get("title"), is_pr=bool(r.get("is_pr")),
        comments=_count(r.get("comments")), reactions=_count(r.get("reactions")), new_in_day=bool(r.get("new_in_day")),
        state=r.get("state")) for r in hot(data["discussions"]))
    return {"releases": releases, "hot": shown, "hot_recorded": recorded or bool(data["discussions"]),
            "first_timers": tuple(first_timers)}


def _repo_day(spec: RepoSpec, data: Mapping[str, list], labels: Mapping[tuple, Mapping[str, Any]],
              log: Mapping[str, Any] | None) -> RepoDay:
    repo = spec.repo
    prs = {p["number"]: p for p in data["prs"]}
    shown_prs: set[int] = set()
    change_items: list[Change] = []
    for c in sorted(data["commits"], key=lambda c: (c["committed_at"], c["sha"]), reverse=True):
        pr = prs.get(c["pr_number"]) if c.get("pr_number") else None
        if pr is not None:
            shown_prs.add(pr["number"])
        author, is_login = _author(c.get("author_login"), c.get("author_name"))
        change_items.append(Change(
            repo=repo, id=c["sha"], url=c["url"],
            title=_PR_SUFFIX.sub("", c["title"]) if c.get("pr_number") else c["title"],
            author=author, author_is_login=is_login, labels=_labels(labels.get((repo, "commit", c["sha"]))),
            sha=c["sha"], short_sha=c["short_sha"], pr_number=c.get("pr_number"),
            pr_url=(pr or {}).get("url") or (f"{spec.html_url}/pull/{c['pr_number']}" if c.get("pr_number") else None),
            time=c.get("committed_at"), files_changed=c["files_changed"], additions=c["additions"], deletions=c["deletions"],
            files=_top_files(c.get("files") or []), files_more=max(c["files_changed"] - FILES_SHOWN, 0),
            files_truncated=bool(c.get("files_truncated", False)), is_merge=bool(c.get("is_merge", False)),
            message=_message_body(c.get("message")), parents=tuple(str(p) for p in c.get("parents") or ()),
        ))
    change_items = fold_merges(change_items)
    new_prs: list[PullRequest] = []
    for p in sorted(data["prs"], key=lambda p: p["number"], reverse=True):
        lab = _labels(labels.get((repo, "pull_request", str(p["number"]))))
        author, is_login = _author(p.get("author_login"))
        if p.get("merged_in_day") and p["number"] not in shown_prs:
            # merged in the day without its commit among the day's commits: a change of its own
            sha = p.get("merge_commit_sha")
            change_items.append(Change(
                repo=repo, id=str(p["number"]), url=p["url"], title=p.get("title"), author=author, author_is_login=is_login,
                labels=lab, sha=sha, short_sha=(sha or "")[:7] or None, pr_number=p["number"], pr_url=p["url"],
                time=p.get("created_at"), files_changed=p.get("changed_files"), additions=p.get("additions"),
                deletions=p.get("deletions"), body=p.get("body"), item_kind="pull_request"))
            shown_prs.add(p["number"])
        elif p.get("opened_in_day") and not p.get("merged_in_day"):
            new_prs.append(PullRequest(
                repo=repo, id=str(p["number"]), url=p["url"], title=p.get("title"), author=author, author_is_login=is_login,
                labels=lab, number=p["number"], created_at=p.get("created_at"), merged_at=p.get("merged_at"),
                additions=p.get("additions"), deletions=p.get("deletions"), changed_files=p.get("changed_files"),
                body=p.get("body"), github_labels=tuple(p.get("labels") or ()), merge_commit_sha=p.get("merge_commit_sha")))
    issue_items = []
    for i in sorted(data["issues"], key=lambda i: i["number"], reverse=True):
        author, is_login = _author(i.get("author_login"))
        issue_items.append(Issue(
            repo=repo, id=str(i["number"]), url=i["url"], title=i.get("title"), author=author, author_is_login=is_login,
            labels=_labels(labels.get((repo, "issue", str(i["number"])))), number=i["number"], created_at=i.get("created_at"),
            body=i.get("body"), github_labels=tuple(i.get("labels") or ())))
    log = log or {}
    recorded = recorded_kinds(log)

    def counted(kind: str, n: int) -> int | None:
        return None if recorded is not None and kind not in recorded and n == 0 else n

    merged = {p["number"] for p in data["prs"] if p.get("merged_in_day")}
    merged |= {c["pr_number"] for c in data["commits"] if c.get("pr_number")}  # squash merges "(#N)" and merge commits
    if log.get("status") == "failed":
        status = "failed"
    elif change_items or new_prs or issue_items:
        status = "active"
    else:
        status = "quiet" if log else "unknown"
    return RepoDay(
        repo=repo, name=spec.name, url=spec.html_url, status=status, error=log.get("error"), source=log.get("source"),
        notes=tuple(str(n) for n in log.get("notes") or ()), stale=is_stale(log),
        changes=tuple(change_items), new_prs=tuple(new_prs), issues=tuple(issue_items),
        counts=Counts(commits=counted("commits", len(data["commits"])), merged_prs=len(merged),
                      new_prs=counted("pulls", len(new_prs)), issues=counted("issues", len(issue_items)),
                      changes=len(change_items)),
    )
