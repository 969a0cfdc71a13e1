"""Alias matching: taxonomy aliases compiled into boundary-checked regexes, and a literal-anchor prefilter.

Every alias is wrapped in token boundaries (see ``taxonomy.yaml``): a match may not touch letters or digits
on either side, except at a CamelCase step (lower->Upper on the left, "xY" / "XYz" on the right). `_ / - .`
and whitespace are boundaries, so identifiers and paths match like prose.

The prefilter keeps a year of items fast: it derives from each alias a literal prefix (its *anchor*) that
every match must start with, and only runs a label's regexes when one of its anchors starts at a token
boundary of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

TAG_FIELDS = ("hardware", "precision", "topics", "models")
WHERE = ("title", "path", "label")

_LEFT = r"(?:(?<![A-Za-z0-9])|(?-i:(?<=[a-z])(?=[A-Z])))"
_RIGHT = r"(?:(?![A-Za-z0-9])|(?-i:(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])))"
# Positions where an alias match may start: an alphanumeric run start, a CamelCase step,
# or a punctuation character.
_TOKEN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]|(?<=[a-z])[A-Z]|[^A-Za-z0-9\s]")
_META = set("[](){}?*+|.^$\\")


def _literal_to_re(text: str) -> str:
    parts = re.split(r"[\s_-]+", text.strip())
    return r"[\s_-]?".join(re.escape(p) for p in parts if p)


@dataclass
class Alias:
    id: str
    regex: str
    case: bool = False
    weak: bool = False
    prefix: bool = False
    where: tuple[str, ...] = WHERE

    def wrapped(self, plural: bool) -> str:
        body = self.regex
        if self.case:
            body = f"(?-i:{body})"
        tail = "" if self.prefix else ("(?:s)?" if plural else "") + _RIGHT
        return f"{_LEFT}(?:{body}){tail}"


def _split_top(regex: str) -> list[str] | None:
    """Split a regex on top-level '|' (None if it cannot be parsed simply)."""
    parts, depth, cls, cur, i = [], 0, False, [], 0
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            cur.append(regex[i:i + 2])
            i += 2
            continue
        if cls:
            cls = c != "]"
        elif c == "[":
            cls = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts if depth == 0 else None


def _group_end(text: str, j: int) -> tuple[int, int]:
    """From just inside an open group at ``j``, walk to just past its closing parenthesis (escapes skipped).
    Returns (depth left open, index): depth 0 when the group closes."""
    depth = 1
    while j < len(text) and depth:
        if text[j] == "\\":
            j += 2
            continue
        depth += {"(": 1, ")": -1}.get(text[j], 0)
        j += 1
    return depth, j


def anchors(regex: str) -> set[str] | None:
    """Lower-case literal prefixes one of which every match of `regex` must start with.

    Used as a cheap prefilter before running the real (boundary-checked) regex.
    Returns None when no safe anchor of >= 2 characters can be derived.
    """
    alts = _split_top(regex)
    if alts is None:
        return None
    out: set[str] = set()
    for alt in alts:
        while alt.startswith(("(?<!", "(?<=", "(?!", "(?=")):  # zero-width assertions: skip
            _, j = _group_end(alt, alt.index("(") + 1)
            alt = alt[j:]
        if alt.startswith("(?-i:") or alt.startswith("(?:"):
            start = 5 if alt.startswith("(?-i:") else 3
            depth, j = _group_end(alt, start)
            if depth or (j < len(alt) and alt[j] in "?*{"):
                return None
            inner = anchors(alt[start:j - 1])
            if inner is None:
                return None
            out |= inner
            continue
        lit = []
        for c in alt:
            if c in _META:
                if c in "?*{" and lit:
                    lit.pop()
                break
            lit.append(c.lower())
        if len(lit) < 2:
            return None
        out.add("".join(lit))
    return out


@dataclass
class LabelMatcher:
    """All aliases of one label, compiled per place (title / path / label) into a strong and a weak regex."""

    field: str
    label: str
    description: str
    suppressed_by: tuple[str, ...]
    # where -> (strong pattern, weak pattern, group name -> alias id)
    patterns: dict[str, tuple[re.Pattern | None, re.Pattern | None, dict[str, str]]] = field(default_factory=dict)
    aliases: list[Alias] = field(default_factory=list)
    anchors: dict[str, tuple[str, ...] | None] = field(default_factory=dict)

    def match(self, where: str, text: str) -> tuple[str | None, bool]:
        """(alias id, weak?) of the first alias matching `text`, or (None, False)."""
        strong, weak, groups = self.patterns[where]
        if strong is not None:
            m = strong.search(text)
            if m:
                return groups[m.lastgroup], False
        if weak is not None:
            m = weak.search(text)
            if m:
                return groups[m.lastgroup], True
        return None, False


def compile_field(fname: str, spec: Mapping[str, Any]) -> list[LabelMatcher]:
    """One field's labels (``hardware:``, ``precision:`` ...) from the taxonomy into matchers."""
    plural = fname == "hardware"
    matchers: dict[str, LabelMatcher] = {}
    implied: list[tuple[str, Alias]] = []
    for label, entry in spec.items():
        entry = entry or {}
        m = LabelMatcher(
            field=fname,
            label=str(label),
            description=str(entry.get("description", "")),
            suppressed_by=tuple(entry.get("suppressed_by") or ()),
        )
        for raw in entry.get("aliases") or []:
            if isinstance(raw, str):
                a = Alias(id=raw, regex=_literal_to_re(raw))
                extra: tuple = ()
            else:
                a = Alias(
                    id=str(raw.get("id") or raw["re"]),
                    regex=str(raw["re"]),
                    case=bool(raw.get("case", False)),
                    weak=bool(raw.get("weak", False)),
                    prefix=bool(raw.get("prefix", False)),
                    where=tuple(raw.get("in") or WHERE),
                )
                extra = tuple(raw.get("implies") or ())
            m.aliases.append(a)
            for other in extra:
                implied.append((str(other), a))
        matchers[m.label] = m
    for other, a in implied:  # "w4a8" (int4) also sets fp8
        if other not in matchers:
            raise ValueError(f"{fname}: alias {a.id!r} implies unknown label {other!r}")
        matchers[other].aliases.append(a)
    for m in matchers.values():
        for where in WHERE:
            groups: dict[str, str] = {}
            strong_parts, weak_parts = [], []
            for i, a in enumerate(m.aliases):
                if where not in a.where:
                    continue
                g = f"a{i}"
                groups[g] = a.id
                (weak_parts if a.weak else strong_parts).append(f"(?P<{g}>{a.wrapped(plural)})")
            found: set[str] | None = set()
            for a in m.aliases:
                if where in a.where:
                    got = anchors(a.regex)
                    if got is None:
                        found = None
                        break
                    found |= got
            m.anchors[where] = tuple(sorted(found)) if found is not None else None
            strong = re.compile("|".join(strong_parts), re.I) if strong_parts else None
            weak = re.compile("|".join(weak_parts), re.I) if weak_parts else None
            m.patterns[where] = (strong, weak, groups)
    return list(matchers.values())


class AliasIndex:
    """The literal-anchor prefilter over every label matcher of every field, one index per place.

    :meth:`candidates` returns, in a fixed order, only the matchers whose anchor starts at a token
    boundary of the text (matchers with no derivable anchor are always returned).
    """

    def __init__(self, matchers: list[LabelMatcher]):
        self.matchers = matchers
        self._always: dict[str, tuple[int, ...]] = {}
        # place -> first two characters of an anchor -> [(anchor, matcher indexes)]
        self._index: dict[str, dict[str, list[tuple[str, tuple[int, ...]]]]] = {}
        for where in WHERE:
            by_anchor: dict[str, list[int]] = {}
            always = []
            for i, m in enumerate(matchers):
                if not any(where in a.where for a in m.aliases):
                    continue
                found = m.anchors[where]
                if found is None:
                    always.append(i)
                    continue
                for a in found:
                    by_anchor.setdefault(a, []).append(i)
            index: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
            for a in sorted(by_anchor, key=lambda k: (-len(k), k)):
                index.setdefault(a[:2], []).append((a, tuple(by_anchor[a])))
            self._always[where] = tuple(always)
            self._index[where] = index

    def candidates(self, where: str, text: str) -> list[LabelMatcher]:
        """Label matchers whose literal anchor starts at a token boundary of `text`.

        Every alias match starts at a token boundary, so its anchor (literal prefix) does too.
        """
        hits = set(self._always[where])
        low = text.lower()
        index = self._index[where]
        for m in _TOKEN_START.finditer(text):
            i = m.start()
            for a, idxs in index.get(low[i:i + 2], ()):
                if low.startswith(a, i):
                    hits.update(idxs)
        return [self.matchers[i] for i in sorted(hits)]
