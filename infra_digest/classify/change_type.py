"""change_type: one type per commit / pull request (prefixes, title cues, labels, paths) and per issue.

The precedence is documented in ``docs/taxonomy.md``; the words it uses are in ``taxonomy.yaml``.
"""

from __future__ import annotations

import re

from .inputs import ClassifyInput
from .prefixes import Prefix, clean_title, mask_identifiers
from .taxonomy import Taxonomy, norm_key

__all__ = ["commit_type", "issue_type", "title_cue"]

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'_-]*")


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
        for typ, rx in tax.object_types:
            if rx.match(masked, m.start()):
                return typ
        words += 1
        pos = m.end()
    return None


def title_cue(tax: Taxonomy, rest: str, excluded: frozenset[str] = frozenset()) -> tuple[str, str, bool] | None:
    """Decide a type from title words.  Returns (type, rule id, overridable-by-paths).
    Cues and area objects of an `excluded` type are passed over."""
    if not rest:
        return None
    masked = mask_identifiers(rest)
    for typ, rx in tax.title_starts:
        if typ not in excluded and rx.match(masked):
            return typ, f"title:{typ}-title", False
    hits: list[tuple[int, int, int, object, re.Match]] = []
    seen: set[int] = set()
    cues = tax.title_cues
    for m in tax.cue_scan.finditer(masked):
        order = int(m.lastgroup[1:])
        if order in seen:
            continue
        seen.add(order)
        cue = cues[order]
        if cue.type in excluded:
            continue
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
        if obj and obj != head.type and obj not in excluded:
            return obj, f"title:{head.id}+{obj}", False
    # 2: a weak cue, which any agreeing files overrule (meta files too); 1: a type the files overrule; 0: neither
    overridable = 2 if head.strength <= 1 else int(head.type in tax.paths_override_cues)
    return head.type, f"title:{head.id}", overridable


def paths_category(tax: Taxonomy, paths: tuple[str, ...]) -> str | None:
    """The change type all touched files agree on (docs, test, ci, build, other), else None.

    Categories in `path_category_ignored` (CODEOWNERS, LICENSE ...) are set aside unless every file is in one.
    """
    if not paths:
        return None
    cats = {tax.path_info(p).category for p in paths}
    cats = (cats - tax.path_category_ignored) or cats
    for combo, typ in tax.path_category_sets:
        if cats == combo:
            return typ
    if len(cats) == 1:
        (c,) = cats
        return None if c == "source" else c
    return None


def commit_type(tax: Taxonomy, item: ClassifyInput, prefixes: list[Prefix], rest: str) -> tuple[str, str]:
    title = item.title or ""
    if tax.revert_title is not None and tax.revert_title.match(title):
        return "revert", "prefix:Revert"
    decided = _commit_type(tax, item, prefixes, rest)
    typ, rule = decided
    kept = any(rule == f"prefix:{p.raw}" and p.key in tax.area_keep_prefixes for p in prefixes)
    kept = kept or tax.area_keep_cues.get(rule) is not None and paths_category(tax, item.paths) in tax.area_keep_cues[rule]
    if typ in tax.area_over_types and not rule.startswith("path:") and not kept:
        pathcat = paths_category(tax, item.paths)
        if pathcat in tax.area_over_types_areas and pathcat != typ:  # an area prefix ("[CI]") is not in area_over_types
            return pathcat, f"path:{pathcat}"
    return decided


def _excluded_areas(tax: Taxonomy, paths: tuple[str, ...]) -> frozenset[str]:
    """Area types no file of the item supports (see `area_needs_files`); none when the item lists no files."""
    if not paths or not tax.area_needs_files:
        return frozenset()
    cats = {tax.path_info(p).category for p in paths}
    return frozenset(t for t, need in tax.area_needs_files.items() if not cats & need)


def _commit_type(tax: Taxonomy, item: ClassifyInput, prefixes: list[Prefix], rest: str) -> tuple[str, str]:
    fallback: tuple[str, str] | None = None
    excluded = _excluded_areas(tax, item.paths)
    for p in prefixes:
        if p.key in tax.ignored_prefixes:
            continue
        if p.conventional and p.scope and p.scope in tax.scope_types and p.key not in tax.scope_never_for:
            if (tax.prefix_type(p.key) or p.key in tax.scope_also_for) and tax.scope_types[p.scope] not in excluded:
                return tax.scope_types[p.scope], f"prefix:{p.raw}"
        amb = tax.ambiguous_prefixes.get(p.key)
        if amb:
            cue = title_cue(tax, rest)
            return (cue[0] if cue and cue[0] in amb else amb[0]), f"prefix:{p.raw}"
        t = tax.prefix_type(p.key)
        if t in excluded:
            continue
        if t:
            return t, f"prefix:{p.raw}"
        if fallback is None and p.key in tax.prefix_fallbacks:
            fallback = (tax.prefix_fallbacks[p.key], f"prefix:{p.raw}")
    pathcat = paths_category(tax, item.paths)
    cue = title_cue(tax, rest, excluded)
    if cue:
        typ, rid, overridable = cue
        if overridable and pathcat and (pathcat != "other" or overridable == 2) and pathcat != typ:
            return pathcat, f"path:{pathcat}"
        return typ, rid
    for lab in item.labels:
        t = tax.commit_label_types.get(norm_key(lab))
        if t:
            return t, f"label:{lab}"
    if pathcat:
        return pathcat, f"path:{pathcat}"
    if fallback:
        return fallback
    if item.body and tax.revert_body is not None and tax.revert_body.search(item.body):
        return "revert", "body:reverts-commit"
    defaults = tax.commit_defaults
    if defaults.get("source_files") and any(tax.path_info(p).category == "source" for p in item.paths):
        return defaults["source_files"], "path:source"
    if defaults.get("pull_request_without_files") and item.kind == "pull_request" and rest and not item.paths:
        # a PR object carries no file list; an open PR that states no type is most often a feature
        return defaults["pull_request_without_files"], "kind:pull_request"
    return "other", "default"


def issue_type(tax: Taxonomy, item: ClassifyInput, prefixes: list[Prefix], rest: str) -> tuple[str, str]:
    for first in tax.issue_labels_first:
        for lab in item.labels:
            if tax.issue_label_types.get(norm_key(lab)) == first:
                return first, f"label:{lab}"
    for p in prefixes:
        t = tax.issue_prefix_types.get(p.key)
        if t is None:
            # "[Bug report]", "[Feature Request]" etc: first word
            first = p.key.split(" ")[0] if p.key else ""
            t = tax.issue_prefix_types.get(first) if first in tax.issue_prefix_first_words else None
        if t:
            return t, f"prefix:{p.raw}"
    for order in tax.issue_label_order:
        for lab in item.labels:
            if tax.issue_label_types.get(norm_key(lab)) == order:
                return order, f"label:{lab}"
    text = rest or ""
    if prefixes and rest:
        text = clean_title(item.title)  # cues may sit in an unmapped prefix ("Nightly test failure: ...")
    if text:
        masked = mask_identifiers(text)
        stripped = text.strip()
        for cue in tax.issue_cues:  # in the order of the taxonomy
            if cue.pattern.search(stripped if cue.unmasked else masked):
                return cue.type, f"title:{cue.id}"
    body = (item.body or "")[:tax.issue_body_chars]
    if body:
        for cue in tax.issue_cues:
            if cue.body and cue.pattern.search(body):
                return cue.type, f"body:{cue.id}"
    return "other", "default"
