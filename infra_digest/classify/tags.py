"""Tags: hardware, precision, topics and models from the title, the labels and the file paths."""

from __future__ import annotations

from .inputs import ClassifyInput
from .matching import TAG_FIELDS
from .prefixes import Prefix
from .taxonomy import Taxonomy, norm_key

__all__ = ["collect_tags"]


def collect_tags(tax: Taxonomy, item: ClassifyInput, title: str, prefixes: list[Prefix]) -> dict[str, dict[str, str]]:
    """field -> {label: rule id} for every tag the item carries."""
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
            alias, w = m.match("title", title)
            if alias:
                add(m.field, m.label, f"title:{alias}", w)
    # 2. labels
    for lab in item.labels:
        for fname, label in tax.label_tags.get(norm_key(lab), ()):
            add(fname, label, f"label:{lab}")
        for m in tax.candidates("label", lab):
            alias, w = m.match("label", lab)
            if alias:
                add(m.field, m.label, f"label:{lab}", w)
    # 3. paths: a label must be carried by >= path_share of the relevant files
    if item.paths:
        infos = [tax.path_info(p) for p in item.paths]
        relevant = [i for i in infos if i.category not in tax.path_share_ignores] or infos
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
            share = tax.path_share_topics if fname == "topics" else tax.path_share
            if cnt / n >= share:
                add(fname, label, f"path:{alias}", w)
    # 4. weak evidence survives unless a suppressing label was found
    for fname in TAG_FIELDS:
        by_label = tax.matchers[fname]
        for label, rule in weak[fname].items():
            if any(s in found[fname] for s in by_label[label].suppressed_by):
                continue
            found[fname][label] = rule
    # 5. a precision named in the title/labels implies a topic (taxonomy-configured)
    for prec, topic in tax.precision_implies_topic.items():
        rule = found["precision"].get(prec)
        if rule and not rule.startswith("path:") and topic not in found["topics"]:
            found["topics"][topic] = f"implied:{prec}"
    return found
