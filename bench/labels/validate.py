#!/usr/bin/env python
"""Check the hand-labelled real-data sets and print their label counts.

Usage (from the repository root):

    python bench/labels/validate.py                  # both files, counts as Markdown
    python bench/labels/validate.py --json           # counts as JSON

Checks every line of bench/labels/real_replay.jsonl and bench/labels/real_git.jsonl:
the schema (keys, types, kinds), that change_type / hardware / precision / topics /
models use the ids of infra_digest/classify/taxonomy.yaml (issue types for issues),
that flags use the issue-15 flag ids, and that no (source, repo, id) repeats.
Exit code 1 if anything is wrong.  It reads no classifier output.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
FILES = {"replay": HERE / "real_replay.jsonl", "git": HERE / "real_git.jsonl"}
FLAGS = {"security", "breaking", "default-change", "regression", "crash", "release"}
KINDS = {"commit", "issue", "pull_request"}
LIST_FIELDS = ("hardware", "precision", "models", "flags")
REQUIRED = {
    "replay": {"source", "day", "repo", "kind", "id", "change_type", *LIST_FIELDS, "confidence", "reason"},
    "git": {"source", "bundle", "repo", "day", "kind", "id", "change_type", *LIST_FIELDS, "confidence", "reason"},
}


def load_ids() -> dict[str, set[str]]:
    tax = yaml.safe_load((ROOT / "infra_digest/classify/taxonomy.yaml").read_text())
    return {
        "commit": set(tax["change_types"]["commit"]),
        "issue": set(tax["change_types"]["issue"]),
        "hardware": set(tax["hardware"]),
        "precision": set(tax["precision"]),
        "topics": set(tax["topics"]),
        "models": set(tax["models"]),
        "flags": FLAGS,
    }


def check(source: str, path: Path, ids: dict[str, set[str]]) -> tuple[list[dict], list[str]]:
    rows, errors, seen = [], [], set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            r = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: not JSON ({exc})")
            continue
        missing = REQUIRED[source] - r.keys()
        extra = r.keys() - REQUIRED[source] - {"topics"}
        if missing or extra:
            errors.append(f"{where}: missing {sorted(missing)} extra {sorted(extra)}")
            continue
        if r["source"] != source or r["kind"] not in KINDS:
            errors.append(f"{where}: bad source/kind {r['source']!r}/{r['kind']!r}")
        if source == "git" and (r["kind"] != "commit" or len(r["id"]) != 40):
            errors.append(f"{where}: git items are commits with a full sha")
        if r["kind"] == "commit" and len(r["id"]) != 40:
            errors.append(f"{where}: commit id must be the full sha")
        allowed = ids["issue"] if r["kind"] == "issue" else ids["commit"]
        if r["change_type"] not in allowed:
            errors.append(f"{where}: change_type {r['change_type']!r} not allowed for {r['kind']}")
        for field in LIST_FIELDS + (("topics",) if "topics" in r else ()):
            value = r[field]
            if not isinstance(value, list) or value != sorted(set(value)):
                errors.append(f"{where}: {field} must be a sorted list without repeats")
            elif set(value) - ids[field]:
                errors.append(f"{where}: unknown {field} {sorted(set(value) - ids[field])}")
        if r["confidence"] not in ("high", "low"):
            errors.append(f"{where}: confidence must be high or low")
        if not isinstance(r["reason"], str) or not r["reason"] or "\n" in r["reason"]:
            errors.append(f"{where}: reason must be one non-empty line")
        key = (r["repo"], r["kind"] == "commit", r["id"])
        if key in seen:
            errors.append(f"{where}: duplicate item {key}")
        seen.add(key)
        rows.append(r)
    return rows, errors


def counts(rows: list[dict]) -> dict:
    out: dict = {
        "items": len(rows),
        "kind": Counter(r["kind"] for r in rows),
        "repo": Counter(r["repo"] for r in rows),
        "confidence": Counter(r["confidence"] for r in rows),
        "change_type": Counter(r["change_type"] for r in rows),
    }
    for field in LIST_FIELDS + ("topics",):
        c = Counter(x for r in rows for x in r.get(field, []))
        c["(none)"] = sum(1 for r in rows if not r.get(field))
        out[field] = c
    return out


def markdown(name: str, c: dict) -> str:
    lines = [f"### {name}: {c['items']} items", ""]
    for key, value in c.items():
        if key == "items":
            continue
        parts = ", ".join(f"`{k}` {v}" for k, v in sorted(value.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"- **{key}**: {parts}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print counts as JSON")
    args = ap.parse_args(argv)
    ids = load_ids()
    report, bad = {}, []
    for source, path in FILES.items():
        rows, errors = check(source, path, ids)
        bad += errors
        report[path.name] = counts(rows)
    for e in bad:
        print("ERROR", e, file=sys.stderr)
    if args.json:
        print(json.dumps(report, indent=1, sort_keys=True))
    else:
        print("\n\n".join(markdown(k, v) for k, v in report.items()))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
