"""``core.releases`` rows from ``release`` events (GitHub releases, or tags of a git mirror). Pure.

A release belongs to the day of its ``published_at`` (the source placed it); drafts never become rows (the sources
drop them; a draft that gets here anyway is skipped). ``prerelease`` is GitHub's mark (NULL for a git tag, which
says nothing about it); ``nightly`` is ours, from the tag or the name (:func:`is_nightly`). The link is built from
the repository and the tag, never taken from the data. The notes are summarised extractively
(:func:`notes_excerpt`): the first items of the notes, without headings, authors, links or "Full Changelog".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from infra_digest.sources.validate import clean_text, safe_ts

#: nightly, dev, snapshot and dated builds: "nightly", "v0.9.0.dev20260105", "2026.01.05-nightly", "dev-20260105",
#: "snapshot-...", a tag ending in an 8-digit date "…-20260105" (a version never has 8 digits in a part)
_NIGHTLY = re.compile(r"nightly|snapshot|(?<![a-z])dev(?![a-z])|(?:^|[-_.+])20\d{6}(?:\d{4,6})?(?:$|[-_.+])", re.I)
EXCERPT_CHARS = 200
NOTES_SCAN = 20_000  # notes are read this far (a 10 MB body costs nothing more)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_BY_IN = re.compile(r"\s+(?:by\s+@[\w-]+(?:\s*(?:,|and)\s*@[\w-]+)*)?\s*(?:in\s+)?https?://\S+\s*$", re.I)
_URL = re.compile(r"https?://\S+|www\.\S+", re.I)
_MD_LINK = re.compile(r"\[([^\]\n]{0,200})\]\([^)\n]{0,500}\)")
_NOISE = re.compile(r"^\s*(?:\*\*)?(full changelog|new contributors|what's changed|contributors)\b", re.I)
_SKIP_SECTION = re.compile(r"^\s*(?:\*\*)?(full changelog|new contributors|contributors)\b", re.I)
_HTML = re.compile(r"<[^>\n]{0,200}>")
_MENTION_BY = re.compile(r"\s+by\s+@[\w-]+\s*$", re.I)
_EMPH = re.compile(r"[*_`~]+")


def is_nightly(tag: str | None, name: str | None = None) -> bool:
    """A nightly (or dev/snapshot/dated) build, from its tag or its name."""
    return any(bool(_NIGHTLY.search(s)) for s in (tag, name) if isinstance(s, str) and s)


def release_url(repo: str, tag: str) -> str:
    """The release page of ``tag`` on github.com (the report links it only into the configured web origin)."""
    return f"https://github.com/{repo}/releases/tag/{quote(tag, safe='')}"


def _clean_line(line: str) -> str:
    line = _BULLET.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _BY_IN.sub("", line)
    line = _MENTION_BY.sub("", line)
    line = _URL.sub("", _HTML.sub("", line))
    line = _EMPH.sub("", line)
    return " ".join(line.split()).strip(" -:;,")


def notes_items(body: str | None) -> list[str]:
    """The items of release notes, cleaned: bullet lines (or, without bullets, the sentences of the first
    paragraph), without headings, comments, links, "by @x in URL" and the "Full Changelog" line."""
    if not isinstance(body, str) or not body.strip():
        return []
    text = re.sub(r"<!--.*?(?:-->|$)", "", body[:NOTES_SCAN], flags=re.S)
    lines, skipping = [], False
    for ln in text.splitlines():
        if not ln.strip():
            continue
        if _HEADING.match(ln):  # a "New Contributors" or "Full Changelog" section is skipped to the next heading
            skipping = bool(_SKIP_SECTION.match(_HEADING.sub("", ln)))
            lines.append(ln)
        elif not skipping:
            lines.append(ln)
    bullets = [ln for ln in lines if _BULLET.match(ln) and not _NOISE.match(_BULLET.sub("", ln))]
    items: list[str] = []
    if bullets:
        for ln in bullets:
            item = _clean_line(ln)
            if item and not _NOISE.match(item):
                items.append(item)
        return items
    for ln in lines:
        if _HEADING.match(ln) or _NOISE.match(ln):
            continue
        item = _clean_line(ln)
        if item:
            items.append(item)
    return items


def notes_excerpt(body: str | None, limit: int = EXCERPT_CHARS) -> tuple[str | None, int]:
    """(an extractive summary of the notes within ``limit`` characters, the number of items the notes list).
    The summary is the first items joined with "; ", and "…" when an item is cut."""
    items = notes_items(body)
    if not items:
        return None, 0
    out = ""
    for item in items:
        piece = item if not out else "; " + item
        if len(out) + len(piece) > limit:
            if not out:
                out = item[: limit - 1].rstrip() + "…"
            break
        out += piece
    return clean_text(out), len(items)


def _text(value: Any) -> str | None:
    return clean_text(value) if isinstance(value, str) and value.strip() else None


def derive_releases(repo: str, day: dt.date, events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``core.releases`` rows of one (repo, day) from its raw events (only ``release`` events are read)."""
    rows: dict[str, dict[str, Any]] = {}
    for ev in events:
        if ev.get("kind") != "release" or not isinstance(ev.get("payload"), Mapping):
            continue
        p = ev["payload"]
        tag = p.get("tag_name")
        if not isinstance(tag, str) or not tag.strip() or p.get("draft") is True:
            continue
        tag = clean_text(tag)[:200]
        name = _text(p.get("name"))
        excerpt, n_items = notes_excerpt(p.get("body"))
        author = p.get("author")
        rows[tag] = {
            "repo": repo, "day": day, "tag": tag, "name": name[:300] if name else None,
            "url": release_url(repo, tag),
            "published_at": safe_ts(p.get("published_at")) or safe_ts(p.get("created_at")),
            "prerelease": p.get("prerelease") if isinstance(p.get("prerelease"), bool) else None,
            "nightly": is_nightly(tag, name),
            "lightweight": bool(p.get("lightweight")) if isinstance(p.get("lightweight"), bool) else False,
            "target": _text(p.get("target_commitish")),
            "author_login": _text(author.get("login")) if isinstance(author, Mapping) else None,
            "notes_excerpt": excerpt, "notes_items": n_items,
            "source": str(ev.get("source") or ""),
        }
    return sorted(rows.values(), key=lambda r: (r["published_at"] or dt.datetime.min.replace(tzinfo=dt.timezone.utc), r["tag"]),
                  reverse=True)
