"""Rule-based, explainable classifier for commits, pull requests and issues.

Pure and deterministic: the same input and taxonomy always give the same `Labels`.
All vocabulary (label ids, aliases, prefixes, cues, path patterns) lives in
``taxonomy.yaml``; this module only implements the matching and precedence logic
described in ``docs/taxonomy.md``.

Imports are kept light on purpose (stdlib + PyYAML): the pipeline classifies a year
of activity (~40,000 items) in a few seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

__all__ = [
    "ClassifyInput",
    "Labels",
    "Taxonomy",
    "load_taxonomy",
    "classify",
    "input_from_github",
    "TAG_FIELDS",
]

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")
TAG_FIELDS = ("hardware", "precision", "topics", "models")
KINDS = ("commit", "pull_request", "issue")


# ---------------------------------------------------------------------------
# Public data types
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassifyInput:
    kind: str  # "commit" | "pull_request" | "issue"
    title: str
    body: str = ""
    labels: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # file paths touched (commits/PRs)


@dataclass(frozen=True)
class Labels:
    change_type: str
    hardware: tuple[str, ...]
    precision: tuple[str, ...]
    topics: tuple[str, ...]
    models: tuple[str, ...]
    rules: tuple[str, ...]  # "<field>:<label><-<rule id>", one per label set

    def as_dict(self) -> dict[str, Any]:
        return {
            "change_type": self.change_type,
            "hardware": list(self.hardware),
            "precision": list(self.precision),
            "topics": list(self.topics),
            "models": list(self.models),
            "rules": list(self.rules),
        }


# ---------------------------------------------------------------------------
# Taxonomy compilation
# ---------------------------------------------------------------------------
# Token boundaries: a match may not touch letters/digits on either side, except at a
# CamelCase step (lower->Upper on the left, "xY" / "XYz" on the right).  `_ / - .` and
# whitespace are boundaries, so identifiers and paths match like prose.
_LEFT = r"(?:(?<![A-Za-z0-9])|(?-i:(?<=[a-z])(?=[A-Z])))"
_RIGHT = r"(?:(?![A-Za-z0-9])|(?-i:(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])))"
_WHERE = ("title", "path", "label")
# Positions where an alias match may start: an alphanumeric run start, a CamelCase step,
# or a punctuation character.
_TOKEN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]|(?<=[a-z])[A-Z]|[^A-Za-z0-9\s]")


def _literal_to_re(text: str) -> str:
    parts = re.split(r"[\s_-]+", text.strip())
    return r"[\s_-]?".join(re.escape(p) for p in parts if p)


@dataclass
class _Alias:
    id: str
    regex: str
    case: bool = False
    weak: bool = False
    prefix: bool = False
    where: tuple[str, ...] = _WHERE

    def wrapped(self, plural: bool) -> str:
        body = self.regex
        if self.case:
            body = f"(?-i:{body})"
        tail = "" if self.prefix else ("(?:s)?" if plural else "") + _RIGHT
        return f"{_LEFT}(?:{body}){tail}"


_META = set("[](){}?*+|.^$\\")


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


def _anchors(regex: str) -> set[str] | None:
    """Lower-case literal prefixes one of which every match of `regex` must contain.

    Used as a cheap substring prefilter before running the real (boundary-checked)
    regex.  Returns None when no safe anchor of >= 2 characters can be derived.
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
            inner = _anchors(alt[start:j - 1])
            if inner is None:
                return None
            out |= inner
            continue
        lit = []
        for k, c in enumerate(alt):
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
class _LabelMatcher:
    field: str
    label: str
    description: str
    suppressed_by: tuple[str, ...]
    # where -> (strong pattern, weak pattern, group name -> alias id)
    patterns: dict[str, tuple[re.Pattern | None, re.Pattern | None, dict[str, str]]] = field(default_factory=dict)
    aliases: list[_Alias] = field(default_factory=list)
    anchors: dict[str, tuple[str, ...] | None] = field(default_factory=dict)

    def match(self, where: str, text: str, low: str | None = None, prefiltered: bool = False) -> tuple[str | None, bool]:
        """Return (alias id, weak?) of the first alias matching `text`, or (None, False).

        `low` is `text.lower()` for the literal-anchor prefilter (skipped when `prefiltered`).
        """
        anchors = None if prefiltered else self.anchors[where]
        if anchors is not None:
            if low is None:
                low = text.lower()
            for a in anchors:
                if a in low:
                    break
            else:
                return None, False
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


@dataclass
class _Cue:
    id: str
    type: str
    strength: int
    verb: bool
    override: bool
    pattern: re.Pattern


class Taxonomy:
    """A compiled taxonomy.  Build with :func:`load_taxonomy`."""

    def __init__(self, data: Mapping[str, Any], source: str = "<dict>"):
        self.source = source
        self.data = data
        self.commit_types: tuple[str, ...] = tuple(data["change_types"]["commit"])
        self.issue_types: tuple[str, ...] = tuple(data["change_types"]["issue"])
        self.fields: dict[str, list[_LabelMatcher]] = {}
        for fname in TAG_FIELDS:
            self.fields[fname] = self._compile_field(fname, data.get(fname) or {})
        self.label_ids = {f: tuple(m.label for m in ms) for f, ms in self.fields.items()}
        self._build_prefilter()

        cp = data["commit_prefixes"]
        self.prefix_types = self._invert(cp["types"])
        self.prefix_fallbacks = self._invert(cp.get("fallbacks") or {})
        self.scope_types = self._invert(cp.get("scope_types") or {})
        self.ambiguous_prefixes = {self._norm_key(k): tuple(v) for k, v in (cp.get("ambiguous") or {}).items()}
        self.commit_label_types = self._invert(data.get("commit_labels") or {})
        self.issue_prefix_types = self._invert(data.get("issue_prefixes") or {})
        self.issue_label_types = self._invert(data.get("issue_labels") or {})
        self._type_words = sorted(
            {k for k in self.prefix_types if " " not in k and "/" not in k and "(" not in k}, key=len, reverse=True
        )

        self.title_cues = [self._cue(c) for c in data.get("title_cues") or []]
        # all title cues in one pattern (strongest first); a lookahead reports one cue per
        # start position, so a single scan yields every cue's first position.
        ordered = sorted(range(len(self.title_cues)), key=lambda i: (-self.title_cues[i].strength, i))
        self._cue_scan = re.compile(
            "(?=(?<![A-Za-z0-9])(?:"
            + "|".join(f"(?P<c{i}>(?:{data['title_cues'][i]['re']})(?![A-Za-z0-9]))" for i in ordered)
            + "))",
            re.I,
        )
        self.issue_cues = [self._cue(c) for c in data.get("issue_cues") or []]
        obj = data.get("title_objects") or {}
        self.object_window = int(obj.get("window_words", 5))
        self.object_stop = frozenset(obj.get("stop_words") or ())
        self.object_types = [
            (t, re.compile(rf"^(?:{rx})(?![A-Za-z0-9])", re.I)) for t, rx in (obj.get("types") or {}).items()
        ]
        self.title_starts = [(t, re.compile(rf"^(?:{rx})", re.I)) for t, rx in (data.get("title_starts") or {}).items()]

        self.path_categories = [
            (cat, re.compile("|".join(f"(?:{p})" for p in pats))) for cat, pats in data["path_categories"].items()
        ]
        self.kernel_extensions = tuple(data.get("kernel_extensions") or ())
        self.path_share = float(data.get("path_share", 0.5))
        self.precision_implies_topic = dict(data.get("precision_implies_topic") or {})
        self.path_share_topics = float(data.get("path_share_topics", self.path_share))
        pte = data.get("path_topic_exclude") or []
        self.path_topic_exclude = re.compile("|".join(f"(?:{p})" for p in pte)) if pte else None
        self.bracket_tags = self._tag_map(data.get("bracket_tags") or {})
        self.label_tags = self._tag_map(data.get("label_tags") or {})
        # per-instance cache of path analyses (paths repeat a lot across a year of commits)
        self._path_cache: dict[str, _PathInfo] = {}

    # -- compilation helpers -------------------------------------------------
    @staticmethod
    def _norm_key(s: str) -> str:
        return re.sub(r"\s+", " ", str(s).strip().lower())

    def _invert(self, mapping: Mapping[str, Iterable[str]]) -> dict[str, str]:
        out: dict[str, str] = {}
        for typ, keys in mapping.items():
            for k in keys:
                out.setdefault(self._norm_key(k), typ)
        return out

    def _tag_map(self, mapping: Mapping[str, Iterable[str]]) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for key, tags in mapping.items():
            pairs = []
            for t in tags:
                fname, _, label = str(t).partition(":")
                if fname not in TAG_FIELDS:
                    raise ValueError(f"bad tag {t!r} for {key!r}: field must be one of {TAG_FIELDS}")
                pairs.append((fname, label))
            out[self._norm_key(key)] = pairs
        return out

    @staticmethod
    def _cue(c: Mapping[str, Any]) -> _Cue:
        rx = c["re"] if c.get("raw") else rf"(?<![A-Za-z0-9])(?:{c['re']})(?![A-Za-z0-9])"
        return _Cue(
            id=str(c["id"]),
            type=str(c["type"]),
            strength=int(c.get("strength", 2)),
            verb=bool(c.get("verb", False)),
            override=bool(c.get("override", False)),
            pattern=re.compile(rx, re.I),
        )

    def _compile_field(self, fname: str, spec: Mapping[str, Any]) -> list[_LabelMatcher]:
        plural = fname == "hardware"
        matchers: dict[str, _LabelMatcher] = {}
        implied: list[tuple[str, _Alias]] = []
        for label, entry in spec.items():
            entry = entry or {}
            m = _LabelMatcher(
                field=fname,
                label=str(label),
                description=str(entry.get("description", "")),
                suppressed_by=tuple(entry.get("suppressed_by") or ()),
            )
            for raw in entry.get("aliases") or []:
                if isinstance(raw, str):
                    a = _Alias(id=raw, regex=_literal_to_re(raw))
                    extra: tuple = ()
                else:
                    a = _Alias(
                        id=str(raw.get("id") or raw["re"]),
                        regex=str(raw["re"]),
                        case=bool(raw.get("case", False)),
                        weak=bool(raw.get("weak", False)),
                        prefix=bool(raw.get("prefix", False)),
                        where=tuple(raw.get("in") or _WHERE),
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
            for where in _WHERE:
                groups: dict[str, str] = {}
                strong_parts, weak_parts = [], []
                for i, a in enumerate(m.aliases):
                    if where not in a.where:
                        continue
                    g = f"a{i}"
                    groups[g] = a.id
                    (weak_parts if a.weak else strong_parts).append(f"(?P<{g}>{a.wrapped(plural)})")
                anchors: set[str] | None = set()
                for a in m.aliases:
                    if where in a.where:
                        got = _anchors(a.regex)
                        if got is None:
                            anchors = None
                            break
                        anchors |= got
                m.anchors[where] = tuple(sorted(anchors)) if anchors is not None else None
                strong = re.compile("|".join(strong_parts), re.I) if strong_parts else None
                weak = re.compile("|".join(weak_parts), re.I) if weak_parts else None
                m.patterns[where] = (strong, weak, groups)
        return list(matchers.values())

    def _build_prefilter(self) -> None:
        """One literal-anchor regex per source (title/path/label) over all fields.

        `candidates()` returns, in a fixed order, only the label matchers whose anchors
        occur in the text, so the boundary-checked regexes run for a handful of labels.
        """
        self._order: dict[int, int] = {}
        self._anchor_re: dict[str, re.Pattern | None] = {}
        self._anchor_labels: dict[str, dict[str, tuple[_LabelMatcher, ...]]] = {}
        self._always: dict[str, tuple[_LabelMatcher, ...]] = {}
        allm = [m for f in TAG_FIELDS for m in self.fields[f]]
        self._all_matchers = allm
        self._always_idx: dict[str, tuple[int, ...]] = {}
        self._anchor_index: dict[str, dict[str, list[tuple[str, tuple[int, ...]]]]] = {}
        for i, m in enumerate(allm):
            self._order[id(m)] = i
        for where in _WHERE:
            by_anchor: dict[str, list[_LabelMatcher]] = {}
            always = []
            for m in allm:
                if not any(where in a.where for a in m.aliases):
                    continue
                anchors = m.anchors[where]
                if anchors is None:
                    always.append(m)
                    continue
                for a in anchors:
                    by_anchor.setdefault(a, []).append(m)
            closure: dict[str, tuple[_LabelMatcher, ...]] = {}
            for a in by_anchor:
                ms = {id(x): x for b in by_anchor if a.startswith(b) for x in by_anchor[b]}
                closure[a] = tuple(ms.values())
            keys = sorted(by_anchor, key=lambda k: (-len(k), k))
            self._anchor_re[where] = (
                re.compile("(?=(" + "|".join(re.escape(k) for k in keys) + "))") if keys else None
            )
            self._anchor_labels[where] = closure
            self._always[where] = tuple(always)
            self._always_idx[where] = tuple(self._order[id(m)] for m in always)
            index: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
            for a in keys:
                index.setdefault(a[:2], []).append((a, tuple(self._order[id(m)] for m in by_anchor[a])))
            self._anchor_index[where] = index

    def candidates(self, where: str, text: str) -> list[_LabelMatcher]:
        """Label matchers whose literal anchor starts at a token boundary of `text`.

        Every alias match starts at a token boundary, so its anchor (literal prefix) does too.
        """
        hits = set(self._always_idx[where])
        low = text.lower()
        index = self._anchor_index[where]
        seen = set()
        for m in _TOKEN_START.finditer(text):
            i = m.start()
            key = low[i:i + 2]
            if key in seen:
                entries = index.get(key)
                if not entries:
                    continue
            else:
                seen.add(key)
                entries = index.get(key)
                if not entries:
                    continue
            for a, idxs in entries:
                if low.startswith(a, i):
                    hits.update(idxs)
        allm = self._all_matchers
        return [allm[i] for i in sorted(hits)]

    # -- lookups -------------------------------------------------------------
    def prefix_type(self, key: str) -> str | None:
        """Type named by a bracket/conventional prefix: exact key, else a type word inside it."""
        t = self.prefix_types.get(key)
        if t:
            return t
        for word in re.split(r"[\s/&+,|-]+", key):
            if word in self.prefix_types and word not in ("bump", "version", "setup", "add", "typo"):
                return self.prefix_types[word]
        return None

    def path_info(self, path: str) -> "_PathInfo":
        info = self._path_cache.get(path)
        if info is None:
            if len(self._path_cache) > 200_000:
                self._path_cache.clear()
            info = _analyse_path(self, path)
            self._path_cache[path] = info
        return info


@dataclass(frozen=True)
class _PathInfo:
    category: str  # ci | meta | docs | test | build | source
    tags: tuple[tuple[str, str, str, bool], ...]  # (field, label, alias id, weak)


def _analyse_path(tax: Taxonomy, path: str) -> _PathInfo:
    category = "source"
    for cat, rx in tax.path_categories:
        if rx.search(path):
            category = cat
            break
    tags: list[tuple[str, str, str, bool]] = []
    no_topics = tax.path_topic_exclude is not None and tax.path_topic_exclude.search(path) is not None
    for m in tax.candidates("path", path):
        if no_topics and m.field == "topics":
            continue
        alias, weak = m.match("path", path, None, prefiltered=True)
        if alias:
            tags.append((m.field, m.label, alias, weak))
    if not no_topics and path.endswith(tax.kernel_extensions) and not any(t[:2] == ("topics", "kernels") for t in tags):
        tags.append(("topics", "kernels", "ext:" + path.rsplit(".", 1)[-1], False))
    return _PathInfo(category, tuple(tags))


_TAXONOMY_CACHE: dict[str, Taxonomy] = {}


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load and compile a taxonomy YAML file (default: the packaged one).  Cached per path."""
    p = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    key = str(p.resolve())
    tax = _TAXONOMY_CACHE.get(key)
    if tax is None:
        with open(p, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # the C loader is 10x faster
        tax = Taxonomy(data, source=key)
        _TAXONOMY_CACHE[key] = tax
    return tax


# ---------------------------------------------------------------------------
# Title parsing
# ---------------------------------------------------------------------------
_PR_REF = re.compile(r"\s*\(#\d+\)|\s*\(#\d+…?\s*|\s+#\d+\s*$")
_BRACKET = re.compile(r"^\s*\[([^\[\]]{1,48})\]\s*:?\s*")
_PAREN = re.compile(r"^\s*\(([A-Za-z][\w ./-]{0,30})\)\s*:\s*")
_CONVENTIONAL = re.compile(r"^\s*([A-Za-z][A-Za-z0-9./ -]{0,28}?)\s*(?:\(([^()]{0,40})\))?!?\s*:\s+(?=\S)")
_REVERT = re.compile(r"""^\s*(?:\[revert\]|revert\b\s*[:"'“`(\[]|revert\s*$|revert\s+"|reverts?\s+(?:commit|pr|#)|revert\s+\[)""", re.I)
_REVERT_BODY = re.compile(r"this reverts commit [0-9a-f]{7,40}", re.I)
_IDENT = re.compile(r"`[^`]*`|[A-Za-z0-9]*(?:[_./:][A-Za-z0-9]+)+[A-Za-z0-9_]*(?:\(\))?|\b[a-z]+[A-Z][A-Za-z0-9]*\b|\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+){2,}\b")
_VERSION = re.compile(r"v?\d+(?:\.\d+)+[a-z0-9]*")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'_-]*")


@dataclass(frozen=True)
class _Prefix:
    raw: str  # as written, e.g. "[Bugfix]" or "fix(ci):"
    key: str  # normalised key, e.g. "bugfix" or "fix"
    scope: str = ""
    conventional: bool = False


def _known_prefix(tax: Taxonomy, key: str) -> bool:
    if key in tax.prefix_types or key in tax.prefix_fallbacks or key in tax.issue_prefix_types:
        return True
    return tax.prefix_type(key) is not None


def _parse_prefixes(tax: Taxonomy, title: str) -> tuple[list[_Prefix], str]:
    """Split leading "[A][B] (c): type(scope): " prefixes off a title.

    A conventional "word(scope): " prefix is taken when it is a single word (a type or a
    scope such as "benchmarks:") or a known multi-word prefix ("Feature Request:", "Fix CI:").
    """
    out: list[_Prefix] = []
    rest = title
    norm = Taxonomy._norm_key
    for _ in range(8):
        m = _BRACKET.match(rest)
        if m:
            out.append(_Prefix(f"[{m.group(1).strip()}]", norm(m.group(1))))
            rest = rest[m.end():]
            continue
        m = _PAREN.match(rest)
        if m:
            out.append(_Prefix(f"({m.group(1).strip()}):", norm(m.group(1))))
            rest = rest[m.end():]
            continue
        m = _CONVENTIONAL.match(rest)
        if m and (len(m.group(1).split()) == 1 or (len(m.group(1).split()) <= 3 and _known_prefix(tax, norm(m.group(1))))):
            word, scope = m.group(1), (m.group(2) or "")
            raw = f"{word.strip()}({scope}):" if m.group(2) is not None else f"{word.strip()}:"
            key = norm(word)
            if m.group(2) is not None and norm(f"{word}({scope})") in ("chore(deps)", "chore(build)"):
                key = norm(f"{word}({scope})")
            out.append(_Prefix(raw, key, norm(scope), True))
            rest = rest[m.end():]
            continue
        break
    return out, rest.strip()


def _clean_title(title: str) -> str:
    t = (title or "").strip()
    t = _PR_REF.sub(" ", t).strip()
    return re.sub(r"\s+", " ", t)


def _mask_identifiers(text: str) -> str:
    def repl(m: re.Match) -> str:
        s = m.group(0)
        if _VERSION.fullmatch(s):
            return s
        low = s.lower().strip("`")
        if low.startswith("test") or "/test" in low or "_test" in low or ".test" in low:
            return "testname"
        return "ident"

    return _IDENT.sub(repl, text)


# ---------------------------------------------------------------------------
# change_type
# ---------------------------------------------------------------------------
def _object_type(tax: Taxonomy, masked: str, start: int) -> str | None:
    """Area type ("ci", "test", "docs", "build") named as the object right after a verb."""
    words = 0
    pos = start
    n = len(masked)
    while words < tax.object_window and pos < n:
        m = _WORD.search(masked, pos)
        if not m:
            break
        w = m.group(0).lower()
        if w in tax.object_stop:
            break
        tail = masked[m.start():]
        for typ, rx in tax.object_types:
            if rx.match(tail):
                return typ
        words += 1
        pos = m.end()
    return None


def _title_cue(tax: Taxonomy, rest: str) -> tuple[str, str, bool] | None:
    """Decide a type from title words.  Returns (type, rule id, overridable-by-paths)."""
    if not rest:
        return None
    masked = _mask_identifiers(rest)
    for typ, rx in tax.title_starts:
        if rx.match(masked):
            return typ, f"title:{typ}-title", False
    hits: list[tuple[int, int, int, _Cue, re.Match]] = []
    seen: set[int] = set()
    cues = tax.title_cues
    for m in tax._cue_scan.finditer(masked):
        order = int(m.lastgroup[1:])
        if order in seen:
            continue
        seen.add(order)
        cue = cues[order]
        hits.append((m.start(), -cue.strength, order, cue, cue.pattern.match(masked, m.start())))
    if not hits:
        return None
    hits.sort(key=lambda h: h[:3])
    head, head_m = hits[0][3], hits[0][4]
    decisive = [h for h in hits if h[3].strength >= 3 and h[3] is not head]
    if decisive and head.strength < 3:
        c = decisive[0][3]
        return c.type, f"title:{c.id}", False
    if head.strength <= 1:
        for h in hits[1:]:
            if h[3].override:
                return h[3].type, f"title:{h[3].id}", False
    if head.verb:
        obj = _object_type(tax, masked, head_m.end())
        if obj and obj != head.type:
            return obj, f"title:{head.id}+{obj}", False
    overridable = head.type in ("fix", "feature") or head.strength <= 1
    return head.type, f"title:{head.id}", overridable


def _paths_category(tax: Taxonomy, paths: tuple[str, ...]) -> str | None:
    if not paths:
        return None
    cats = {tax.path_info(p).category for p in paths}
    if cats == {"meta"}:
        return "other"
    cats.discard("meta")
    if len(cats) == 1:
        (c,) = cats
        return None if c == "source" else c
    if cats == {"ci", "test"}:
        return "ci"
    if cats <= {"build", "ci"}:
        return "build"
    return None


def _commit_type(tax: Taxonomy, item: ClassifyInput, prefixes: list[_Prefix], rest: str) -> tuple[str, str]:
    title = item.title or ""
    if _REVERT.match(title):
        return "revert", "prefix:Revert"
    fallback: tuple[str, str] | None = None
    for p in prefixes:
        if p.conventional and p.scope and p.scope in tax.scope_types and p.key not in ("revert",):
            if tax.prefix_type(p.key) or p.key == "chore":
                return tax.scope_types[p.scope], f"prefix:{p.raw}"
        amb = tax.ambiguous_prefixes.get(p.key)
        if amb:
            cue = _title_cue(tax, rest)
            return (cue[0] if cue and cue[0] in amb else amb[0]), f"prefix:{p.raw}"
        t = tax.prefix_type(p.key)
        if t:
            return t, f"prefix:{p.raw}"
        if fallback is None and p.key in tax.prefix_fallbacks:
            fallback = (tax.prefix_fallbacks[p.key], f"prefix:{p.raw}")
    pathcat = _paths_category(tax, item.paths)
    cue = _title_cue(tax, rest)
    if cue:
        typ, rid, overridable = cue
        if overridable and pathcat and pathcat != "other" and pathcat != typ:
            return pathcat, f"path:{pathcat}"
        return typ, rid
    for lab in item.labels:
        t = tax.commit_label_types.get(Taxonomy._norm_key(lab))
        if t:
            return t, f"label:{lab}"
    if pathcat:
        return pathcat, f"path:{pathcat}"
    if fallback:
        return fallback
    if item.body and _REVERT_BODY.search(item.body):
        return "revert", "body:reverts-commit"
    if any(tax.path_info(p).category == "source" for p in item.paths):
        return "feature", "path:source"
    if item.kind == "pull_request" and rest and not item.paths:
        # a PR object carries no file list; an open PR that states no type is most often a feature
        return "feature", "kind:pull_request"
    return "other", "default"


def _issue_type(tax: Taxonomy, item: ClassifyInput, prefixes: list[_Prefix], rest: str) -> tuple[str, str]:
    for lab in item.labels:
        if tax.issue_label_types.get(Taxonomy._norm_key(lab)) == "ci-failure":
            return "ci-failure", f"label:{lab}"
    for p in prefixes:
        t = tax.issue_prefix_types.get(p.key)
        if t is None:
            # "[Bug report]", "[Feature Request]" etc: first word
            first = p.key.split(" ")[0] if p.key else ""
            t = tax.issue_prefix_types.get(first) if first in ("bug", "feature", "question", "rfc", "roadmap") else None
        if t:
            return t, f"prefix:{p.raw}"
    for order in ("bug", "feature-request", "roadmap", "question"):
        for lab in item.labels:
            if tax.issue_label_types.get(Taxonomy._norm_key(lab)) == order:
                return order, f"label:{lab}"
    text = rest or ""
    if prefixes and rest:
        text = _clean_title(item.title)  # cues may sit in an unmapped prefix ("Nightly test failure: ...")
    if text:
        masked = _mask_identifiers(text)
        for cue in tax.issue_cues:
            if cue.type == "question":
                continue
            if cue.type in ("ci-failure", "roadmap") and cue.pattern.search(masked):
                return cue.type, f"title:{cue.id}"
        q = next((c for c in tax.issue_cues if c.type == "question"), None)
        if q and q.pattern.search(text.strip()):
            return "question", f"title:{q.id}"
        for cue in tax.issue_cues:
            if cue.type in ("bug", "feature-request") and cue.pattern.search(masked):
                return cue.type, f"title:{cue.id}"
    body = (item.body or "")[:600]
    if body:
        for cue in tax.issue_cues:
            if cue.type in ("bug", "feature-request") and cue.pattern.search(body):
                return cue.type, f"body:{cue.id}"
    return "other", "default"


# ---------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------
def _collect_tags(tax: Taxonomy, item: ClassifyInput, title: str, prefixes: list[_Prefix]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {f: {} for f in TAG_FIELDS}
    weak: dict[str, dict[str, str]] = {f: {} for f in TAG_FIELDS}

    def add(fname: str, label: str, rule: str, is_weak: bool = False) -> None:
        if label in found[fname]:
            return
        if is_weak:
            weak[fname].setdefault(label, rule)
        else:
            found[fname][label] = rule
            weak[fname].pop(label, None)

    # 1. title (incl. bracket prefixes)
    for p in prefixes:
        for fname, label in tax.bracket_tags.get(p.key, ()):
            add(fname, label, f"prefix:{p.raw}")
    if title:
        for m in tax.candidates("title", title):
            alias, w = m.match("title", title, None, prefiltered=True)
            if alias:
                add(m.field, m.label, f"title:{alias}", w)
    # 2. labels
    for lab in item.labels:
        key = Taxonomy._norm_key(lab)
        for fname, label in tax.label_tags.get(key, ()):
            add(fname, label, f"label:{lab}")
        for m in tax.candidates("label", lab):
            alias, w = m.match("label", lab, None, prefiltered=True)
            if alias:
                add(m.field, m.label, f"label:{lab}", w)
    # 3. paths: a label must be carried by >= path_share of the relevant files
    if item.paths:
        infos = [tax.path_info(p) for p in item.paths]
        relevant = [i for i in infos if i.category not in ("test", "docs", "meta")] or infos
        counts: dict[tuple[str, str], list] = {}
        for info in relevant:
            seen = set()
            for fname, label, alias, w in info.tags:
                if (fname, label) in seen:
                    continue
                seen.add((fname, label))
                entry = counts.setdefault((fname, label), [0, alias, w])
                entry[0] += 1
                if not w:
                    entry[2] = False
        n = len(relevant)
        for (fname, label), (cnt, alias, w) in sorted(counts.items()):
            if fname == "precision" and label == "fp16-bf16":
                continue
            share = tax.path_share_topics if fname == "topics" else tax.path_share
            if cnt / n >= share:
                add(fname, label, f"path:{alias}", w)
    # 4. weak evidence survives unless a suppressing label was found
    for fname in TAG_FIELDS:
        if not weak[fname]:
            continue
        by_label = {m.label: m for m in tax.fields[fname]}
        for label, rule in weak[fname].items():
            m = by_label[label]
            if any(s in found[fname] for s in m.suppressed_by):
                continue
            found[fname][label] = rule
    # 5. optional: a precision named in the title/labels implies a topic (taxonomy-configured)
    for prec, topic in tax.precision_implies_topic.items():
        rule = found["precision"].get(prec)
        if rule and not rule.startswith("path:") and topic not in found["topics"]:
            found["topics"][topic] = f"implied:{prec}"
    return found


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------
def classify(item: ClassifyInput, taxonomy: Taxonomy | None = None) -> Labels:
    """Classify one item.  Pure: depends only on `item` and the taxonomy."""
    tax = taxonomy or load_taxonomy()
    kind = item.kind if item.kind in KINDS else "commit"
    title = _clean_title(item.title)
    prefixes, rest = _parse_prefixes(tax, title)
    if kind == "issue":
        ctype, crule = _issue_type(tax, item, prefixes, rest)
    else:
        ctype, crule = _commit_type(tax, item, prefixes, rest)
    tags = _collect_tags(tax, item, title, prefixes)
    rules = [f"change_type:{ctype}<-{crule}"]
    out: dict[str, tuple[str, ...]] = {}
    for fname in TAG_FIELDS:
        labels = tuple(sorted(tags[fname]))
        out[fname] = labels
        rules.extend(f"{fname}:{lab}<-{tags[fname][lab]}" for lab in labels)
    return Labels(
        change_type=ctype,
        hardware=out["hardware"],
        precision=out["precision"],
        topics=out["topics"],
        models=out["models"],
        rules=tuple(rules),
    )


def _str(v: Any) -> str:
    return v if isinstance(v, str) else ("" if v is None else str(v))


def _label_names(raw: Any) -> tuple[str, ...]:
    names = []
    for lab in raw or ():
        if isinstance(lab, Mapping):
            name = lab.get("name")
        else:
            name = lab
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


def input_from_github(obj: Mapping[str, Any]) -> ClassifyInput:
    """Build a ClassifyInput from a GitHub REST object (commit, issue or pull request).

    Also accepts an object already in ClassifyInput shape ({"kind": ..., "title": ...}).
    Raises ValueError for anything else.
    """
    if not isinstance(obj, Mapping):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if "sha" in obj and isinstance(obj.get("commit"), Mapping):
        message = _str(obj["commit"].get("message"))
        title, _, body = message.partition("\n")
        return ClassifyInput(
            kind="commit", title=title.strip(), body=body.strip(), paths=_file_names(obj.get("files"))
        )
    if "number" in obj:
        is_pr = "pull_request" in obj or "merged_at" in obj or "head" in obj
        return ClassifyInput(
            kind="pull_request" if is_pr else "issue",
            title=_str(obj.get("title")).strip(),
            body=_str(obj.get("body")),
            labels=_label_names(obj.get("labels")),
            paths=_file_names(obj.get("files")),
        )
    if "kind" in obj and "title" in obj:
        kind = _str(obj.get("kind"))
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        return ClassifyInput(
            kind=kind,
            title=_str(obj.get("title")),
            body=_str(obj.get("body")),
            labels=_label_names(obj.get("labels")),
            paths=tuple(p for p in (obj.get("paths") or ()) if isinstance(p, str)),
        )
    raise ValueError("not a GitHub commit (sha+commit), issue/pull request (number) or ClassifyInput object")
