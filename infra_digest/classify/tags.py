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
    # (hardware and precision: never from test, docs, CI, benchmark or example files alone)
    if item.paths:
        infos = [tax.path_info(p) for p in item.paths]
        code = [i for i, p in zip(infos, item.paths) if i.category not in tax.path_share_ignores
                and not (tax.path_tag_exclude is not None and tax.path_tag_exclude.search(p))]
        relevant = [i for i in infos if i.category not in tax.path_share_ignores] or infos
        strict = tax.path_weights["fields"] if tax.path_weights else frozenset()
        weighted = _weighted_path_tags(tax, item, infos)
        for fname_set, files in ((None, relevant), (strict, code)):
            counts: dict[tuple[str, str], list] = {}
            for info in files:
                seen = set()
                for fname, label, alias, w in info.tags:
                    if (fname, label) in seen or (fname in strict) != (fname_set is not None):
                        continue
                    seen.add((fname, label))
                    entry = counts.setdefault((fname, label), [0, alias, w])
                    entry[0] += 1
                    if not w:
                        entry[2] = False
            n = len(files)
            for (fname, label), (cnt, alias, w) in sorted(counts.items()):
                share = tax.path_share_topics if fname == "topics" else tax.path_share
                if cnt / n >= share:
                    add(fname, label, f"path:{alias}", w)
                elif (fname, label) in weighted:
                    add(fname, label, weighted[(fname, label)], w)
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


def _weighted_path_tags(tax: Taxonomy, item: ClassifyInput, infos: list) -> dict[tuple[str, str], str]:
    """Hardware and precision named by the files that carry the change, when they are not half of the files:
    the main file (most lines changed) or, by lines changed, at least `share_of_lines` of the code files;
    or at least `min_files` code files that are `share_of_files` of them.  Code files are the files whose
    category is in `categories` (not tests, docs, CI, benchmarks or build files)."""
    pw = tax.path_weights
    if not pw:
        return {}
    code = [(i, info) for i, info in enumerate(infos)
            if info.category in pw["categories"] and not (pw["exclude"] and pw["exclude"].search(item.paths[i]))
            and not (tax.path_tag_exclude is not None and tax.path_tag_exclude.search(item.paths[i]))]
    if not code:
        return {}
    lines = item.changes if len(item.changes) == len(item.paths) else ()
    weight = {i: (lines[i] if lines else 1) for i, _ in code}
    total = sum(weight.values()) or 1
    ranked = sorted(code, key=lambda x: -weight[x[0]])
    # the main file: the only code file, or the one with clearly the most changed lines
    main = ranked[0][0] if len(ranked) == 1 or (lines and weight[ranked[0][0]] > 1.5 * weight[ranked[1][0]]) else None
    files: dict[tuple[str, str], list[int]] = {}
    alias_of: dict[tuple[str, str], str] = {}
    for i, info in code:
        for fname, label, alias, _w in info.tags:
            if fname in pw["fields"] and i not in files.setdefault((fname, label), []):
                files[(fname, label)].append(i)
                alias_of.setdefault((fname, label), alias)
    out = {}
    for key, idx in files.items():
        by_lines = sum(weight[i] for i in idx) / total
        if main in idx:
            out[key] = f"path-main:{alias_of[key]}"
        elif lines and by_lines >= pw["share_of_lines"]:
            out[key] = f"path-lines:{alias_of[key]}"
        elif len(idx) >= pw["min_files"].get(key[0], 1_000_000) and len(idx) / len(code) >= pw["share_of_files"]:
            out[key] = f"path-files:{alias_of[key]}"
        elif pw["kernel_files"] is not None and sum(
                1 for i in idx if pw["kernel_files"].search(item.paths[i])) >= pw["min_kernel_files"]:
            out[key] = f"path-kernels:{alias_of[key]}"
    return out
