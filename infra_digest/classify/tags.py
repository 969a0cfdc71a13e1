"""Tags: hardware, precision, topics and models from the title, the labels and the file paths."""

from __future__ import annotations

import re

from .inputs import ClassifyInput
from .matching import TAG_FIELDS
from .prefixes import Prefix
from .taxonomy import Taxonomy, norm_key

__all__ = ["collect_tags", "body_description"]

_CODE_BLOCK = re.compile(r"```[^`]*(?:`(?!``)[^`]*)*(?:```|$)|<!--(?:[^-]|-(?!->))*(?:-->|$)")


def body_description(tax: Taxonomy, body: str) -> str:
    """The description part of a body: its first `max_chars` characters, up to the first test plan, results,
    environment or checklist section (see ``body_tags``), with code blocks and HTML comments removed."""
    text = body[:tax.body_tag_chars]
    text = _CODE_BLOCK.sub(" ", text)
    if tax.body_tag_cut is not None:
        m = tax.body_tag_cut.search(text)
        if m:
            text = text[:m.start()]
    return text if text.strip() else ""


def collect_tags(tax: Taxonomy, item: ClassifyInput, title: str, prefixes: list[Prefix],
                 describe=None) -> dict[str, dict[str, str]]:
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
    # 3. paths: a label must be carried by >= path_share of the relevant files (not tests, docs, CI).  Hardware
    # and precision: never from test, docs, CI or benchmark files alone; else also from the files that carry
    # the change (see _weighted_path_tags).  Topics and models fall back to all files.
    named = {f for f in tax.title_named_fields if found[f]}  # fields the title or a label answered
    if item.paths:
        infos = [tax.path_info(p) for p in item.paths]
        ignores = tax.path_share_ignores
        strict = tax.path_weights["fields"] if tax.path_weights else frozenset()
        n_rel = n_code = 0
        counts: dict[tuple[str, str], list] = {}
        lines = item.changes if len(item.changes) == len(item.paths) else ()
        for k, info in enumerate(infos):
            if info.category in ignores:
                continue
            n_rel += 1
            code = not info.untagged and not (lines and lines[k] == 0)  # a pure move carries nothing
            n_code += code
            seen = set()
            for fname, label, alias, w in info.tags:
                if (fname, label) in seen or (fname in strict and not code):
                    continue
                seen.add((fname, label))
                entry = counts.setdefault((fname, label), [0, alias, w])
                entry[0] += 1
                if not w:
                    entry[2] = False
        if not n_rel:  # only tests / docs / CI files: topics and models from all of them
            n_rel = len(infos)
            # docs about a platform ("docs/hopper-fp8-sparse-deep-dive.md") name its hardware and precision
            cats = {info.category for info in infos} - {"meta"}
            docs_only = cats == {"docs"} and bool(tax.path_docs_fields)
            if docs_only:
                n_code = sum(1 for info in infos if info.category == "docs")
            for info in infos:
                seen = set()
                for fname, label, alias, w in info.tags:
                    if (fname, label) in seen or (fname in strict and not (docs_only and fname in tax.path_docs_fields
                                                                             and info.category == "docs")):
                        continue
                    seen.add((fname, label))
                    entry = counts.setdefault((fname, label), [0, alias, w])
                    entry[0] += 1
                    if not w:
                        entry[2] = False
        weighted: dict | None = None  # computed when a hardware/precision tag misses the share
        # code files of other dtype variants changed beside the precision-named ones (sm100_bf16_gemm.cuh next to
        # sm100_fp8_gemm.cuh): the change runs across variants, so only many kernel sources name its precision
        cross = None
        for (fname, label), (cnt, alias, w) in sorted(counts.items()):
            n = n_code if fname in strict else n_rel
            share = tax.path_share_topics if fname == "topics" else tax.path_share
            if fname in named and label not in found[fname]:
                continue  # the title names the hardware: a path of another one is a side change (a move, a shared file)
            if fname == "precision" and tax.path_dtype_siblings is not None and not found[fname]:
                if cross is None:
                    cross = any(info.category == "source" and not info.untagged
                                and tax.path_dtype_siblings.search(p) for p, info in zip(item.paths, infos))
                if cross:
                    pw = tax.path_weights
                    kern = pw["kernel_files"] if pw else None
                    nk = sum(1 for k, (p, info) in enumerate(zip(item.paths, infos))
                             if kern is not None and kern.search(p) and info.category == "source" and not info.untagged
                             and not (lines and lines[k] == 0)
                             and any(t[0] == fname and t[1] == label for t in info.tags))
                    if pw and nk >= pw["min_kernel_files"]:
                        add(fname, label, f"path-kernels:{alias}", w)
                    continue
            if n and cnt / n >= share:
                add(fname, label, f"path:{alias}", w)
                continue
            if fname not in strict:
                continue
            if weighted is None:
                weighted = _weighted_path_tags(tax, item, infos)
            if (fname, label) in weighted:
                add(fname, label, weighted[(fname, label)], w)
    # 4. the body's description, for a field the title, labels and paths left empty: one label named, strongly
    if item.body and tax.body_tag_fields:
        todo = [f for f in TAG_FIELDS if f in tax.body_tag_fields and not found[f] and not weak[f]]
        if todo:
            text = describe(item.body) if describe is not None else body_description(tax, item.body)
            for fname in (todo if text else ()):
                hits: dict[str, str] = {}
                for m in tax.candidates("title", text):
                    if m.field == fname:
                        alias, w = m.match("title", text)
                        if alias and not w:
                            hits[m.label] = alias
                if len(hits) == 1:
                    (label, alias), = hits.items()
                    add(fname, label, f"body:{alias}")
    # 5. weak evidence survives unless a suppressing label was found
    for fname in TAG_FIELDS:
        by_label = tax.matchers[fname]
        for label, rule in weak[fname].items():
            if any(s in found[fname] for s in by_label[label].suppressed_by):
                continue
            found[fname][label] = rule
    # 6. a precision named in the title/labels implies a topic (taxonomy-configured)
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
            if info.category in pw["categories"] and not info.untagged
            and not (pw["exclude"] and pw["exclude"].search(item.paths[i]))]
    if not code:
        return {}
    lines = item.changes if len(item.changes) == len(item.paths) else ()
    if lines:  # a file whose content did not change (a pure move) carries nothing
        code = [(i, info) for i, info in code if lines[i] > 0]
        if not code:
            return {}
    weight = {i: (lines[i] if lines else 1) for i, _ in code}
    total = sum(weight.values()) or 1
    # the main file: the code file with clearly the most changed lines of all files but tests, CI and meta
    # (docs count: a blog post with a one-line header touch is about the post), or the only such file
    others = [i for i, info in enumerate(infos) if info.category not in ("test", "ci", "meta")]
    if lines:
        ranked = sorted(others, key=lambda i: -lines[i])
        top = ranked[0] if ranked else None
        clear = top is not None and (len(ranked) == 1 or lines[top] > 1.5 * lines[ranked[1]])
        main = top if clear and top in weight else None
    else:
        main = others[0] if len(others) == 1 and others[0] in weight else None
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
