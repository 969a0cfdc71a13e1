"""``core.discussions`` rows: the issues and pull requests updated on the day, with their comment and reaction
counts as GitHub gives them (``comments``, ``reactions.total_count``), new or not. Pure.

They come from ``discussion`` events (the github source's listing ``issues?state=all&since=<day start>&sort=updated``,
the replay's ``updated.json``). The report shows, per repository, the few with the most comments and reactions
(:func:`hot`). A repository-day whose source did not record this listing has no rows *and* says so in its fetch
log (``stats.discussions`` absent): not recorded is not "nothing hot".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from infra_digest.sources.base import day_bounds
from infra_digest.sources.validate import INT_MAX, clean_text, safe_ts

HOT_SHOWN = 3          # discussions shown per repository
HOT_MIN = 5            # comments + reactions below this are not "hot", however quiet the day


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT_MAX else 0


def reactions_of(payload: Mapping[str, Any]) -> int:
    """``reactions.total_count`` (GitHub's rollup); the sum of its per-emoji counts when the total is missing."""
    r = payload.get("reactions")
    if not isinstance(r, Mapping):
        return 0
    if "total_count" in r:
        return _count(r.get("total_count"))
    return min(INT_MAX, sum(_count(v) for k, v in r.items() if k not in ("url",)))


def discussion_url(repo: str, number: int, is_pr: bool) -> str:
    return f"https://github.com/{repo}/{'pull' if is_pr else 'issues'}/{number}"


def derive_discussions(repo: str, day: dt.date, events: Iterable[Mapping[str, Any]],
                       tz: dt.tzinfo = dt.timezone.utc) -> list[dict[str, Any]]:
    """``core.discussions`` rows of one (repo, day): one per issue or PR updated within the day, hottest first."""
    start, end = day_bounds(day, tz)
    rows: dict[int, dict[str, Any]] = {}
    for ev in events:
        if ev.get("kind") != "discussion" or not isinstance(ev.get("payload"), Mapping):
            continue
        p = ev["payload"]
        number = p.get("number")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= INT_MAX:
            continue
        updated = safe_ts(p.get("updated_at"))
        created = safe_ts(p.get("created_at"))
        if updated is None or not start <= updated < end:
            continue
        is_pr = isinstance(p.get("pull_request"), Mapping)
        comments, reactions = _count(p.get("comments")), reactions_of(p)
        user = p.get("user")
        title = p.get("title")
        row = {
            "repo": repo, "day": day, "number": number, "is_pr": is_pr,
            "title": clean_text(title)[:500] if isinstance(title, str) and title.strip() else None,
            "url": discussion_url(repo, number, is_pr),
            "state": p.get("state") if p.get("state") in ("open", "closed") else None,
            "author_login": clean_text(user["login"]) if isinstance(user, Mapping) and isinstance(user.get("login"), str) else None,
            "created_at": created, "updated_at": updated,
            "new_in_day": created is not None and start <= created < end,
            "comments": comments, "reactions": reactions, "heat": comments + reactions,
            "source": str(ev.get("source") or ""),
        }
        old = rows.get(number)
        if old is None or (row["updated_at"], row["heat"]) > (old["updated_at"], old["heat"]):
            rows[number] = row
    return sorted(rows.values(), key=lambda r: (-r["heat"], -r["comments"], -r["number"]))


def hot(rows: Sequence[Mapping[str, Any]], n: int = HOT_SHOWN, minimum: int = HOT_MIN) -> list[Mapping[str, Any]]:
    """The ``n`` hottest of a repository-day's discussion rows (comments + reactions, then comments, then the
    newest number), those with at least ``minimum`` of them."""
    ranked = sorted(rows, key=lambda r: (-(r.get("heat") or 0), -(r.get("comments") or 0), -(r.get("number") or 0)))
    return [r for r in ranked if (r.get("heat") or 0) >= minimum][:n]
