"""raw payloads -> typed core rows. Pure functions: no I/O, no Dagster.

The same code derives core tables for every source, so a commit fetched from the GitHub API, replayed
from a recording or read from a git mirror gives the same ``core.commits`` row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra_digest.classify.inputs import first_line
from infra_digest.sources.base import day_of, parse_ts

# "(#1234)" at the end of a squash-merge title, or GitHub's merge-commit title.
_PR_SUFFIX = re.compile(r"\(#(\d+)\)\s*$")
_PR_MERGE = re.compile(r"^Merge pull request #(\d+)\b")

GITHUB_FILE_CAP = 3000  # GitHub lists at most 3000 files of a commit


def pr_number_from_title(title: str) -> int | None:
    m = _PR_SUFFIX.search(title) or _PR_MERGE.search(title)
    return int(m.group(1)) if m else None


def _login(obj: Any) -> str | None:
    return obj.get("login") if isinstance(obj, Mapping) else None


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _labels(item: Mapping[str, Any]) -> list[str]:
    out = []
    for label in item.get("labels") or []:
        name = label.get("name") if isinstance(label, Mapping) else label
        if isinstance(name, str) and name:
            out.append(name)
    return out


def commit_row(repo: str, day: dt.date, payload: Mapping[str, Any], source: str) -> dict[str, Any]:
    sha = payload["sha"]
    commit = payload.get("commit") or {}
    author = commit.get("author") or {}
    committer = commit.get("committer") or {}
    message = commit.get("message") or ""
    title = first_line(message) or "(no commit message)"
    files = []
    sum_add = sum_del = 0
    for f in payload.get("files") or []:
        entry = {
            "filename": f.get("filename"),
            "status": f.get("status"),
            "additions": _int(f.get("additions")),
            "deletions": _int(f.get("deletions")),
        }
        if f.get("previous_filename"):
            entry["previous_filename"] = f["previous_filename"]
        sum_add += entry["additions"]
        sum_del += entry["deletions"]
        files.append(entry)
    stats = payload.get("stats")
    if isinstance(stats, Mapping):
        additions, deletions = _int(stats.get("additions")), _int(stats.get("deletions"))
        # A file list that does not add up to the commit's stats was cut short by the source.
        truncated = (sum_add, sum_del) != (additions, deletions) or len(files) >= GITHUB_FILE_CAP
    else:
        additions, deletions = sum_add, sum_del
        truncated = "files" not in payload
    parents = [p.get("sha") for p in payload.get("parents") or [] if isinstance(p, Mapping) and p.get("sha")]
    committed_at = parse_ts(committer.get("date"))
    if committed_at is None:
        raise ValueError(f"{repo} commit {sha}: no committer date")
    return {
        "repo": repo,
        "day": day,
        "sha": sha,
        "short_sha": sha[:7],
        "title": title,
        "message": message,
        "url": payload.get("html_url") or f"https://github.com/{repo}/commit/{sha}",
        "author_name": author.get("name"),
        "author_email": author.get("email"),
        "author_login": _login(payload.get("author")),
        "authored_at": parse_ts(author.get("date")),
        "committer_name": committer.get("name"),
        "committer_email": committer.get("email"),
        "committed_at": committed_at,
        "parents": parents,
        "is_merge": len(parents) > 1,
        "pr_number": pr_number_from_title(title),
        "files_changed": max(len(files), 0),
        "additions": additions,
        "deletions": deletions,
        "files": files,
        "files_truncated": bool(truncated),
        "source": source,
    }


def _issue_url(repo: str, item: Mapping[str, Any], is_pr: bool) -> str:
    if item.get("html_url"):
        return item["html_url"]
    return f"https://github.com/{repo}/{'pull' if is_pr else 'issues'}/{item['number']}"


@dataclass
class CoreRows:
    commits: list[dict[str, Any]] = field(default_factory=list)
    pull_requests: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)


def derive_core(
    repo: str,
    day: dt.date,
    events: Iterable[Mapping[str, Any]],
    tz: dt.tzinfo = dt.timezone.utc,
) -> CoreRows:
    """Turn one (repo, day) partition's raw events into core rows.

    ``events`` are mappings with ``kind``, ``id``, ``payload`` (dict) and ``source``.
    A pull request may come both as an ``issue`` item (issues listing) and a ``pull`` item (pulls listing):
    they are merged into one row, the ``pull`` item winning for merge facts.
    """
    rows = CoreRows()
    prs: dict[int, dict[str, Any]] = {}
    seen_commits: set[str] = set()
    for ev in events:
        kind, payload, source = ev["kind"], ev["payload"], ev["source"]
        if kind == "commit":
            if payload["sha"] in seen_commits:
                continue
            seen_commits.add(payload["sha"])
            rows.commits.append(commit_row(repo, day, payload, source))
        elif kind == "issue" and not payload.get("pull_request"):
            created = parse_ts(payload.get("created_at"))
            rows.issues.append(
                {
                    "repo": repo,
                    "day": day,
                    "number": int(payload["number"]),
                    "title": payload.get("title"),
                    "body": payload.get("body"),
                    "url": _issue_url(repo, payload, False),
                    "author_login": _login(payload.get("user")),
                    "state": payload.get("state"),
                    "labels": _labels(payload),
                    "created_at": created,
                    "comments": payload.get("comments") if isinstance(payload.get("comments"), int) else None,
                    "source": source,
                }
            )
        elif kind in ("issue", "pull"):
            number = int(payload["number"])
            merged_raw = payload.get("merged_at") if kind == "pull" else (payload.get("pull_request") or {}).get("merged_at")
            row = prs.setdefault(
                number,
                {
                    "repo": repo,
                    "day": day,
                    "number": number,
                    "title": None,
                    "body": None,
                    "url": None,
                    "author_login": None,
                    "state": None,
                    "labels": [],
                    "created_at": None,
                    "merged_at": None,
                    "opened_in_day": False,
                    "merged_in_day": False,
                    "merge_commit_sha": None,
                    "additions": None,
                    "deletions": None,
                    "changed_files": None,
                    "source": source,
                },
            )
            row["title"] = row["title"] or payload.get("title")
            row["body"] = row["body"] or payload.get("body")
            row["author_login"] = row["author_login"] or _login(payload.get("user"))
            row["state"] = payload.get("state") if kind == "pull" or row["state"] is None else row["state"]
            row["labels"] = sorted(set(row["labels"]) | set(_labels(payload)))
            row["created_at"] = row["created_at"] or parse_ts(payload.get("created_at"))
            row["merged_at"] = parse_ts(merged_raw) or row["merged_at"]
            if kind == "pull":
                row["url"] = payload.get("html_url") or row["url"]
                row["merge_commit_sha"] = payload.get("merge_commit_sha") if row["merged_at"] else None
                for k in ("additions", "deletions", "changed_files"):
                    if isinstance(payload.get(k), int):
                        row[k] = payload[k]
            row["url"] = row["url"] or (payload.get("pull_request") or {}).get("html_url") or _issue_url(repo, payload, True)
    for row in prs.values():
        row["opened_in_day"] = row["created_at"] is not None and day_of(row["created_at"].isoformat(), tz) == day
        row["merged_in_day"] = row["merged_at"] is not None and day_of(row["merged_at"].isoformat(), tz) == day
        if not row["opened_in_day"] and not row["merged_in_day"]:
            # recorded for this day with no known timestamp: count it as opened here
            row["opened_in_day"] = row["created_at"] is None and row["merged_at"] is None
        rows.pull_requests.append(row)
    rows.commits.sort(key=lambda r: (r["committed_at"], r["sha"]), reverse=True)
    rows.pull_requests.sort(key=lambda r: r["number"], reverse=True)
    rows.issues.sort(key=lambda r: r["number"], reverse=True)
    return rows
