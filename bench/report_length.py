"""Visible length of reports: what a reader sees (the Markdown rendered, tags stripped, white space folded), and the
Markdown source with link targets stripped. Compare two snapshots of `bench/compare_reports.py`:

    python bench/report_length.py BEFORE_DIR AFTER_DIR
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark")


def rendered(text: str) -> int:
    return len(re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", _MD.render(text)))))


def source_without_targets(text: str) -> int:
    return len(re.sub(r"\]\([^)]*\)", "]", text))


def main(before: Path, after: Path) -> None:
    print(f"{'report':<28}{'rendered before':>16}{'after':>8}{'ratio':>7}{'source before':>15}{'after':>8}{'ratio':>7}")
    for a in sorted(before.rglob("*.md")):
        b = after / a.relative_to(before)
        if not b.exists():
            continue
        ta, tb = a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")
        ra, rb, sa, sb = rendered(ta), rendered(tb), source_without_targets(ta), source_without_targets(tb)
        print(f"{str(a.relative_to(before)):<28}{ra:>16,}{rb:>8,}{rb / ra:>7.2f}{sa:>15,}{sb:>8,}{sb / sa:>7.2f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
