"""Taxonomy loading: ``taxonomy.yaml`` compiled into the lookups the classifier uses.

All vocabulary (label ids, aliases, prefixes, cues, path patterns, and the words the precedence rules
name) lives in the YAML file; this module only compiles it. Imports are light on purpose (stdlib +
PyYAML): the pipeline classifies a year of activity (~40,000 items) in a few seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from .matching import TAG_FIELDS, AliasIndex, LabelMatcher, compile_field

__all__ = ["Taxonomy", "load_taxonomy", "norm_key", "DEFAULT_TAXONOMY_PATH"]

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")


def norm_key(s: str) -> str:
    """A prefix or label as a lookup key: lower case, spaces collapsed."""
    return re.sub(r"\s+", " ", str(s).strip().lower())


@dataclass
class Cue:
    id: str
    type: str
    strength: int
    verb: bool
    override: bool
    pattern: re.Pattern
    unmasked: bool = False  # issue cues: matched on the title as written, not with identifiers masked
    body: bool = False  # issue cues: also read in the first `issue_body_chars` of the body


@dataclass(frozen=True)
class PathInfo:
    category: str  # ci | meta | docs | test | build | source
    tags: tuple[tuple[str, str, str, bool], ...]  # (field, label, alias id, weak)
    flags: tuple[tuple[str, str], ...] = ()  # (flag, rule id) the path sets
    untagged: bool = False  # matches `path_tag_exclude` (benchmarks): gives no hardware or precision


def _cue(c: Mapping[str, Any]) -> Cue:
    rx = c["re"] if c.get("raw") else rf"(?<![A-Za-z0-9])(?:{c['re']})(?![A-Za-z0-9])"
    return Cue(
        id=str(c["id"]),
        type=str(c["type"]),
        strength=int(c.get("strength", 2)),
        verb=bool(c.get("verb", False)),
        override=bool(c.get("override", False)),
        pattern=re.compile(rx, re.I),
        unmasked=bool(c.get("unmasked", False)),
        body=bool(c.get("body", False)),
    )


def _invert(mapping: Mapping[str, Iterable[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for typ, keys in mapping.items():
        for k in keys:
            out.setdefault(norm_key(k), typ)
    return out


def _tag_map(mapping: Mapping[str, Iterable[str]]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for key, tags in mapping.items():
        out[norm_key(key)] = [_tag(t, key) for t in tags]
    return out


def _tag(t: Any, where: Any) -> tuple[str, str]:
    fname, _, label = str(t).partition(":")
    if fname not in TAG_FIELDS:
        raise ValueError(f"bad tag {t!r} for {where!r}: field must be one of {TAG_FIELDS}")
    return fname, label


def _alternation(patterns: Iterable[str]) -> re.Pattern | None:
    pats = list(patterns)
    return re.compile("|".join(f"(?:{p})" for p in pats)) if pats else None


class Taxonomy:
    """A compiled taxonomy.  Build with :func:`load_taxonomy`."""

    def __init__(self, data: Mapping[str, Any], source: str = "<dict>"):
        self.source = source
        self.data = data
        self.commit_types: tuple[str, ...] = tuple(data["change_types"]["commit"])
        self.issue_types: tuple[str, ...] = tuple(data["change_types"]["issue"])

        # -- tags -------------------------------------------------------------
        self.fields: dict[str, list[LabelMatcher]] = {f: compile_field(f, data.get(f) or {}) for f in TAG_FIELDS}
        self.label_ids = {f: tuple(m.label for m in ms) for f, ms in self.fields.items()}
        self.matchers = {f: {m.label: m for m in ms} for f, ms in self.fields.items()}
        self.index = AliasIndex([m for f in TAG_FIELDS for m in self.fields[f]])
        self.bracket_tags = _tag_map(data.get("bracket_tags") or {})
        self.label_tags = _tag_map(data.get("label_tags") or {})
        self.precision_implies_topic = dict(data.get("precision_implies_topic") or {})

        # -- commit prefixes ----------------------------------------------------
        cp = data["commit_prefixes"]
        self.prefix_types = _invert(cp["types"])
        self.prefix_fallbacks = _invert(cp.get("fallbacks") or {})
        self.scope_types = _invert(cp.get("scope_types") or {})
        self.scope_also_for = frozenset(norm_key(k) for k in cp.get("scope_also_for") or ())
        self.scope_never_for = frozenset(norm_key(k) for k in cp.get("scope_never_for") or ())
        self.ambiguous_prefixes = {norm_key(k): tuple(v) for k, v in (cp.get("ambiguous") or {}).items()}
        self.inner_words_ignored = frozenset(norm_key(k) for k in cp.get("inner_words_ignored") or ())
        self.ignored_prefixes = frozenset(norm_key(k) for k in cp.get("ignored") or ())
        self.area_over_types = frozenset(data.get("area_over_types") or ())
        self.area_over_types_areas = frozenset(data.get("area_over_types_areas") or ())
        self.area_keep_prefixes = frozenset(norm_key(k) for k in data.get("area_over_types_keep_prefixes") or ())
        self.area_keep_cues = {f"title:{c}": frozenset(areas)
                               for c, areas in (data.get("area_over_types_keep_cues") or {}).items()}
        self.area_needs_files = {t: frozenset(c) for t, c in (data.get("area_needs_files") or {}).items()}
        mg = data.get("merges") or {}
        self.merge_title = re.compile(mg["title"], re.I) if mg.get("title") else None
        self.merge_branch_ignored = re.compile(mg["branch_ignored"], re.I) if mg.get("branch_ignored") else None
        self.merge_max_titles = int(mg.get("max_titles", 20))
        self.merge_files_only = re.compile(mg["files_only"], re.I) if mg.get("files_only") else None
        self.merge_type_priority = {t: i for i, t in enumerate(mg.get("type_priority") or ())}
        self.commit_label_types = _invert(data.get("commit_labels") or {})
        rv = data.get("revert") or {}
        self.revert_title = re.compile(rv["title"], re.I) if rv.get("title") else None
        self.revert_body = re.compile(rv["body"], re.I) if rv.get("body") else None

        # -- commit title cues ----------------------------------------------------
        self.title_cues = [_cue(c) for c in data.get("title_cues") or []]
        # all title cues in one pattern (strongest first); a lookahead reports one cue per
        # start position, so a single scan yields every cue's first position.
        ordered = sorted(range(len(self.title_cues)), key=lambda i: (-self.title_cues[i].strength, i))
        self.cue_scan = re.compile(
            "(?=(?<![A-Za-z0-9])(?:"
            + "|".join(f"(?P<c{i}>(?:{data['title_cues'][i]['re']})(?![A-Za-z0-9]))" for i in ordered)
            + "))",
            re.I,
        )
        self.paths_override_cues = frozenset(data.get("paths_override_cues") or ())
        obj = data.get("title_objects") or {}
        self.object_window = int(obj.get("window_words", 5))
        self.object_stop = frozenset(obj.get("stop_words") or ())
        self.object_types = [
            (t, re.compile(rf"(?:{rx})(?![A-Za-z0-9])", re.I)) for t, rx in (obj.get("types") or {}).items()
        ]
        self.title_starts = [(t, re.compile(rf"^(?:{rx})", re.I)) for t, rx in (data.get("title_starts") or {}).items()]
        self.commit_defaults = dict(data.get("commit_defaults") or {})

        # -- issues ---------------------------------------------------------------
        self.issue_prefix_types = _invert(data.get("issue_prefixes") or {})
        self.issue_prefix_first_words = frozenset(data.get("issue_prefix_first_words") or ())
        self.issue_label_types = _invert(data.get("issue_labels") or {})
        self.issue_labels_first = tuple(data.get("issue_labels_first") or ())
        self.issue_label_order = tuple(data.get("issue_label_order") or ())
        self.issue_cues = [_cue(c) for c in data.get("issue_cues") or []]
        self.issue_body_chars = int(data.get("issue_body_chars", 600))

        # -- file paths -------------------------------------------------------------
        self.path_categories = [(cat, _alternation(pats)) for cat, pats in data["path_categories"].items()]
        self.path_category_ignored = frozenset(data.get("path_category_ignored") or ())
        self.path_category_sets = [
            (frozenset(s["categories"]), str(s["type"])) for s in data.get("path_category_sets") or ()
        ]
        self.kernel_extensions = tuple(data.get("kernel_extensions") or ())
        self.kernel_extensions_tag = _tag(data.get("kernel_extensions_tag", "topics:kernels"), "kernel_extensions_tag")
        self.path_share = float(data.get("path_share", 0.5))
        self.path_share_topics = float(data.get("path_share_topics", self.path_share))
        self.path_share_ignores = frozenset(data.get("path_share_ignores") or ())
        self.path_tag_exclude = _alternation(data.get("path_tag_exclude") or [])
        self.path_topic_exclude = _alternation(data.get("path_topic_exclude") or [])
        pw = data.get("path_weights") or {}
        self.path_weights = {
            "fields": frozenset(pw.get("fields") or ()),
            "categories": frozenset(pw.get("categories") or ("source",)),
            "exclude": _alternation(pw.get("exclude") or []),
            "share_of_lines": float(pw.get("share_of_lines", 1.0)),
            "min_files": {f: int(v) for f, v in (pw.get("min_files") or {}).items()},
            "share_of_files": float(pw.get("share_of_files", 1.0)),
            "kernel_files": _alternation(pw.get("kernel_files") or []),
            "min_kernel_files": int(pw.get("min_kernel_files", 1_000_000)),
        } if pw else None
        dt = data.get("fix_by_flags") or {}
        self.default_type_rules = frozenset(dt.get("when_rule") or ())
        self.fix_by_flags = tuple(dt.get("flags") or ())
        self.fix_by_flags_types = frozenset(dt.get("not_for_types") or ())
        sib = data.get("path_dtype_siblings")
        self.path_dtype_siblings = re.compile(sib, re.I) if sib else None
        self.path_docs_fields = frozenset(data.get("path_docs_fields") or ())
        self.title_named_fields = frozenset(data.get("title_named_fields") or ())
        bt = data.get("body_tags") or {}
        self.body_tag_fields = frozenset(bt.get("fields") or ())
        self.body_tag_chars = int(bt.get("max_chars", 4000))
        sec, trail = bt.get("sections"), bt.get("trailers")
        cut = []
        if sec:  # a heading line, or a line "<section>:" / "<section>" alone
            cut.append(rf"^[ \t]*(?:#+|\*\*|<summary>)[^\w\n]{{0,8}}(?:{sec})\b")
            cut.append(rf"^[ \t]*(?:{sec})[ \t]*(?:\*\*)?[ \t]*(?::|$)")
        if trail:
            cut.append(rf"^[ \t]*(?:{trail})\b")
        self.body_tag_cut = re.compile("|".join(cut), re.I | re.M) if cut else None
        # -- flags ------------------------------------------------------------------
        from .flags import FlagRules  # noqa: PLC0415  (flags.py imports this module's helpers)

        self.flag_rules = FlagRules(data.get("flags") or {})
        self.flag_rules.configure_squash(data.get("flags_from_squash"))
        self.flag_rules.configure_description(data.get("flags_from_description"))
        # per-instance cache of path analyses (paths repeat a lot across a year of commits)
        self._path_cache: dict[str, PathInfo] = {}

    # -- lookups -------------------------------------------------------------
    def candidates(self, where: str, text: str) -> list[LabelMatcher]:
        return self.index.candidates(where, text)

    def prefix_type(self, key: str) -> str | None:
        """Type named by a bracket/conventional prefix: exact key, else a type word inside it."""
        t = self.prefix_types.get(key)
        if t:
            return t
        for word in re.split(r"[\s/&+,|-]+", key):
            if word in self.prefix_types and word not in self.inner_words_ignored:
                return self.prefix_types[word]
        return None

    def known_prefix(self, key: str) -> bool:
        if key in self.prefix_types or key in self.prefix_fallbacks or key in self.issue_prefix_types:
            return True
        return self.prefix_type(key) is not None

    def path_info(self, path: str) -> PathInfo:
        info = self._path_cache.get(path)
        if info is None:
            if len(self._path_cache) > 200_000:
                self._path_cache.clear()
            info = self._analyse_path(path)
            self._path_cache[path] = info
        return info

    def _analyse_path(self, path: str) -> PathInfo:
        category = "source"
        for cat, rx in self.path_categories:
            if rx is not None and rx.search(path):
                category = cat
                break
        tags: list[tuple[str, str, str, bool]] = []
        no_topics = self.path_topic_exclude is not None and self.path_topic_exclude.search(path) is not None
        for m in self.candidates("path", path):
            if no_topics and m.field == "topics":
                continue
            alias, weak = m.match("path", path)
            if alias:
                tags.append((m.field, m.label, alias, weak))
        ext_tag = self.kernel_extensions_tag
        if (not (no_topics and ext_tag[0] == "topics") and path.endswith(self.kernel_extensions)
                and not any(t[:2] == ext_tag for t in tags)):
            tags.append((*ext_tag, "ext:" + path.rsplit(".", 1)[-1], False))
        untagged = self.path_tag_exclude is not None and self.path_tag_exclude.search(path) is not None
        return PathInfo(category, tuple(tags), self.flag_rules.path_flags(path), untagged)


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
