"""References written between items, and ``core.references`` rows. Pure; the one implementation of reading
"Fixes #N", "owner/repo#N" and GitHub issue/PR URLs (``report.relate`` links the items of a day with it).

Kinds written in text (:func:`scan`): ``fixes`` ("fix", "fixes", "fixed", "resolve[sd]" before the reference),
``closes`` ("close[sd]"), ``mentions`` (any other "#N", "owner/repo#N", or
``https://github.com/<owner>/<repo>/(issues|pull)/<N>``). ``reverts``: a commit titled 'Revert "X"' and the commit
of the same repository and day titled X (:func:`revert_pairs`).

``core.references`` holds, per (repo, day) partition, what that partition's own data backs: the references
written in its commits (title and message), its pull requests and issues (title and body), and its reverts. The
links that need several repositories or the classifier (the same author on the same day in several
repositories, the same hardware + precision on problem items) are computed where all of those are at hand: at
report time (``report.relate``) and by ``sql/queries/31_everything_linked_to_an_item.sql``. Closing events: the
issue listings give an issue's ``state`` and ``closed_at`` but not what closed it (that is the issue timeline, a
request per issue, not read); a "fixes"/"closes" reference to an issue of the same repository shown closed on the
same day carries that ``closed_at``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

SCAN_CHARS = 20_000           # bodies are read this far: references sit near the top
MAX_REFS_READ = 50            # references read per item (a body listing thousands is not read further)

_REPO = r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}"
REF = re.compile(
    r"(?:(?P<verb>fix(?:e[sd])?|close[sd]?|resolve[sd]?)\s*:?\s+)?"
    r"(?:https?://github\.com/(?P<urepo>" + _REPO + r")/(?:issues|pull)/(?P<unum>\d{1,9})"
    r"|(?P<repo>" + _REPO + r")#(?P<rnum>\d{1,9})"
    r"|(?<![\w/#&])#(?P<num>\d{1,9})\b)",
    re.I)
REVERT = re.compile(r'^\s*revert\s+"(.{3,300})"\s*$', re.I | re.S)
PR_SUFFIX = re.compile(r"\s*\(#\d+\)\s*$")


@dataclass(frozen=True)
class Ref:
    """One reference read in a text."""
    kind: str                 # fixes | closes | mentions
    repo: str                 # the repository referred to, lower case (the item's own when not written)
    number: int
    evidence: str             # the text matched, at most 80 characters
    url_repo: str | None      # the repository as written in a github.com URL (None for "#N", "owner/repo#N")
    pull_url: bool = False    # the URL was a /pull/ one


def scan(texts: Iterable[str], own_repo: str, own_number: int | None = None,
         max_refs: int = MAX_REFS_READ) -> Iterator[Ref]:
    """The references in ``texts`` (each read up to ``SCAN_CHARS``), in order, the item's own number left out;
    reading stops after ``max_refs`` matches (linear on any input)."""
    read = 0
    own = own_repo.lower()
    for text in texts:
        if not isinstance(text, str) or not text:
            continue
        for m in REF.finditer(text[:SCAN_CHARS]):
            read += 1
            if read > max_refs:
                return
            repo = (m.group("urepo") or m.group("repo") or own_repo).lower()
            num = int(m.group("unum") or m.group("rnum") or m.group("num"))
            if repo == own and num == own_number:
                continue
            verb = (m.group("verb") or "").lower()
            kind = "fixes" if verb.startswith(("fix", "resolve")) else "closes" if verb else "mentions"
            yield Ref(kind, repo, num, m.group(0).strip()[:80], m.group("urepo"), "/pull/" in m.group(0))


def title_key(title: str | None) -> str:
    return PR_SUFFIX.sub("", title if isinstance(title, str) else "").strip().casefold()


def reverted_title(title: str | None) -> str | None:
    """The title a 'Revert "X"' title names (``title_key`` form), else None."""
    m = REVERT.match(title) if isinstance(title, str) else None
    return title_key(m.group(1)) if m else None


def revert_pairs(items: Iterable[tuple[Any, str | None]]) -> list[tuple[Any, Any]]:
    """(reverting, reverted) pairs among ``(key, title)`` items of one repository and day: a title 'Revert "X"'
    and the first item titled X (its "(#N)" suffix aside)."""
    items = list(items)
    by_title: dict[str, Any] = {}
    for key, title in items:
        if isinstance(title, str) and title:
            by_title.setdefault(title_key(title), key)
    out = []
    for key, title in items:
        target_title = reverted_title(title)
        target = by_title.get(target_title) if target_title else None
        if target is not None and target != key:
            out.append((key, target))
    return out


def _rows(rows: Any, name: str) -> list[Mapping[str, Any]]:
    value = rows.get(name) if isinstance(rows, Mapping) else getattr(rows, name, None)
    return [r for r in value or () if isinstance(r, Mapping)]


def closed_in_day(day: dt.date, events: Iterable[Mapping[str, Any]], tz: dt.tzinfo = dt.timezone.utc) -> dict[int, dt.datetime]:
    """Issue and PR numbers the partition's own issue data (``issue`` and ``discussion`` events) shows closed
    within the day, with their ``closed_at``: the closing events the sources have."""
    from infra_digest.sources.validate import safe_ts

    out: dict[int, dt.datetime] = {}
    for ev in events:
        p = ev.get("payload") if isinstance(ev, Mapping) else None
        if ev.get("kind") not in ("issue", "discussion") or not isinstance(p, Mapping) or p.get("state") != "closed":
            continue
        number, closed = p.get("number"), safe_ts(p.get("closed_at"))
        if isinstance(number, int) and not isinstance(number, bool) and closed and closed.astimezone(tz).date() == day:
            out[number] = closed
    return out


def derive_references(repo: str, day: dt.date, core_rows: Any, events: Iterable[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """``core.references`` rows of one (repo, day) from its core rows (``CoreRows``, or a mapping with
    ``commits``, ``pull_requests``, ``issues``): one per (item, referred item, kind), the strongest kind kept.
    ``events``: the partition's raw events; a "fixes"/"closes" reference to an issue of the repository that they
    show closed on the day gets ``closed_at`` (the closing event), else it is NULL."""
    closed = closed_in_day(day, events)
    out: dict[tuple, dict[str, Any]] = {}
    strength = {"reverts": 0, "fixes": 1, "closes": 2, "mentions": 3}

    def add(from_kind: str, from_id: str, kind: str, to_repo: str, to_kind: str, to_id: str, evidence: str) -> None:
        key = (from_kind, from_id, to_repo.lower(), to_kind, to_id)
        closed_at = closed.get(int(to_id)) if (kind in ("fixes", "closes") and to_kind == "number"
                                               and to_repo.lower() == repo.lower()) else None
        row = {"repo": repo, "day": day, "from_kind": from_kind, "from_id": from_id, "kind": kind,
               "to_repo": to_repo, "to_kind": to_kind, "to_id": to_id, "evidence": evidence, "closed_at": closed_at}
        old = out.get(key)
        if old is None or strength[kind] < strength[old["kind"]]:
            out[key] = row

    def refs(from_kind: str, from_id: str, own_number: int | None, texts: Iterable[str]) -> None:
        for ref in scan(texts, repo, own_number):
            to_repo = repo if ref.repo == repo.lower() else (ref.url_repo or _as_written(ref))
            add(from_kind, from_id, ref.kind, to_repo, "number", str(ref.number), ref.evidence)

    commits = _rows(core_rows, "commits")
    for c in commits:
        sha = c.get("sha")
        if isinstance(sha, str):
            refs("commit", sha, c.get("pr_number"), (c.get("message") or c.get("title") or "",))
    for p in _rows(core_rows, "pull_requests"):
        if isinstance(p.get("number"), int):
            refs("pull_request", str(p["number"]), p["number"], (p.get("title") or "", p.get("body") or ""))
    for i in _rows(core_rows, "issues"):
        if isinstance(i.get("number"), int):
            refs("issue", str(i["number"]), i["number"], (i.get("title") or "", i.get("body") or ""))
    for src, target in revert_pairs((c["sha"], c.get("title")) for c in commits if isinstance(c.get("sha"), str)):
        add("commit", src, "reverts", repo, "commit", target, "Revert")
    return sorted(out.values(), key=lambda r: (r["from_kind"], r["from_id"], strength[r["kind"]], r["to_repo"], r["to_id"]))


def _as_written(ref: Ref) -> str:
    return ref.repo  # "owner/repo#N" is matched case-insensitively; lower case is its stable form
