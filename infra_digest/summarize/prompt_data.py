"""What the model is shown: the JSON data of each prompt, built from the typed day context.

Untrusted text (titles, bodies) is cut to bounded lengths here, so that no input makes a prompt large; a cut
body ends with ``validate.TRUNCATION_MARK``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from infra_digest.models import CHANGE_TYPE_RANK, Change, DayContext, Issue, PullRequest, RepoDay
from infra_digest.report.i18n import tag_name
from infra_digest.summarize import extractive
from infra_digest.summarize import validate as V

NOTABLE_PER_REPO = 4        # merged changes per repository that get a gist
NOTABLE_MIN_LINES = 200     # an untagged change is notable from this size (additions + deletions)
BODY_CHARS = 1500           # an issue/PR body is cut here (~400 tokens) in the prompt
TITLE_CHARS = 200
MAX_CHANGES_LISTED = 60     # changes listed for a repository paragraph
FILES_LISTED = 3
SUMMARY_CHANGES = 5         # per active repository in the day-summary prompt
SUMMARY_ISSUES = 4
OVERVIEW_THEMES = 8

Item = Change | PullRequest | Issue

_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)


def cut(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    text = text.replace("\r\n", "\n").strip()
    text = _COMMENT.sub(" ", text)  # issue-template comments: noise, and a hiding place
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text) <= limit:
        return text
    piece = text[:limit]
    space = piece.rfind(" ")
    if space > limit * 0.8:
        piece = piece[:space]
    return piece.rstrip() + " " + V.TRUNCATION_MARK


def _flatten(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _flatten(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _flatten(v)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def text_of(*values: Any) -> str:
    """Every string and number inside ``values`` (nested dicts and lists), one per line."""
    return "\n".join(s for v in values for s in _flatten(v))


def tags(item: Item) -> list[str]:
    return [tag_name(t) for t in item.labels.tags] + list(item.labels.topics)


def clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, [], {}, "")}


def _title(item: Item) -> str:
    return (item.title or "")[:TITLE_CHARS]


def item_id(item: Item) -> str:
    """How a prompt names an item: ``#N`` for an issue, a PR or a change with a PR, else its short sha."""
    if isinstance(item, (Issue, PullRequest)) and item.number:
        return f"#{item.number}"
    if isinstance(item, Change) and item.pr_number:
        return f"#{item.pr_number}"
    return (item.short_sha if isinstance(item, Change) else None) or str(item.id)[:12]


def change_brief(c: Change) -> dict[str, Any]:
    return clean({"ref": f"#{c.pr_number}" if c.pr_number else None, "sha": c.short_sha, "title": _title(c),
                  "type": c.change_type, "author": c.author, "tags": tags(c), "additions": c.additions,
                  "deletions": c.deletions})


def item_data(item: Item, iid: str) -> dict[str, Any]:
    if isinstance(item, Issue):
        return clean({"id": iid, "kind": "issue", "title": _title(item), "author": item.author,
                      "labels": list(item.github_labels), "type": item.change_type, "tags": tags(item),
                      "body": cut(item.body, BODY_CHARS)})
    if isinstance(item, PullRequest):
        return clean({"id": iid, "kind": "pull_request", "state": "opened", "title": _title(item), "author": item.author,
                      "labels": list(item.github_labels), "type": item.change_type, "tags": tags(item),
                      "additions": item.additions, "deletions": item.deletions, "changed_files": item.changed_files,
                      "body": cut(item.body, BODY_CHARS)})
    files = [clean({"path": f.filename, "status": f.status, "additions": f.additions, "deletions": f.deletions})
             for f in item.files[:FILES_LISTED]]
    return clean({"id": iid, "kind": "merged_change", "sha": item.short_sha,
                  "pr": f"#{item.pr_number}" if item.pr_number else None, "title": _title(item), "author": item.author,
                  "type": item.change_type, "tags": tags(item), "files_changed": item.files_changed, "files": files,
                  "additions": item.additions, "deletions": item.deletions, "body": cut(item.body, BODY_CHARS)})


def ranked_changes(changes: Sequence[Change]) -> list[Change]:
    """Changes by (tagged, type rank, size), the most significant first."""
    return sorted(changes, key=lambda c: (c.tagged, CHANGE_TYPE_RANK.get(c.change_type, 0), c.size), reverse=True)


def notable_changes(repo: RepoDay, n: int = NOTABLE_PER_REPO) -> list[Change]:
    """The merged changes of a repository worth a gist: tagged (hardware, precision, model), performance work,
    reverts, or large (>= NOTABLE_MIN_LINES lines); the first ``n`` by (tagged, type, size)."""
    notable = [c for c in repo.changes if c.tagged or c.change_type in ("perf", "revert") or c.size >= NOTABLE_MIN_LINES]
    return ranked_changes(notable)[:n]


def summary_data(ctx: DayContext, lang: str) -> dict[str, Any]:
    repos = []
    for r in ctx.repos:
        entry: dict[str, Any] = {"repo": r.repo, "status": r.status}
        if r.status == "active":
            entry["counts"] = {"changes": r.counts.changes, "new_prs": r.counts.new_prs, "issues": r.counts.issues}
            entry["change_types"] = dict(Counter(c.change_type for c in r.changes).most_common())
            entry["top_changes"] = [change_brief(c) for c in ranked_changes(r.changes)[:SUMMARY_CHANGES]]
            issues = sorted(r.issues, key=lambda i: (bool(tags(i)), i.change_type == "bug"), reverse=True)
            entry["top_issues"] = [clean({"ref": f"#{i.number}", "title": _title(i), "type": i.change_type, "tags": tags(i)})
                                   for i in issues[:SUMMARY_ISSUES]]
            entry["new_prs"] = [clean({"ref": f"#{p.number}", "title": _title(p)}) for p in r.new_prs[:3]]
        elif r.status == "failed":
            entry["error"] = "data could not be read"
        repos.append(clean(entry))
    tot = ctx.totals
    return {"section": "summary", "lang": lang, "day": str(ctx.day), "repo_count": ctx.repo_count,
            "active_count": len(ctx.active_repos), "totals": {"changes": tot.changes, "new_prs": tot.new_prs, "issues": tot.issues},
            "change_types": dict(Counter(c.change_type for r in ctx.repos for c in r.changes).most_common()),
            "repos": repos}


def overview_data(ctx: DayContext, lang: str) -> dict[str, Any]:
    titles = {}
    for r in ctx.repos:
        for item in (*r.changes, *r.issues, *r.new_prs):
            titles[extractive.item_ref(item)] = _title(item)
    themes = []
    used: set[str] = set()
    for th in extractive.cross_repo_themes(ctx)[:OVERVIEW_THEMES]:
        refs = {repo: rs[:4] for repo, rs in th["repos"].items()}
        used |= {x for rs in refs.values() for x in rs}
        themes.append({"tag": tag_name(th["tag"]), "kind": th["field"], "item_count": th["count"], "repo_count": len(refs),
                       "repos": refs})
    authors = []
    for author, refs in extractive.shared_authors(ctx):
        used |= set(refs)
        authors.append({"author": author, "issues": refs})
    data: dict[str, Any] = {"section": "overview", "lang": lang, "day": str(ctx.day), "themes": themes,
                            "shared_authors": authors, "item_titles": {ref: titles.get(ref, "") for ref in sorted(used)}}
    data["repos"] = [{"repo": r.repo, "highlights": [_title(c) for c in ranked_changes(r.changes)[:3]]
                      + [_title(i) for i in r.issues[:2]]}
                     for r in ctx.repos if r.status == "active"]
    return clean(data)
