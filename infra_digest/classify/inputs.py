"""The classifier's input, and the one adapter that builds it.

`classify_input(kind, row)` reads a core row (``core.commits``, ``core.pull_requests``, ``core.issues``);
`input_from_github(obj)` reads a GitHub REST object (or an object in ClassifyInput shape) by mapping it to
the same row shape first, so both go through the same normalisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["ClassifyInput", "KINDS", "classify_input", "first_line", "input_from_github"]

KINDS = ("commit", "pull_request", "issue")


@dataclass(frozen=True)
class ClassifyInput:
    kind: str  # "commit" | "pull_request" | "issue"
    title: str
    body: str = ""
    labels: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # file paths touched (commits/PRs)


def first_line(text: str | None) -> str:
    """A commit message's title: its first non-blank line, stripped."""
    return (text or "").strip().splitlines()[0].strip() if (text or "").strip() else ""


def _str(v: Any) -> str:
    return v if isinstance(v, str) else ("" if v is None else str(v))


def _label_names(raw: Any) -> tuple[str, ...]:
    names = []
    for lab in raw or ():
        name = lab.get("name") if isinstance(lab, Mapping) else lab
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return tuple(names)


def _file_names(raw: Any) -> tuple[str, ...]:
    out = []
    for f in raw or ():
        name = f.get("filename") if isinstance(f, Mapping) else f
        if isinstance(name, str) and name:
            out.append(name)
    return tuple(out)


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
    return ClassifyInput(
        kind=kind,
        title=_str(row.get("title")).strip(),
        body=body,
        labels=_label_names(row.get("labels")),
        paths=_file_names(row.get("files")),
    )


def input_from_github(obj: Mapping[str, Any]) -> ClassifyInput:
    """Build a ClassifyInput from a GitHub REST object (commit, issue or pull request).

    Also accepts an object already in ClassifyInput shape ({"kind": ..., "title": ..., "paths": [...]}).
    Raises ValueError for anything else.
    """
    if not isinstance(obj, Mapping):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if "sha" in obj and isinstance(obj.get("commit"), Mapping):
        message = _str(obj["commit"].get("message"))
        return classify_input("commit", {"title": first_line(message), "message": message, "files": obj.get("files")})
    if "number" in obj:
        is_pr = "pull_request" in obj or "merged_at" in obj or "head" in obj
        return classify_input("pull_request" if is_pr else "issue", obj)
    if "kind" in obj and "title" in obj:
        return classify_input(_str(obj.get("kind")), {**obj, "message": None, "files": obj.get("paths")})
    raise ValueError("not a GitHub commit (sha+commit), issue/pull request (number) or ClassifyInput object")
