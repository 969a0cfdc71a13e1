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

from dataclasses import dataclass
from typing import Any

from .change_type import commit_type, issue_type
from .inputs import KINDS, ClassifyInput, classify_input, input_from_github
from .matching import TAG_FIELDS
from .prefixes import clean_title, parse_prefixes
from .tags import collect_tags
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


def classify(item: ClassifyInput, taxonomy: Taxonomy | None = None) -> Labels:
    """Classify one item.  Pure: depends only on `item` and the taxonomy."""
    tax = taxonomy or load_taxonomy()
    kind = item.kind if item.kind in KINDS else "commit"
    title = clean_title(item.title)
    prefixes, rest = parse_prefixes(tax, title)
    if kind == "issue":
        ctype, crule = issue_type(tax, item, prefixes, rest)
    else:
        ctype, crule = commit_type(tax, item, prefixes, rest)
    tags = collect_tags(tax, item, title, prefixes)
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
