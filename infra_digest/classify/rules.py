"""Rule-based, explainable classifier for commits, pull requests and issues: the entry point.

Pure and deterministic: the same input and taxonomy always give the same `Labels`.
All vocabulary (label ids, aliases, prefixes, cues, path patterns) lives in ``taxonomy.yaml``;
the matching and precedence logic described in ``docs/taxonomy.md`` lives in the modules beside this one:

    taxonomy.py     taxonomy.yaml compiled (with matching.py: aliases and the prefilter)
    inputs.py       ClassifyInput and the one adapter that builds it (core rows, GitHub objects)
    prefixes.py     title parsing: PR references, "[Bugfix]" / "fix(x):" prefixes, masked identifiers
    change_type.py  one change type per item
    tags.py         hardware, precision, topics, models
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .change_type import commit_type, issue_type
from .flags import collect_flags, gate_flags
from .inputs import KINDS, ClassifyInput, classify_input, input_from_github
from .matching import TAG_FIELDS
from .prefixes import clean_title, parse_prefixes
from .tags import body_description, collect_tags
from .taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "ClassifyInput",
    "Labels",
    "Taxonomy",
    "load_taxonomy",
    "classify",
    "classify_input",
    "input_from_github",
    "TAG_FIELDS",
]


@dataclass(frozen=True)
class Labels:
    change_type: str
    hardware: tuple[str, ...]
    precision: tuple[str, ...]
    topics: tuple[str, ...]
    models: tuple[str, ...]
    rules: tuple[str, ...]  # "<field>:<label><-<rule id>", one per label and flag set
    flags: tuple[str, ...] = ()  # impact flags: security, breaking, default-change, regression, crash, release

    def as_dict(self) -> dict[str, Any]:
        return {
            "change_type": self.change_type,
            "hardware": list(self.hardware),
            "precision": list(self.precision),
            "topics": list(self.topics),
            "models": list(self.models),
            "flags": list(self.flags),
            "rules": list(self.rules),
        }


def _merge_sources(tax: Taxonomy, item: ClassifyInput, title: str) -> tuple[str, ...]:
    """What a merge commit brings, as titles: the merged commits' titles and its branch name as words (unless a
    default name), else (a pull request's default branch name) an empty title, so that its files decide."""
    if item.kind != "commit" or tax.merge_title is None:
        return ()
    m = tax.merge_title.match(title)
    if not m:
        return ()
    branch = next((g for g in m.groups() if g), "")
    if branch and tax.merge_branch_ignored is not None and tax.merge_branch_ignored.match(branch):
        branch = ""
    words = (re.sub(r"[/_-]+", " ", branch).strip(),) if branch else ()
    if item.merged:  # the merged commits (of the same day), then the branch's name, which names the whole
        return tuple(item.merged[:tax.merge_max_titles]) + words
    if not words:
        files_only = item.paths and tax.merge_files_only is not None and tax.merge_files_only.match(title)
        return ("",) if files_only else ()
    return words


def _classify_merge(tax: Taxonomy, item: ClassifyInput, sources: tuple[str, ...]) -> Labels:
    """A merge: each brought title classified with the merge's files; the most common type (`type_priority` on a tie),
    every tag and flag of any of them."""
    subs = [classify(ClassifyInput("commit", t, labels=item.labels, paths=item.paths, changes=item.changes), tax)
            for t in sources]
    # the titles that name a type count; those typed only by a default (no word of theirs named a type) count
    # only when no title names one
    named = [sub for sub, t in zip(subs, sources) if sub.rules[0].split("<-", 1)[1] not in tax.default_type_rules
             and not (tax.merge_title is not None and tax.merge_title.match(t))]  # nor does a merge's own title
    # the branch's name (read last) names what the whole pull request is for: when it names a type, it decides
    branch_named = bool(item.merged) and len(sources) > len(item.merged[:tax.merge_max_titles]) and named \
        and named[-1] is subs[-1]
    if branch_named:
        named = [subs[-1]]
    counts: dict[str, int] = {}
    for sub in named or subs:
        counts[sub.change_type] = counts.get(sub.change_type, 0) + 1
    prio = tax.merge_type_priority
    best = min(named or subs, key=lambda sub: (-counts[sub.change_type], prio.get(sub.change_type, len(prio))))
    rules = [f"change_type:{best.change_type}<-merge:{best.rules[0].split('<-', 1)[1]}"]
    out: dict[str, tuple[str, ...]] = {}
    # a merge that brings a revert may undo what the other commits flag: no flag from them
    reverting = any(sub.change_type == "revert" for sub in subs)
    for fname in (*TAG_FIELDS, "flags"):
        why: dict[str, str] = {}
        for sub in subs:
            if fname == "flags" and reverting and sub.change_type != "revert":
                continue
            for r in sub.rules:
                head, _, rule = r.partition("<-")
                f, _, label = head.partition(":")
                if f == fname:
                    why.setdefault(label, rule if rule.startswith("path:") else f"merge:{rule}")
        labels = tuple(sorted(why)) if fname != "flags" else tuple(f for f in tax.flag_rules.ids if f in why)
        out[fname] = labels
        rules.extend(f"{fname}:{lab}<-{why[lab]}" for lab in labels)
    return Labels(change_type=best.change_type, hardware=out["hardware"], precision=out["precision"],
                  topics=out["topics"], models=out["models"], rules=tuple(rules), flags=out["flags"])


def classify(item: ClassifyInput, taxonomy: Taxonomy | None = None) -> Labels:
    """Classify one item.  Pure: depends only on `item` and the taxonomy."""
    tax = taxonomy or load_taxonomy()
    item = item.bounded()  # linear time and bounded memory on any input
    kind = item.kind if item.kind in KINDS else "commit"
    title = clean_title(item.title)
    sources = _merge_sources(tax, item, title)
    if sources:
        return _classify_merge(tax, item, sources)
    prefixes, rest = parse_prefixes(tax, title)
    if kind == "issue":
        ctype, crule = issue_type(tax, item, prefixes, rest)
    else:
        ctype, crule = commit_type(tax, item, prefixes, rest)
    described: list[str] = []

    def describe(body: str) -> str:  # the body's description, computed at most once per item
        if not described:
            described.append(body_description(tax, body))
        return described[0]
    tags = collect_tags(tax, item, title, prefixes, describe)
    rules = [f"change_type:{ctype}<-{crule}"]
    out: dict[str, tuple[str, ...]] = {}
    for fname in TAG_FIELDS:
        labels = tuple(sorted(tags[fname]))
        out[fname] = labels
        rules.extend(f"{fname}:{lab}<-{tags[fname][lab]}" for lab in labels)
    if kind != "issue" and crule in tax.default_type_rules and ctype not in tax.fix_by_flags_types:
        # no word of the title named a type: a change whose title or description says it fixes a crash or a
        # regression is a fix ("pick fa2 for X auto backend" whose description says the refactor made it slower)
        flags = collect_flags(tax.flag_rules, item, title, prefixes, "fix", tax.path_info, describe)
        fixed = next((f for f in tax.fix_by_flags if f in flags), None)
        if fixed:
            ctype, crule = "fix", f"flags:{fixed}"
            rules[0] = f"change_type:{ctype}<-{crule}"
        else:
            flags = gate_flags(tax.flag_rules, flags, ctype)
    else:
        flags = collect_flags(tax.flag_rules, item, title, prefixes, ctype, tax.path_info, describe)
    ordered = tuple(f for f in tax.flag_rules.ids if f in flags)
    rules.extend(f"flags:{f}<-{flags[f]}" for f in ordered)
    return Labels(
        change_type=ctype,
        hardware=out["hardware"],
        precision=out["precision"],
        topics=out["topics"],
        models=out["models"],
        rules=tuple(rules),
        flags=ordered,
    )
