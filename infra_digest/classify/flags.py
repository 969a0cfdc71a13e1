"""Impact flags: security, breaking, default-change, regression, crash, release (issue 15).

A flag is set by a pattern of ``flags:`` in ``taxonomy.yaml`` matching the title (identifiers masked unless the
entry says ``unmasked``), a label or bracket prefix named like the flag's labels, the body (issues only), a changed
file's path, or the title of a commit a merge brings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from .inputs import ClassifyInput
from .prefixes import Prefix, clean_title, mask_identifiers
from .taxonomy import norm_key

__all__ = ["FlagRules", "collect_flags"]

_B_LEFT, _B_RIGHT = "(?<![A-Za-z0-9])", "(?![A-Za-z0-9])"


def _union(entries: list[Mapping[str, Any]], bounded: bool, flags: int = re.I) -> tuple[re.Pattern | None, dict[str, str]]:
    parts, ids = [], {}
    for i, e in enumerate(entries):
        g = f"f{i}"
        ids[g] = str(e["id"])
        body = f"(?:{e['re']})"
        parts.append(f"(?P<{g}>{_B_LEFT}{body}{_B_RIGHT})" if bounded else f"(?P<{g}>{body})")
    return (re.compile("|".join(parts), flags) if parts else None), ids


@dataclass
class _Flag:
    id: str
    masked: tuple[re.Pattern | None, dict[str, str]]
    unmasked: tuple[re.Pattern | None, dict[str, str]]
    body: tuple[re.Pattern | None, dict[str, str]]
    paths: tuple[re.Pattern | None, dict[str, str]]
    labels: frozenset[str]
    not_for_types: frozenset[str]


class FlagRules:
    """The compiled ``flags:`` section of a taxonomy."""

    def __init__(self, spec: Mapping[str, Any]):
        self.flags: list[_Flag] = []
        for fid, entry in (spec or {}).items():
            title = entry.get("title") or []
            self.flags.append(_Flag(
                id=str(fid),
                masked=_union([e for e in title if not e.get("unmasked")], True),
                unmasked=_union([e for e in title if e.get("unmasked")], True),
                body=_union(entry.get("body") or [], True, re.I | re.M),
                paths=_union(entry.get("paths") or [], False),
                labels=frozenset(norm_key(x) for x in entry.get("labels") or ()) | {norm_key(fid)},
                not_for_types=frozenset(entry.get("not_for_types") or ()),
            ))
        self.ids = tuple(f.id for f in self.flags)


def _search(compiled: tuple[re.Pattern | None, dict[str, str]], text: str) -> str | None:
    rx, ids = compiled
    if rx is None or not text:
        return None
    m = rx.search(text)
    return ids[m.lastgroup] if m else None


def collect_flags(rules: FlagRules, item: ClassifyInput, title: str, prefixes: list[Prefix],
                  change_type: str = "") -> dict[str, str]:
    """flag -> rule id for every flag the item carries (a flag listing `change_type` in `not_for_types` is not
    set: removing a CI argument breaks no user).  The body is read for issues and for reverts (which say why)."""
    found: dict[str, str] = {}
    if not rules.flags:
        return found
    masked = mask_identifiers(title) if title else ""
    merged = [(t, clean_title(t)) for t in item.merged]
    read_body = item.kind == "issue" or change_type == "revert"
    for flag in rules.flags:
        if change_type in flag.not_for_types:
            continue
        rule = None
        for p in prefixes:
            if p.key in flag.labels:
                rule = f"prefix:{p.raw}"
                break
        if rule is None:
            hit = _search(flag.masked, masked) or _search(flag.unmasked, title)
            rule = f"title:{hit}" if hit else None
        if rule is None:
            lab = next((x for x in item.labels if norm_key(x) in flag.labels), None)
            rule = f"label:{lab}" if lab else None
        if rule is None and read_body:
            hit = _search(flag.body, item.body)
            rule = f"body:{hit}" if hit else None
        if rule is None and flag.paths[0] is not None:
            hit = next((h for h in (_search(flag.paths, p) for p in item.paths) if h), None)
            rule = f"path:{hit}" if hit else None
        if rule is None:
            for _raw, cleaned in merged:
                hit = _search(flag.masked, mask_identifiers(cleaned)) or _search(flag.unmasked, cleaned)
                if hit:
                    rule = f"merged:{hit}"
                    break
        if rule:
            found[flag.id] = rule
    return found
