"""raw payloads -> typed core rows. Pure functions: no I/O, no Dagster.

The same code derives core tables for every source, so a commit fetched from the GitHub API, replayed
from a recording or read from a git mirror gives the same ``core.commits`` row.

Payloads are validated by the sources; this module is still defensive: a field it cannot store (a number
out of range, a date out of range, an object where text is expected) raises :class:`CoreRowError` naming
the repository, the item and the field, so the caller can fail that repository-day only. Text is stored as
given, except that lone UTF-16 surrogates (valid JSON, not storable) become U+FFFD.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra_digest.classify.inputs import first_line
from infra_digest.sources.base import day_of, parse_ts

__all__ = ["CoreRowError", "CoreRows", "commit_row", "derive_core", "first_line", "pr_number_from_title"]

# "(#1234)" at the end of a squash-merge title, or GitHub's merge-commit title.  Ten digits at most: a longer
# number is not a pull request (and would not fit the INTEGER column).
_PR_SUFFIX = re.compile(r"\(#(\d{1,10})\)\s*$")
_PR_MERGE = re.compile(r"^Merge pull request #(\d{1,10})\b")

GITHUB_FILE_CAP = 3000  # GitHub lists at most 3000 files of a commit
MAX_INT = 2**31 - 1  # numbers and counts are INTEGER columns
_SHA = re.compile(r"[0-9a-fA-F]{4,64}")
# An html_url from the payload is kept only when it is a plain https URL (no spaces, quotes, brackets or
# parentheses that could break out of a link); otherwise the GitHub URL is built from the repository.
_SAFE_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::\d{1,5})?/[A-Za-z0-9._~/%+=&?#@:,;!*$-]*")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Timestamps outside this window are not GitHub activity.
_TS_MIN = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_TS_MAX = dt.datetime(2200, 1, 1, tzinfo=dt.timezone.utc)


class CoreRowError(ValueError):
    """A payload field that cannot become a core row (names the repository, the item and the field)."""


def pr_number_from_title(title: str) -> int | None:
    """The PR number of a squash-merge ("... (#123)") or merge-commit title; None if absent or out of range."""
    m = _PR_SUFFIX.search(title) or _PR_MERGE.search(title)
    if not m:
        return None
    n = int(m.group(1))
    return n if 0 < n <= MAX_INT else None


def _text(value: Any) -> Any:
    """Strings with lone surrogates made storable; anything else unchanged."""
    if isinstance(value, str) and not value.isascii() and _SURROGATE.search(value):
        return _SURROGATE.sub("\ufffd", value)
    return value


def _login(obj: Any) -> str | None:
    login = obj.get("login") if isinstance(obj, Mapping) else None
    return _text(login) if isinstance(login, str) else None


def _int(value: Any) -> int:
    """A count as stored: ints and integral floats in range; absent (None) is 0."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_INT:
        return value
    raise ValueError(f"{value!r} is not a count (0..{MAX_INT})")


def _labels(item: Mapping[str, Any]) -> list[str]:
    out = []
    raw = item.get("labels")
    for label in raw if isinstance(raw, list) else []:
        name = label.get("name") if isinstance(label, Mapping) else label
        if isinstance(name, str) and name:
            out.append(_text(name))
    return out


class _Item:
    """Field access for one payload that names the repository, the item and the field on failure."""

    def __init__(self, repo: str, what: str):
        self.repo, self.what = repo, what

    def fail(self, path: str, problem: str) -> CoreRowError:
        return CoreRowError(f"{self.repo} {self.what}: {path} {problem}")

    def obj(self, value: Any, path: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(path, f"is {type(value).__name__}, expected an object")
        return value

    def text(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(path, f"is {type(value).__name__}, expected text")
        return _text(value)

    def count(self, value: Any, path: str) -> int:
        try:
            return _int(value)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None

    def number(self, value: Any, path: str) -> int:
        if isinstance(value, str) and value.isdigit() and len(value) <= 10:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_INT:
            raise self.fail(path, f"is {value!r}, expected an issue/PR number (1..{MAX_INT})")
        return value

    def ts(self, value: Any, path: str) -> dt.datetime | None:
        if value is None or value == "":
            return None
        try:
            ts = parse_ts(value) if isinstance(value, str) else None
        except (ValueError, OverflowError) as exc:
            raise self.fail(path, f"is not a timestamp ({value!r:.60}: {exc})") from None
        if ts is None or not _TS_MIN <= ts < _TS_MAX:
            raise self.fail(path, f"is not a timestamp between {_TS_MIN:%Y} and {_TS_MAX:%Y} ({value!r:.60})")
        return ts

    def url(self, value: Any, fallback: str) -> str:
        return value if isinstance(value, str) and _SAFE_URL.fullmatch(value) else fallback


def commit_row(repo: str, day: dt.date, payload: Mapping[str, Any], source: str) -> dict[str, Any]:
    sha = payload.get("sha")
    if not isinstance(sha, str) or not _SHA.fullmatch(sha):
        raise CoreRowError(f"{repo} commit: sha is {sha!r:.60}, expected a hexadecimal commit id")
    it = _Item(repo, f"commit {sha}")
    commit = it.obj(payload.get("commit"), "commit")
    author = it.obj(commit.get("author"), "commit.author")
    committer = it.obj(commit.get("committer"), "commit.committer")
    message = it.text(commit.get("message"), "commit.message") or ""
    title = first_line(message) or "(no commit message)"
    raw_files = payload.get("files")
    if raw_files is not None and not isinstance(raw_files, list):
        raise it.fail("files", f"is {type(raw_files).__name__}, expected a list")
    files = []
    sum_add = sum_del = 0
    for i, f in enumerate(raw_files or []):
        f = it.obj(f, f"files[{i}]")
        entry = {
            "filename": it.text(f.get("filename"), f"files[{i}].filename"),
            "status": it.text(f.get("status"), f"files[{i}].status"),
            "additions": it.count(f.get("additions"), f"files[{i}].additions"),
            "deletions": it.count(f.get("deletions"), f"files[{i}].deletions"),
        }
        if f.get("previous_filename"):
            entry["previous_filename"] = it.text(f["previous_filename"], f"files[{i}].previous_filename")
        sum_add += entry["additions"]
        sum_del += entry["deletions"]
        files.append(entry)
    stats = payload.get("stats")
    if isinstance(stats, Mapping):
        additions, deletions = it.count(stats.get("additions"), "stats.additions"), it.count(stats.get("deletions"), "stats.deletions")
        # A file list that does not add up to the commit's stats was cut short by the source; a list of
        # exactly GitHub's cap probably was too.  A longer list (a git mirror) is complete.
        truncated = (sum_add, sum_del) != (additions, deletions) or len(files) == GITHUB_FILE_CAP
    else:
        additions, deletions = it.count(sum_add, "files (sum of additions)"), it.count(sum_del, "files (sum of deletions)")
        truncated = "files" not in payload
    parents = [p.get("sha") for p in payload.get("parents") or [] if isinstance(p, Mapping) and isinstance(p.get("sha"), str)]
    committed_at = it.ts(committer.get("date"), "commit.committer.date")
    if committed_at is None:
        raise ValueError(f"{repo} commit {sha}: no committer date")
    return {
        "repo": repo,
        "day": day,
        "sha": sha,
        "short_sha": sha[:7],
        "title": title,
        "message": message,
        "url": it.url(payload.get("html_url"), f"https://github.com/{repo}/commit/{sha}"),
        "author_name": it.text(author.get("name"), "commit.author.name"),
        "author_email": it.text(author.get("email"), "commit.author.email"),
        "author_login": _login(payload.get("author")),
        "authored_at": it.ts(author.get("date"), "commit.author.date"),
        "committer_name": it.text(committer.get("name"), "commit.committer.name"),
        "committer_email": it.text(committer.get("email"), "commit.committer.email"),
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


def _issue_url(repo: str, it: _Item, item: Mapping[str, Any], number: int, is_pr: bool) -> str:
    return it.url(item.get("html_url"), f"https://github.com/{repo}/{'pull' if is_pr else 'issues'}/{number}")


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
    Raises :class:`CoreRowError` (a ValueError) for a payload field that cannot be stored.
    """
    rows = CoreRows()
    prs: dict[int, dict[str, Any]] = {}
    seen_commits: set[str] = set()
    for ev in events:
        kind, payload, source = ev["kind"], ev["payload"], ev["source"]
        if not isinstance(payload, Mapping):
            raise CoreRowError(f"{repo} {kind} {ev.get('id')!r:.60}: payload is {type(payload).__name__}, expected an object")
        if kind == "commit":
            row = commit_row(repo, day, payload, source)
            if row["sha"] in seen_commits:
                continue
            seen_commits.add(row["sha"])
            rows.commits.append(row)
            continue
        if kind not in ("issue", "pull"):
            continue
        number = _Item(repo, f"{kind} {ev.get('id')!r:.60}").number(payload.get("number"), "number")
        it = _Item(repo, f"{'pull request' if kind == 'pull' or payload.get('pull_request') else 'issue'} #{number}")
        if kind == "issue" and not payload.get("pull_request"):
            rows.issues.append(
                {
                    "repo": repo,
                    "day": day,
                    "number": number,
                    "title": it.text(payload.get("title"), "title"),
                    "body": it.text(payload.get("body"), "body"),
                    "url": _issue_url(repo, it, payload, number, False),
                    "author_login": _login(payload.get("user")),
                    "state": it.text(payload.get("state"), "state"),
                    "labels": _labels(payload),
                    "created_at": it.ts(payload.get("created_at"), "created_at"),
                    "comments": payload.get("comments") if isinstance(payload.get("comments"), int)
                    and not isinstance(payload.get("comments"), bool) and 0 <= payload["comments"] <= MAX_INT else None,
                    "source": source,
                }
            )
            continue
        pr_link = it.obj(payload.get("pull_request") if kind == "issue" else None, "pull_request")
        merged_raw = payload.get("merged_at") if kind == "pull" else pr_link.get("merged_at")
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
        row["title"] = row["title"] or it.text(payload.get("title"), "title")
        row["body"] = row["body"] or it.text(payload.get("body"), "body")
        row["author_login"] = row["author_login"] or _login(payload.get("user"))
        row["state"] = it.text(payload.get("state"), "state") if kind == "pull" or row["state"] is None else row["state"]
        row["labels"] = sorted(set(row["labels"]) | set(_labels(payload)))
        row["created_at"] = row["created_at"] or it.ts(payload.get("created_at"), "created_at")
        row["merged_at"] = it.ts(merged_raw, "merged_at") or row["merged_at"]
        if kind == "pull":
            row["url"] = it.url(payload.get("html_url"), "") or row["url"]
            sha = payload.get("merge_commit_sha")
            row["merge_commit_sha"] = _text(sha) if row["merged_at"] and isinstance(sha, str) else None
            for k in ("additions", "deletions", "changed_files"):
                if payload.get(k) is not None:
                    row[k] = it.count(payload.get(k), k)
        row["url"] = row["url"] or it.url(pr_link.get("html_url"), "") or _issue_url(repo, it, payload, number, True)
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
