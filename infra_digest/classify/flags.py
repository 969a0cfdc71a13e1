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
from .matching import anchors
from .prefixes import Prefix, clean_title, mask_identifiers
from .taxonomy import norm_key

__all__ = ["FlagRules", "collect_flags", "gate_flags"]

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
    any_type: tuple[re.Pattern | None, dict[str, str]] = (None, {})  # title entries that hold for every type


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
                any_type=_union([e for e in title if e.get("any_type")], True),
            ))
        self.ids = tuple(f.id for f in self.flags)
        self.squash_flags: frozenset[str] = frozenset()
        self.squash_line: re.Pattern | None = None
        self.squash_max = 100
        self.description_flags: frozenset[str] = frozenset()
        # a cheap first test: the literal prefixes (anchors) one of which every match of a flag's title entries
        # starts with; None when an entry has none (its flag is always tried)
        self.title_anchors: dict[str, re.Pattern | None] = {}
        for fid, entry in (spec or {}).items():
            found: set[str] | None = set()
            for e in entry.get("title") or []:
                got = anchors(e["re"])
                if got is None:
                    found = None
                    break
                found |= got
            self.title_anchors[str(fid)] = (
                re.compile("|".join(re.escape(a) for a in sorted(found))) if found is not None else None)
        self.any_body = _union([e for entry in (spec or {}).values() for e in entry.get("body") or []], True, re.I | re.M)

    def configure_squash(self, spec: Mapping[str, Any] | None) -> None:
        """``squash:`` of the taxonomy: the flags a squash-merged commit takes from the titles its body lists."""
        spec = spec or {}
        self.squash_flags = frozenset(spec.get("flags") or ())
        self.squash_line = re.compile(spec["line"], re.M) if spec.get("line") else None
        self.squash_max = int(spec.get("max_lines", 100))

    def configure_description(self, flags: Any) -> None:
        """``flags_from_description``: the flags whose body patterns are also read in a commit's description."""
        self.description_flags = frozenset(flags or ())

    def squash_titles(self, body: str) -> list[str]:
        """The titles a squash-merged commit's body lists ("* Drop support for CUDA<12.3"), at most `max_lines`."""
        if self.squash_line is None or not body:
            return []
        out = []
        for m in self.squash_line.finditer(body):
            out.append(m.group(1).strip())
            if len(out) >= self.squash_max:
                break
        return out

    def path_flags(self, path: str) -> tuple[tuple[str, str], ...]:
        """(flag, rule id) of every flag a changed file's path sets (cached with the path's other facts)."""
        out = []
        for flag in self.flags:
            hit = _search(flag.paths, path)
            if hit:
                out.append((flag.id, hit))
        return tuple(out)


def _search(compiled: tuple[re.Pattern | None, dict[str, str]], text: str) -> str | None:
    rx, ids = compiled
    if rx is None or not text:
        return None
    m = rx.search(text)
    return ids[m.lastgroup] if m else None


def collect_flags(rules: FlagRules, item: ClassifyInput, title: str, prefixes: list[Prefix],
                  change_type: str = "", path_info=None, description=None) -> dict[str, str]:
    """flag -> rule id for every flag the item carries (a flag listing `change_type` in `not_for_types` is not
    set: removing a CI argument breaks no user).  The body is read for issues and for reverts (which say why); a
    revert's title is not: it names the change it undoes, whose flags it does not carry."""
    found: dict[str, str] = {}
    if not rules.flags:
        return found
    if path_info is None:
        def path_info(p):  # noqa: E306
            return type("PathFlags", (), {"flags": rules.path_flags(p)})
    masked = mask_identifiers(title) if title else ""
    merged = [(t, clean_title(t)) for t in item.merged]
    read_body = item.kind == "issue" or change_type == "revert"
    low = title.lower()
    read_body = read_body and _search(rules.any_body, item.body) is not None
    # a commit's or pull request's description (before its test plan, results, checklist) says why, for these flags
    desc = ""
    if (not read_body and item.body and description is not None and rules.description_flags
            and _search(rules.any_body, item.body) is not None):
        desc = description(item.body)
        if _search(rules.any_body, desc) is None:
            desc = ""
    by_path: dict[str, str] = {}
    for p in item.paths:
        for fid, hit in path_info(p).flags:
            by_path.setdefault(fid, hit)
    squash = ([(t, clean_title(t)) for t in rules.squash_titles(item.body)]
              if item.kind == "commit" and rules.squash_flags and change_type != "revert" else [])
    for flag in rules.flags:
        if change_type in flag.not_for_types:
            # a few entries hold whatever the type ("Drop support for CUDA < 12.8" in a README is still breaking)
            hit = _search(flag.any_type, masked) if title and change_type != "revert" else None
            if hit:
                found[flag.id] = f"title:{hit}"
            continue
        rule = None
        for p in prefixes:
            if p.key in flag.labels:
                rule = f"prefix:{p.raw}"
                break
        if rule is None and title and change_type != "revert":  # a revert's title names what it undoes
            anch = rules.title_anchors[flag.id]
            if anch is None or anch.search(low):
                hit = _search(flag.masked, masked) or _search(flag.unmasked, title)
                rule = f"title:{hit}" if hit else None
        if rule is None:
            lab = next((x for x in item.labels if norm_key(x) in flag.labels), None)
            rule = f"label:{lab}" if lab else None
        if rule is None and read_body:
            hit = _search(flag.body, item.body)
            rule = f"body:{hit}" if hit else None
        if rule is None and desc and flag.id in rules.description_flags:
            hit = _search(flag.body, desc)
            rule = f"body:{hit}" if hit else None
        if rule is None and flag.id in by_path:
            rule = f"path:{by_path[flag.id]}"
        if rule is None:
            for _raw, cleaned in merged:
                hit = _search(flag.masked, mask_identifiers(cleaned)) or _search(flag.unmasked, cleaned)
                if hit:
                    rule = f"merged:{hit}"
                    break
        if rule is None and flag.id in rules.squash_flags:
            for _raw, cleaned in squash:
                hit = _search(flag.masked, mask_identifiers(cleaned)) or _search(flag.unmasked, cleaned)
                if hit:
                    rule = f"squash:{hit}"
                    break
        if rule:
            found[flag.id] = rule
    return found


def gate_flags(rules: FlagRules, found: dict[str, str], change_type: str) -> dict[str, str]:
    """`found` (collected for another type) without the flags `change_type` cannot carry (`not_for_types`), except
    those set by an entry that holds for every type (`any_type`)."""
    out = {}
    for flag in rules.flags:
        rule = found.get(flag.id)
        if rule is None:
            continue
        if change_type in flag.not_for_types and rule not in {f"title:{i}" for i in flag.any_type[1].values()}:
            continue
        out[flag.id] = rule
    return out
