"""Validation at the edge: every payload a source hands on has passed these rules.

Used by the replay, github and git sources on every commit (list item and detail), issue and pull request.
A payload that breaks a rule raises :class:`Invalid`, whose message names where it came from (file or URL),
the item and the field; the source turns it into a failed batch for that repository-day only.

Rules (what a payload that passed guarantees to everything downstream):

- **Text**: every string of the payload (keys included, at any depth) is NFC-normalised; lone UTF-16
  surrogates become U+FFFD; C0 control characters other than TAB, LF and CR become their visible Unicode
  "control pictures" (NUL -> U+2400, ESC -> U+241B, DEL -> U+2421); C1 controls become U+FFFD; bidi controls
  (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and zero-width characters (U+200B..U+200D,
  U+2060, U+FEFF) are removed.
- **Identifiers**: a commit ``sha`` (and each parent's, and a pull's ``merge_commit_sha`` when set) is 40
  lower-case hex characters; an issue or pull request ``number`` is an integer (not a bool) in 1..2**31-1.
- **Dates** (``commit.committer.date`` required; ``commit.author.date``, ``created_at``, ``updated_at``,
  ``closed_at``, ``merged_at``, ``pull_request.merged_at`` when not null): strings in ISO 8601 with an offset,
  ``Z`` or none (read as UTC), between 2000-01-01T00:00Z and now + 2 days once in UTC. They are kept as sent.
- **Counts** (``stats.total/additions/deletions``, each file's ``additions/deletions/changes``, a pull's
  ``additions/deletions/changed_files``, an issue's ``comments``): null or an integer in 0..2**31-1. A count
  sent as a string of decimal digits is read as that integer, and a note says so; any other type fails.
  The files' ``additions`` (and ``deletions``) of one commit also add up to at most 2**31-1.
- **Shapes**: ``commit``, ``commit.committer`` are objects; ``commit.author``, ``author``, ``committer``,
  ``user``, ``pull_request``, ``stats`` are objects or null; ``message``, ``title``, ``body``, ``state``,
  ``html_url``, ``url``, ``name``, ``email``, ``login``, ``status``, ``previous_filename`` are strings or
  null; ``parents``, ``files``, ``labels`` are lists or null; each ``files`` entry is an object with a
  non-empty string ``filename``; each ``labels`` entry is a string or an object whose ``name`` is a string or
  null; each ``parents`` entry is an object with a valid ``sha``.

Anything else in a payload is passed on (with its text normalised) and must be read defensively.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

INT_MAX = 2**31 - 1
MIN_TS = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
FUTURE_SLACK = dt.timedelta(days=2)
SHA_RE = re.compile(r"[0-9a-f]{40}")
_DIGITS = re.compile(r"[0-9]{1,10}")

_BIDI_ZW = "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
_TRANSLATE = {c: None for c in map(ord, _BIDI_ZW)}
_TRANSLATE.update({c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)})
_TRANSLATE[0x7F] = 0x2421
_TRANSLATE.update({c: 0xFFFD for c in range(0x80, 0xA0)})
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _BIDI_ZW + "\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

#: the clock used for the upper bound of dates (tests may replace it)
now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)  # noqa: E731


class Invalid(ValueError):
    """A payload that breaks a rule: ``where`` (file or URL), ``item``, ``field``, ``problem``."""

    def __init__(self, where: str, item: str, field: str, problem: str) -> None:
        self.where, self.item, self.field, self.problem = where, item, field, problem
        super().__init__(f"{where}: {item}: field '{field}' {problem}")


# -- text ---------------------------------------------------------------------------------------------------
def clean_text(s: str) -> str:
    """The text rules above, on one string (linear time)."""
    if _BAD.search(s) is None and (s.isascii() or unicodedata.is_normalized("NFC", s)):
        return s
    s = _SURROGATE.sub("\ufffd", s).translate(_TRANSLATE)
    return unicodedata.normalize("NFC", s)


def clean_json(value: Any) -> Any:
    """A copy of a JSON value with every string (keys included) cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value


# -- dates --------------------------------------------------------------------------------------------------
def _parse(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError(f"is not a date string ({type(value).__name__})")
    if len(value) > 40:
        raise ValueError("is not an ISO 8601 timestamp (too long)")
    try:
        ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"is not an ISO 8601 timestamp ({value!r})") from None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.timezone.utc)
    try:
        utc = ts.astimezone(dt.timezone.utc)
    except (OverflowError, ValueError):
        raise ValueError(f"is outside the supported range ({value!r})") from None
    if not (MIN_TS <= utc <= now() + FUTURE_SLACK):
        raise ValueError(f"is outside {MIN_TS:%Y-%m-%d} .. now + 2 days ({value!r})")
    return utc


def safe_ts(value: Any) -> dt.datetime | None:
    """Aware UTC datetime of a sane timestamp, else None (never raises)."""
    if value is None:
        return None
    try:
        return _parse(value)
    except ValueError:
        return None


def check_ts(value: Any, where: str, item: str, field: str, *, required: bool = False) -> dt.datetime | None:
    if value is None or value == "":
        if required:
            raise Invalid(where, item, field, "is missing")
        return None
    try:
        return _parse(value)
    except ValueError as exc:
        raise Invalid(where, item, field, str(exc)) from None


# -- helpers over one (already cleaned) payload -------------------------------------------------------------
class _Check:
    def __init__(self, where: str, item: str, notes: list[str] | None) -> None:
        self.where, self.item, self.notes = where, item, notes

    def fail(self, field: str, problem: str) -> Invalid:
        return Invalid(self.where, self.item, field, problem)

    def obj(self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> dict[str, Any] | None:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(path, "is missing")
            return None
        if not isinstance(value, dict):
            raise self.fail(path, f"is a {_kind(value)}, not an object")
        return value

    def lst(self, parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, f"is a {_kind(value)}, not a list")
        return value

    def text(self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> None:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(path, "is missing")
            return
        if not isinstance(value, str):
            raise self.fail(path, f"is a {_kind(value)}, not a string")
        if required and not value:
            raise self.fail(path, "is empty")

    def count(self, parent: dict[str, Any], key: str, path: str) -> None:
        value = parent.get(key)
        if value is None:
            return
        if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
            n = int(value.strip())
            if n <= INT_MAX:
                parent[key] = n
                if self.notes is not None:
                    self.notes.append(f"{self.where}: {self.item}: '{path}' was sent as the string {value!r}; read as {n}")
                return
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"is a {_kind(value)}, not a count")
        if not 0 <= value <= INT_MAX:
            raise self.fail(path, f"is {value}, outside 0..{INT_MAX}")

    def number(self, parent: Mapping[str, Any], key: str, path: str) -> int:
        value = parent.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, "is missing" if value is None else f"is a {_kind(value)}, not an integer")
        if not 1 <= value <= INT_MAX:
            raise self.fail(path, f"is {value}, outside 1..{INT_MAX}")
        return value

    def sha(self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> None:
        value = parent.get(key)
        if value is None and not required:
            return
        if not isinstance(value, str) or not SHA_RE.fullmatch(value):
            shown = "is missing" if value is None else f"is not 40 lower-case hex characters ({_short(value)})"
            raise self.fail(path, shown)

    def ts(self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> None:
        check_ts(parent.get(key), self.where, self.item, path, required=required)

    def user(self, parent: Mapping[str, Any], key: str) -> None:
        u = self.obj(parent, key, key)
        if u is not None:
            self.text(u, "login", f"{key}.login")


def _kind(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def item_label(kind: str, payload: Any, index: int | None = None) -> str:
    """How an item is named in messages: ``commit 1a2b3c4d5e6f``, ``issue #12``; its position if unnamed."""
    if isinstance(payload, dict):
        if kind == "commit" and isinstance(payload.get("sha"), str) and SHA_RE.fullmatch(payload["sha"]):
            return f"commit {payload['sha'][:12]}"
        num = payload.get("number")
        if kind != "commit" and isinstance(num, int) and not isinstance(num, bool) and 1 <= num <= INT_MAX:
            return f"{'pull request' if kind == 'pull' else 'issue'} #{num}"
    return f"{kind} item {index}" if index is not None else f"{kind} item"


# -- the payloads -------------------------------------------------------------------------------------------
def commit(payload: Any, where: str, *, notes: list[str] | None = None, index: int | None = None,
           expect_sha: str | None = None) -> dict[str, Any]:
    """A commit list item or detail (``GET /repos/{o}/{r}/commits[/{sha}]``): a cleaned, checked copy."""
    label = item_label("commit", payload, index)
    if expect_sha is not None and label.startswith("commit item"):
        label = f"commit {expect_sha[:12]}"
    if not isinstance(payload, dict):
        raise Invalid(where, label, "(item)", f"is a {_kind(payload)}, not an object")
    p = clean_json(payload)
    c = _Check(where, label, notes)
    c.sha(p, "sha", "sha")
    if expect_sha is not None and p["sha"] != expect_sha:
        raise c.fail("sha", f"is {p['sha']}, not the commit asked for ({expect_sha})")
    inner = c.obj(p, "commit", "commit", required=True)
    assert inner is not None
    committer = c.obj(inner, "committer", "commit.committer", required=True)
    assert committer is not None
    c.ts(committer, "date", "commit.committer.date", required=True)
    c.text(committer, "name", "commit.committer.name")
    c.text(committer, "email", "commit.committer.email")
    author = c.obj(inner, "author", "commit.author")
    if author is not None:
        c.ts(author, "date", "commit.author.date")
        c.text(author, "name", "commit.author.name")
        c.text(author, "email", "commit.author.email")
    c.text(inner, "message", "commit.message")
    c.user(p, "author")
    c.user(p, "committer")
    c.text(p, "html_url", "html_url")
    c.text(p, "url", "url")
    for i, parent in enumerate(c.lst(p, "parents", "parents")):
        if not isinstance(parent, dict):
            raise c.fail(f"parents[{i}]", f"is a {_kind(parent)}, not an object")
        c.sha(parent, "sha", f"parents[{i}].sha")
    stats = c.obj(p, "stats", "stats")
    if stats is not None:
        for k in ("total", "additions", "deletions"):
            c.count(stats, k, f"stats.{k}")
    sums = {"additions": 0, "deletions": 0}
    for i, f in enumerate(c.lst(p, "files", "files")):
        if not isinstance(f, dict):
            raise c.fail(f"files[{i}]", f"is a {_kind(f)}, not an object")
        c.text(f, "filename", f"files[{i}].filename", required=True)
        c.text(f, "status", f"files[{i}].status")
        c.text(f, "previous_filename", f"files[{i}].previous_filename")
        for k in ("additions", "deletions", "changes"):
            c.count(f, k, f"files[{i}].{k}")
        for k in sums:
            sums[k] += f.get(k) or 0
    for k, total in sums.items():
        if total > INT_MAX:
            raise c.fail(f"files[*].{k}", f"add up to {total}, more than {INT_MAX}")
    return p


def _issue_fields(c: _Check, p: dict[str, Any]) -> None:
    c.number(p, "number", "number")
    for k in ("title", "body", "state", "html_url", "url"):
        c.text(p, k, k)
    c.user(p, "user")
    for k in ("created_at", "updated_at", "closed_at"):
        c.ts(p, k, k)
    for i, label in enumerate(c.lst(p, "labels", "labels")):
        if isinstance(label, str):
            continue
        if not isinstance(label, dict):
            raise c.fail(f"labels[{i}]", f"is a {_kind(label)}, not a string or an object")
        c.text(label, "name", f"labels[{i}].name")


def issue(payload: Any, where: str, *, notes: list[str] | None = None, index: int | None = None) -> dict[str, Any]:
    """An item of ``GET /repos/{o}/{r}/issues`` (an issue, or a pull request with ``pull_request``)."""
    label = item_label("issue", payload, index)
    if not isinstance(payload, dict):
        raise Invalid(where, label, "(item)", f"is a {_kind(payload)}, not an object")
    p = clean_json(payload)
    c = _Check(where, label, notes)
    _issue_fields(c, p)
    pr = c.obj(p, "pull_request", "pull_request")
    if pr is not None:
        c.ts(pr, "merged_at", "pull_request.merged_at")
        c.text(pr, "html_url", "pull_request.html_url")
        c.text(pr, "url", "pull_request.url")
    c.count(p, "comments", "comments")
    return p


def pull(payload: Any, where: str, *, notes: list[str] | None = None, index: int | None = None) -> dict[str, Any]:
    """An item of ``GET /repos/{o}/{r}/pulls``."""
    label = item_label("pull", payload, index)
    if not isinstance(payload, dict):
        raise Invalid(where, label, "(item)", f"is a {_kind(payload)}, not an object")
    p = clean_json(payload)
    c = _Check(where, label, notes)
    _issue_fields(c, p)
    c.ts(p, "merged_at", "merged_at")
    c.sha(p, "merge_commit_sha", "merge_commit_sha", required=False)
    for k in ("additions", "deletions", "changed_files", "comments"):
        c.count(p, k, k)
    return p


def release(payload: Any, where: str, *, notes: list[str] | None = None, index: int | None = None) -> dict[str, Any]:
    """An item of ``GET /repos/{o}/{r}/releases``: ``tag_name`` a non-empty string (it is the release's id),
    ``draft``/``prerelease`` booleans or null, ``published_at``/``created_at`` dates or null, ``name``,
    ``body``, ``html_url`` strings or null, ``author`` an object or null."""
    tag = payload.get("tag_name") if isinstance(payload, dict) else None
    label = f"release {_short(tag)}" if isinstance(tag, str) and tag else (f"release item {index}" if index is not None else "release item")
    if not isinstance(payload, dict):
        raise Invalid(where, label, "(item)", f"is a {_kind(payload)}, not an object")
    p = clean_json(payload)
    c = _Check(where, label, notes)
    c.text(p, "tag_name", "tag_name", required=True)
    for k in ("name", "body", "html_url", "url", "target_commitish"):
        c.text(p, k, k)
    for k in ("draft", "prerelease"):
        if p.get(k) is not None and not isinstance(p.get(k), bool):
            raise c.fail(k, f"is a {_kind(p.get(k))}, not a boolean")
    for k in ("published_at", "created_at"):
        c.ts(p, k, k)
    c.user(p, "author")
    return p


VALIDATORS = {"commit": commit, "issue": issue, "pull": pull, "release": release}
