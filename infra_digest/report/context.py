"""Assemble one day's report context from core, classified and summary rows. Pure: no I/O.

The context is plain data (dicts, lists, strings) that the templates, the extractive summarizer and the
LLM summarizer all read. A squash-merged pull request and its commit become one change, shown once with
both the sha and ``#N``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from infra_digest.watchlist import RepoSpec

CHANGE_TYPES = ("fix", "feature", "perf", "revert", "refactor", "build", "ci", "test", "docs", "other")
ISSUE_TYPES = ("bug", "feature-request", "question", "roadmap", "ci-failure", "other")
FILES_SHOWN = 3  # the largest few files named per change, the rest counted

_PR_SUFFIX = re.compile(r"\s*\(#\d+\)\s*$")


def _key(repo: str, kind: str, item_id: Any) -> tuple[str, str, str]:
    return (repo, kind, str(item_id))


def _labels_of(change: Mapping[str, Any] | None) -> dict[str, Any]:
    if not change:
        return {"change_type": "other", "hardware": [], "precision": [], "topics": [], "models": [], "rules": []}
    return {k: list(change.get(k) or []) if k != "change_type" else change.get(k) or "other"
            for k in ("change_type", "hardware", "precision", "topics", "models", "rules")}


def _top_files(files: Sequence[Mapping[str, Any]], n: int = FILES_SHOWN) -> list[dict[str, Any]]:
    ranked = sorted(files, key=lambda f: (-(f.get("additions", 0) + f.get("deletions", 0)), f.get("filename") or ""))
    return [{"previous_filename": None, **f} for f in ranked[:n]]


def _fmt_time(ts: dt.datetime | None) -> str | None:
    return ts.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if ts else None


def build_context(
    day: dt.date,
    watchlist: Sequence[RepoSpec],
    commits: Iterable[Mapping[str, Any]],
    pull_requests: Iterable[Mapping[str, Any]],
    issues: Iterable[Mapping[str, Any]],
    changes: Iterable[Mapping[str, Any]],
    fetch_log: Iterable[Mapping[str, Any]] = (),
    item_texts: Mapping[tuple[str, str, str], str] | None = None,
) -> dict[str, Any]:
    item_texts = item_texts or {}
    labels = {_key(c["repo"], c["item_kind"], c["item_id"]): c for c in changes}
    status = {f["repo"]: f for f in fetch_log}
    by_repo: dict[str, dict[str, list]] = {r.repo: {"commits": [], "prs": [], "issues": []} for r in watchlist}
    for c in commits:
        if c["repo"] in by_repo:
            by_repo[c["repo"]]["commits"].append(c)
    for p in pull_requests:
        if p["repo"] in by_repo:
            by_repo[p["repo"]]["prs"].append(p)
    for i in issues:
        if i["repo"] in by_repo:
            by_repo[i["repo"]]["issues"].append(i)

    repos_ctx = []
    for spec in watchlist:
        data = by_repo[spec.repo]
        prs = {p["number"]: p for p in data["prs"]}
        shown_prs: set[int] = set()
        change_items = []
        for c in sorted(data["commits"], key=lambda c: (c["committed_at"], c["sha"]), reverse=True):
            pr = prs.get(c["pr_number"]) if c.get("pr_number") else None
            if pr is not None:
                shown_prs.add(pr["number"])
            files = c.get("files") or []
            lab = _labels_of(labels.get(_key(spec.repo, "commit", c["sha"])))
            change_items.append({
                "kind": "commit",
                "id": c["sha"],
                "sha": c["sha"],
                "short_sha": c["short_sha"],
                "url": c["url"],
                "title": _PR_SUFFIX.sub("", c["title"]) if c.get("pr_number") else c["title"],
                "pr_number": c.get("pr_number"),
                "pr_url": (pr or {}).get("url") or (f"{spec.html_url}/pull/{c['pr_number']}" if c.get("pr_number") else None),
                "author": c.get("author_login") or c.get("author_name") or "unknown",
                "author_is_login": bool(c.get("author_login")),
                "time": _fmt_time(c.get("committed_at")),
                "files_changed": c["files_changed"],
                "additions": c["additions"],
                "deletions": c["deletions"],
                "files": _top_files(files),
                "files_more": max(c["files_changed"] - FILES_SHOWN, 0),
                "files_truncated": c.get("files_truncated", False),
                "is_merge": c.get("is_merge", False),
                "gist": item_texts.get(_key(spec.repo, "commit", c["sha"])),
                **lab,
            })
        new_prs = []
        for p in sorted(data["prs"], key=lambda p: p["number"], reverse=True):
            lab = _labels_of(labels.get(_key(spec.repo, "pull_request", p["number"])))
            entry = {
                "kind": "pull_request",
                "id": str(p["number"]),
                "number": p["number"],
                "url": p["url"],
                "title": p.get("title"),
                "author": p.get("author_login") or "unknown",
                "author_is_login": bool(p.get("author_login")),
                "time": _fmt_time(p.get("created_at")),
                "merged_time": _fmt_time(p.get("merged_at")),
                "additions": p.get("additions"),
                "deletions": p.get("deletions"),
                "changed_files": p.get("changed_files"),
                "labels": list(p.get("labels") or []),
                "body": p.get("body"),
                "opened_in_day": p.get("opened_in_day"),
                "merged_in_day": p.get("merged_in_day"),
                "gist": item_texts.get(_key(spec.repo, "pull_request", p["number"])),
                **lab,
            }
            if p.get("merged_in_day") and p["number"] not in shown_prs:
                # merged in the day without its commit among the day's commits: a change of its own
                change_items.append({**entry, "sha": p.get("merge_commit_sha"), "short_sha": (p.get("merge_commit_sha") or "")[:7] or None,
                                     "pr_number": p["number"], "pr_url": p["url"], "files": [], "files_more": 0,
                                     "files_changed": p.get("changed_files"), "files_truncated": False, "is_merge": False})
                shown_prs.add(p["number"])
            elif p.get("opened_in_day") and not p.get("merged_in_day"):
                new_prs.append(entry)
        issue_items = []
        for i in sorted(data["issues"], key=lambda i: i["number"], reverse=True):
            lab = _labels_of(labels.get(_key(spec.repo, "issue", i["number"])))
            issue_items.append({
                "kind": "issue",
                "id": str(i["number"]),
                "number": i["number"],
                "url": i["url"],
                "title": i.get("title"),
                "author": i.get("author_login") or "unknown",
                "author_is_login": bool(i.get("author_login")),
                "time": _fmt_time(i.get("created_at")),
                "body": i.get("body"),
                "labels": list(i.get("labels") or []),
                "gist": item_texts.get(_key(spec.repo, "issue", i["number"])),
                **lab,
            })
        groups = []
        for ct in CHANGE_TYPES:
            items = [c for c in change_items if c["change_type"] == ct]
            if items:
                groups.append({"type": ct, "entries": items})
        unknown = [c for c in change_items if c["change_type"] not in CHANGE_TYPES]
        if unknown:
            groups.append({"type": "other", "entries": unknown})
        issue_groups = []
        for it in ISSUE_TYPES:
            items = [i for i in issue_items if (i["change_type"] if i["change_type"] in ISSUE_TYPES else "other") == it]
            if items:
                issue_groups.append({"type": it, "entries": items})
        log = status.get(spec.repo) or {}
        failed = log.get("status") == "failed"
        has_any = bool(change_items or new_prs or issue_items)
        repos_ctx.append({
            "repo": spec.repo,
            "name": spec.name,
            "url": spec.html_url,
            "status": "failed" if failed else ("active" if has_any else ("unknown" if not log else "quiet")),
            "error": log.get("error"),
            "source": log.get("source"),
            "notes": list(log.get("notes") or []),  # kept for metadata; the report shows only what it can say in its language
            "stale": any("may be stale" in str(n) for n in log.get("notes") or []),
            "changes": change_items,
            "change_groups": groups,
            "new_prs": new_prs,
            "issues": issue_items,
            "issue_groups": issue_groups,
            "counts": {
                "commits": len(data["commits"]),
                "merged_prs": sum(1 for p in data["prs"] if p.get("merged_in_day")),
                "new_prs": len(new_prs),
                "issues": len(issue_items),
                "changes": len(change_items),
            },
            "paragraph": None,
        })

    totals = Counter()
    for r in repos_ctx:
        totals.update(r["counts"])
    sources = sorted({r["source"] for r in repos_ctx if r["source"]})
    return {
        "day": day.isoformat(),
        "repos": repos_ctx,
        "totals": {k: totals.get(k, 0) for k in ("commits", "merged_prs", "new_prs", "issues", "changes")},
        "repo_count": len(repos_ctx),
        "active_repos": [r["repo"] for r in repos_ctx if r["status"] == "active"],
        "failed_repos": [r["repo"] for r in repos_ctx if r["status"] == "failed"],
        "unknown_repos": [r["repo"] for r in repos_ctx if r["status"] == "unknown"],
        "sources": sources,
        "summary": None,
        "overview": None,
    }


def iter_items(ctx: Mapping[str, Any]) -> Iterable[tuple[dict, dict]]:
    """(repo_ctx, item) for every change, new PR and issue in the context."""
    for r in ctx["repos"]:
        for item in (*r["changes"], *r["new_prs"], *r["issues"]):
            yield r, item
