"""`infra-digest classify`: JSON Lines of GitHub objects in, one JSON line of labels out per line."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from .rules import Taxonomy, classify, input_from_github, load_taxonomy

__all__ = ["run_classify", "main"]


def run_classify(stdin: TextIO, stdout: TextIO, taxonomy: Taxonomy | None = None) -> int:
    """Classify JSON Lines from `stdin`, writing one JSON line per non-empty input line, in order.

    Each output line is {"change_type", "hardware", "precision", "topics", "models", "flags", "rules"}.
    A malformed line (invalid JSON, not an object, not a commit/issue/PR) produces
    {"line": N, "error": "..."} (N is 1-based) and processing continues.  Empty or
    whitespace-only lines are skipped.  Returns 0 if every line was classified, else 1.
    """
    tax = taxonomy or load_taxonomy()
    status = 0
    write = stdout.write
    for lineno, raw in enumerate(stdin, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            status = 1
            write(json.dumps({"line": lineno, "error": f"invalid JSON: {exc}"}) + "\n")
            continue
        if not isinstance(obj, dict):
            status = 1
            write(json.dumps({"line": lineno, "error": f"expected a JSON object, got {type(obj).__name__}"}) + "\n")
            continue
        try:
            labels = classify(input_from_github(obj), tax)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            status = 1
            write(json.dumps({"line": lineno, "error": str(exc) or type(exc).__name__}) + "\n")
            continue
        write(json.dumps(labels.as_dict(), ensure_ascii=False) + "\n")
    stdout.flush()
    return status


def main() -> int:  # pragma: no cover - thin wrapper
    return run_classify(sys.stdin, sys.stdout)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
