"""Build GitHub-shaped payloads and write them in the replay layout.

Used to make the shipped demo dataset, the tests' small fixtures and the benchmarks' generated history.
The shapes follow ``GET /repos/{o}/{r}/commits/{sha}`` and ``GET /repos/{o}/{r}/issues``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

API = "https://api.github.com/repos"


def fake_sha(*parts: object) -> str:
    return hashlib.sha1("\0".join(map(str, parts)).encode()).hexdigest()


def commit(
    repo: str,
    title: str,
    *,
    sha: str | None = None,
    body: str = "",
    author: tuple[str, str] = ("Ada Dev", "ada@example.com"),
    login: str | None = None,
    date: str = "2026-03-02T10:00:00Z",
    committer_date: str | None = None,
    committer: tuple[str, str] = ("GitHub", "noreply@github.com"),
    files: Sequence[tuple] = (("README.md", "modified", 1, 0),),
    parents: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A commit detail object. ``files`` items: (filename, status, additions, deletions[, previous_filename])."""
    sha = sha or fake_sha(repo, title, date)
    message = f"{title}\n\n{body}".rstrip() if body else title
    parents = list(parents) if parents is not None else [fake_sha(repo, "parent", sha)]
    file_objs = []
    for f in files:
        name, status, add, dele = f[:4]
        obj = {"filename": name, "status": status, "additions": add, "deletions": dele, "changes": add + dele}
        if len(f) > 4:
            obj["previous_filename"] = f[4]
        file_objs.append(obj)
    adds = sum(f["additions"] for f in file_objs)
    dels = sum(f["deletions"] for f in file_objs)
    cdate = committer_date or date
    return {
        "sha": sha,
        "commit": {
            "author": {"name": author[0], "email": author[1], "date": date},
            "committer": {"name": committer[0], "email": committer[1], "date": cdate},
            "message": message,
            "tree": {"sha": fake_sha("tree", sha), "url": f"{API}/{repo}/git/trees/{fake_sha('tree', sha)}"},
            "url": f"{API}/{repo}/git/commits/{sha}",
        },
        "url": f"{API}/{repo}/commits/{sha}",
        "html_url": f"https://github.com/{repo}/commit/{sha}",
        "author": {"login": login},
        "committer": {"login": "web-flow" if committer[1] == "noreply@github.com" else None},
        "parents": [{"sha": p, "url": f"{API}/{repo}/commits/{p}", "html_url": f"https://github.com/{repo}/commit/{p}"} for p in parents],
        "stats": {"total": adds + dels, "additions": adds, "deletions": dels},
        "files": file_objs,
    }


def issue(
    repo: str,
    number: int,
    title: str | None,
    *,
    login: str | None = "octocat",
    created_at: str | None = "2026-03-02T09:00:00Z",
    body: str | None = "",
    labels: Iterable[str] = (),
    state: str = "open",
    pull_request: bool = False,
    merged_at: str | None = None,
) -> dict[str, Any]:
    kind = "pull" if pull_request else "issues"
    item: dict[str, Any] = {
        "url": f"{API}/{repo}/issues/{number}",
        "html_url": f"https://github.com/{repo}/{kind}/{number}",
        "number": number,
        "title": title,
        "user": {"login": login} if login else None,
        "labels": [{"name": n} for n in labels],
        "state": state,
        "created_at": created_at,
        "updated_at": created_at,
        "closed_at": merged_at,
        "body": body,
    }
    if pull_request:
        item["pull_request"] = {
            "url": f"{API}/{repo}/pulls/{number}",
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "merged_at": merged_at,
        }
    return item


def write_replay(root: Path, commits: Iterable[tuple[str, dict]] = (), issues: Iterable[tuple[str, str, dict]] = (),
                 recorded: Iterable[tuple[str, str]] = ()) -> Path:
    """Write ``(repo, commit)`` pairs into the folder of their committer day, ``(day, repo, issue)`` triples
    into that day's issues.json. Commit lists are ordered newest first, like GitHub's. ``recorded``: the
    ``(day, repo)`` pairs the recording covers: each gets its folder, with empty listings where it has no item, as
    record mode writes them (an absent folder means "not recorded", not "no activity")."""
    root = Path(root)
    for day, repo in recorded:
        folder = root / day / repo.replace("/", "__")
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("commits_list.json", "issues.json"):
            if not (folder / name).exists():
                (folder / name).write_text("[]", encoding="utf-8")
    by_folder: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for repo, c in commits:
        by_folder[(c["commit"]["committer"]["date"][:10], repo)].append(c)
    for (day, repo), items in by_folder.items():
        folder = root / day / repo.replace("/", "__")
        (folder / "commits").mkdir(parents=True, exist_ok=True)
        items.sort(key=lambda c: c["commit"]["committer"]["date"], reverse=True)
        listing = [{k: v for k, v in c.items() if k not in ("stats", "files")} for c in items]
        (folder / "commits_list.json").write_text(json.dumps(listing, indent=1, ensure_ascii=False), encoding="utf-8")
        for c in items:
            (folder / "commits" / f"{c['sha']}.json").write_text(json.dumps(c, indent=1, ensure_ascii=False), encoding="utf-8")
    by_issue_folder: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for day, repo, item in issues:
        by_issue_folder[(day, repo)].append(item)
    for (day, repo), items in by_issue_folder.items():
        folder = root / day / repo.replace("/", "__")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "issues.json").write_text(json.dumps(items, indent=1, ensure_ascii=False), encoding="utf-8")
    return root


def release(repo: str, tag: str, published_at: str | None, *, name: str | None = None, body: str = "",
            prerelease: bool = False, draft: bool = False, login: str = "release-bot") -> dict[str, Any]:
    """An item of ``GET /repos/{o}/{r}/releases``."""
    return {"url": f"{API}/{repo}/releases/{fake_sha(repo, tag)[:8]}", "html_url": f"https://github.com/{repo}/releases/tag/{tag}",
            "tag_name": tag, "target_commitish": "main", "name": name or tag, "draft": draft, "prerelease": prerelease,
            "created_at": published_at or "2026-03-01T00:00:00Z", "published_at": published_at,
            "author": {"login": login}, "body": body}


def updated(repo: str, number: int, title: str, *, created_at: str, updated_at: str, comments: int, reactions: int,
            login: str = "octocat", pull_request: bool = False) -> dict[str, Any]:
    """An item of ``GET /repos/{o}/{r}/issues?state=all&since=...&sort=updated`` with its counts."""
    item = issue(repo, number, title, login=login, created_at=created_at, pull_request=pull_request)
    item.update(updated_at=updated_at, comments=comments,
                reactions={"url": f"{API}/{repo}/issues/{number}/reactions", "total_count": reactions, "+1": reactions,
                           "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0})
    return item


def write_lists(root: Path, name: str, items: Iterable[tuple[str, str, dict]]) -> None:
    """Write ``(day, repo, item)`` triples into that day's ``name`` (``releases.json``, ``updated.json``)."""
    by_folder: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for day, repo, item in items:
        by_folder[(day, repo)].append(item)
    for (day, repo), listed in by_folder.items():
        folder = Path(root) / day / repo.replace("/", "__")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(listed, indent=1, ensure_ascii=False), encoding="utf-8")
