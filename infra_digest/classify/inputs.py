"""The classifier's input, and the one adapter that builds it.

`classify_input(kind, row)` reads a core row (``core.commits``, ``core.pull_requests``, ``core.issues``);
`input_from_github(obj)` reads a GitHub REST object (or an object in ClassifyInput shape) by mapping it to
the same row shape first, so both go through the same normalisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["ClassifyInput", "KINDS", "classify_inputs", "MAX_BODY_CHARS", "MAX_TITLE_CHARS", "classify_input", "first_line", "input_from_github"]

KINDS = ("commit", "pull_request", "issue")


# What is classified of an item: enough for every rule, and bounded, so that any input costs linear time and
# little memory (a 10 MB body or a 100 KB title is cut, not scanned).  GitHub caps issue and PR titles at 256
# characters; the rules read the body's first lines (issue cues: its first 600 characters).
MAX_TITLE_CHARS = 1_000
MAX_BODY_CHARS = 16_000
MAX_LABELS = 100
MAX_LABEL_CHARS = 100
MAX_PATHS = 10_000
MAX_PATH_CHARS = 1_000
MAX_MERGED = 100

# str.splitlines() boundaries
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


@dataclass(frozen=True)
class ClassifyInput:
    kind: str  # "commit" | "pull_request" | "issue"
    title: str
    body: str = ""
    labels: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # file paths touched (commits/PRs)
    is_merge: bool = False  # a merge commit (two or more parents)
    merged: tuple[str, ...] = ()  # a merge commit: the titles of the commits it brings (see classify_inputs)
    changes: tuple[int, ...] = ()  # lines added + deleted per path, when known (same order as paths)

    def bounded(self) -> "ClassifyInput":
        """This input with every field within the limits above (itself when it already is)."""
        if self.title is None or self.body is None:  # tolerated, as before: treated as empty
            return ClassifyInput(self.kind, self.title or "", self.body or "", self.labels, self.paths,
                                 self.is_merge, self.merged, self.changes).bounded()
        if (len(self.title) <= MAX_TITLE_CHARS and len(self.body) <= MAX_BODY_CHARS
                and len(self.labels) <= MAX_LABELS and len(self.paths) <= MAX_PATHS and len(self.merged) <= MAX_MERGED
                and all(len(x) <= MAX_TITLE_CHARS for x in self.merged)
                and all(len(x) <= MAX_LABEL_CHARS for x in self.labels)
                and all(len(x) <= MAX_PATH_CHARS for x in self.paths)):
            return self
        return ClassifyInput(
            kind=self.kind,
            title=self.title[:MAX_TITLE_CHARS],
            body=self.body[:MAX_BODY_CHARS],
            labels=tuple(x[:MAX_LABEL_CHARS] for x in self.labels[:MAX_LABELS]),
            paths=tuple(x[:MAX_PATH_CHARS] for x in self.paths[:MAX_PATHS]),
            is_merge=self.is_merge,
            merged=tuple(x[:MAX_TITLE_CHARS] for x in self.merged[:MAX_MERGED]),
            changes=self.changes[:MAX_PATHS],
        )


def first_line(text: str | None) -> str:
    """A commit message's title: its first non-blank line, stripped (as ``text.strip().splitlines()[0]``,
    without splitting the whole message)."""
    rest = (text or "").lstrip()
    m = _LINE_BREAK.search(rest)
    return (rest[:m.start()] if m else rest).strip()


def _str(v: Any) -> str:
    return v if isinstance(v, str) else ("" if v is None else str(v))


def _label_names(raw: Any) -> tuple[str, ...]:
    names = []
    for lab in raw or ():
        name = lab.get("name") if isinstance(lab, Mapping) else lab
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return tuple(names)


def _files(raw: Any) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(file names, lines changed per file); the counts are () unless every file has them."""
    names, counts = [], []
    for f in raw if isinstance(raw, (list, tuple)) else ():
        name = f.get("filename") if isinstance(f, Mapping) else f
        if isinstance(name, str) and name:
            names.append(name)
            if isinstance(f, Mapping):
                a, d = f.get("additions"), f.get("deletions")
                if type(a) is int and type(d) is int:
                    counts.append(max(a, 0) + max(d, 0))
    return tuple(names), (tuple(counts) if len(counts) == len(names) else ())


def classify_input(kind: str, row: Mapping[str, Any]) -> ClassifyInput:
    """A core row (or any mapping in its shape) -> the classifier's input.

    Reads ``title``; for commits the body is the message after its first line (``message``, stripped), else
    ``body``;
    ``labels`` (names or {"name": ...}); ``files`` (file names or {"filename": ...}).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if kind == "commit" and row.get("message") is not None:
        message = _str(row.get("message"))
        body = message.split("\n", 1)[1].strip() if "\n" in message else ""
    else:
        body = _str(row.get("body"))
    parents = row.get("parents")
    paths, changes = _files(row.get("files"))
    return ClassifyInput(
        kind=kind,
        title=_str(row.get("title")).strip(),
        body=body,
        labels=_label_names(row.get("labels")),
        paths=paths,
        changes=changes,
        is_merge=kind == "commit" and (row.get("is_merge") is True or (isinstance(parents, list) and len(parents) > 1)),
    )


def _parent_shas(row: Mapping[str, Any]) -> list[str]:
    out = []
    for p in row.get("parents") or ():
        sha = p.get("sha") if isinstance(p, Mapping) else p
        if isinstance(sha, str):
            out.append(sha)
    return out


def classify_inputs(kind: str, rows: list[Mapping[str, Any]]) -> list[ClassifyInput]:
    """`classify_input` for a batch (one repository-day): a merge commit also gets the titles of the commits
    it brings that are in the batch (reachable from its second and later parents, not from its first)."""
    inputs = [classify_input(kind, row) for row in rows]
    if kind != "commit" or not any(i.is_merge for i in inputs):
        return inputs
    by_sha = {row.get("sha"): row for row in rows if isinstance(row.get("sha"), str)}

    def reachable(starts: list[str], stop: set[str]) -> list[str]:
        seen: list[str] = []
        todo, done = list(starts), set(stop)
        while todo and len(seen) < MAX_MERGED:
            sha = todo.pop()
            if sha in done or sha not in by_sha:
                continue
            done.add(sha)
            seen.append(sha)
            todo.extend(_parent_shas(by_sha[sha]))
        return seen

    out = []
    for row, inp in zip(rows, inputs):
        parents = _parent_shas(row)
        if inp.is_merge and len(parents) > 1:
            base = set(reachable(parents[:1], set()))
            brought = reachable(parents[1:], base)
            titles = tuple(first_line(_str(by_sha[s].get("title"))) for s in brought)
            inp = ClassifyInput(inp.kind, inp.title, inp.body, inp.labels, inp.paths, inp.is_merge,
                                tuple(t for t in titles if t), inp.changes)
        out.append(inp)
    return out


def input_from_github(obj: Mapping[str, Any]) -> ClassifyInput:
    """Build a ClassifyInput from a GitHub REST object (commit, issue or pull request).

    Also accepts an object already in ClassifyInput shape ({"kind": ..., "title": ..., "paths": [...]}).
    Raises ValueError for anything else.
    """
    if not isinstance(obj, Mapping):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if "sha" in obj and isinstance(obj.get("commit"), Mapping):
        message = _str(obj["commit"].get("message"))
        return classify_input("commit", {"title": first_line(message), "message": message, "files": obj.get("files"),
                                         "parents": _parent_shas(obj)})
    if "number" in obj:
        is_pr = "pull_request" in obj or "merged_at" in obj or "head" in obj
        return classify_input("pull_request" if is_pr else "issue", obj)
    if "kind" in obj and "title" in obj:
        return classify_input(_str(obj.get("kind")), {**obj, "message": None, "files": obj.get("paths")})
    raise ValueError("not a GitHub commit (sha+commit), issue/pull request (number) or ClassifyInput object")
