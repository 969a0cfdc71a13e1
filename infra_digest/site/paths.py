"""Permalinks of the archive site: the one place that knows where a page lives (relative to the site root).

These paths are a contract: they never change for the same day, repository, tag or subscription, so links from
messages, feeds and other sites keep working across rebuilds.

    index.html                              both languages, days newest first
    <lang>/index.html                       days newest first, search box
    <lang>/day/<YYYY-MM-DD>.html            the report of a day
    <lang>/repo/<owner>/<name>.html         a repository's items, newest first
    <lang>/tag/<family>/<id>.html           items with a hardware / precision / model / topic / flag label
    <lang>/tags.html                        every repository and tag
    sub/<name>.html                         a subscription's periods, with every item its filters match
    feeds/<lang>.xml                        Atom, one entry per day
    feeds/sub/<name>.xml                    Atom, one entry per period of a subscription
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re

FAMILIES = ("hardware", "precision", "models", "topics", "flags")
FAMILY_SLUG = {"hardware": "hardware", "precision": "precision", "models": "model", "topics": "topic", "flags": "flag"}
_SAFE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}$")
_SAFE_CASE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")


def slug(value: str, *, keep_case: bool = False) -> str:
    """A file-name-safe form of an id; anything unusual becomes a short hash (never a path)."""
    v = value if keep_case else value.lower()
    if (_SAFE_CASE if keep_case else _SAFE).match(v) and v not in (".", "..") and not v.startswith("."):
        return v
    return "x-" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:16]


def day_path(lang: str, day: dt.date | str) -> str:
    return f"{lang}/day/{dt.date.fromisoformat(str(day)).isoformat()}.html"


def lang_index_path(lang: str) -> str:
    return f"{lang}/index.html"


def tags_path(lang: str) -> str:
    return f"{lang}/tags.html"


def repo_path(lang: str, repo: str) -> str:
    owner, _, name = repo.partition("/")
    return f"{lang}/repo/{slug(owner, keep_case=True)}/{slug(name or '_', keep_case=True)}.html"


def tag_path(lang: str, family: str, value: str) -> str:
    return f"{lang}/tag/{FAMILY_SLUG[family]}/{slug(value)}.html"


def sub_path(name: str) -> str:
    return f"sub/{slug(name, keep_case=True)}.html"


def period_anchor(end: dt.date | str) -> str:
    return f"p-{end}"


def feed_path(lang: str) -> str:
    return f"feeds/{lang}.xml"


def sub_feed_path(name: str) -> str:
    return f"feeds/sub/{slug(name, keep_case=True)}.xml"


def relative(from_path: str, to_path: str) -> str:
    """The relative link from one page of the site to another (both relative to the root)."""
    start = posixpath.dirname(from_path) or "."
    return posixpath.relpath(to_path, start)


def absolute(base_url: str | None, path: str) -> str | None:
    """``base_url`` joined with a site path, or None without a base URL."""
    if not base_url:
        return None
    return base_url.rstrip("/") + "/" + path
