"""Render the reports of the shared replay days and of the demo, and compare two such snapshots byte for byte.

    python bench/compare_reports.py snapshot DIR        # runs `infra-digest run` (zh and en) into DIR
    python bench/compare_reports.py diff DIR_A DIR_B    # every report equal, the generation time aside

The renderers' output is the contract of behaviour-preserving changes: take a snapshot before, one after, diff.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPLAY = ROOT.parent / "shared" / "replay"
RUNS = [("replay", f"replay:{REPLAY}", "2026-02-16", "2026-02-18"), ("demo", "replay:demo", "2026-03-02", "2026-03-02")]
# The one line that differs between two renderings of the same data.
GENERATED = re.compile(r"(生成时间|Generated)(\*\*|</strong>)?: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


def snapshot(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    exe = Path(sys.executable).with_name("infra-digest")
    with tempfile.TemporaryDirectory() as tmp:
        for name, source, first, last in RUNS:
            for lang in ("zh", "en"):
                cmd = [str(exe), "run", "--date", first, "--to", last, "--source", source, "--lang", lang,
                       "--db", f"{tmp}/{name}.duckdb", "--out", str(out / name)]
                print(" ".join(cmd[1:]), flush=True)
                done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp)
                if done.returncode:
                    sys.exit(f"failed ({done.returncode}):\n{done.stderr}")


def _masked(path: Path) -> list[str]:
    return [GENERATED.sub(r"\1\2: <time>", line) for line in path.read_text(encoding="utf-8").splitlines(keepends=True)]


def diff(a: Path, b: Path) -> int:
    names_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    names_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    bad = 0
    for name in sorted(names_a ^ names_b):
        print(f"only in one snapshot: {name}")
        bad += 1
    for name in sorted(names_a & names_b):
        la, lb = _masked(a / name), _masked(b / name)
        if la != lb:
            bad += 1
            print(f"DIFFERS: {name}")
            sys.stdout.writelines(list(difflib.unified_diff(la, lb, str(a / name), str(b / name), n=1))[:40])
    print(f"{len(names_a & names_b)} reports compared, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "snapshot":
        snapshot(Path(sys.argv[2]).resolve())
    elif len(sys.argv) == 4 and sys.argv[1] == "diff":
        sys.exit(diff(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit(__doc__)
