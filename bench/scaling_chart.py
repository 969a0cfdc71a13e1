"""Draw docs/benchmarks-scaling.png: wall time against days x repositories for the CLI, the UI path and the
bare-Dagster floor (issue 19). The points are the medians measured by the benchmarks, kept in
docs/benchmarks-scaling.json (each point names the command that measured it, see docs/benchmarks.md).

    pip install matplotlib        # benchmark-only tool: into your venv, not into requirements.lock
    .venv/bin/python bench/scaling_chart.py [docs/benchmarks-scaling.json] [docs/benchmarks-scaling.png]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    src = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "benchmarks-scaling.json"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs" / "benchmarks-scaling.png"
    data = json.loads(src.read_text())
    series: dict[str, list[tuple[int, float, str]]] = {}
    for p in data["points"]:
        series.setdefault(p["series"], []).append((p["days"] * p["repos"], p["wall"], f"{p['days']}x{p['repos']}"))
    style = {"UI path (ours)": ("tab:red", "o", "-"), "CLI (ours)": ("tab:blue", "s", "-"),
             "floor, UI path": ("tab:red", "o", ":"), "floor, CLI": ("tab:blue", "s", ":"),
             "floor + per-partition metadata, CLI": ("tab:green", "^", "--")}
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for name, pts in series.items():
        pts.sort()
        color, marker, ls = style.get(name, ("black", "x", "-"))
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker, linestyle=ls, color=color, label=name)
        for x, y, lab in pts:
            ax.annotate(f"{lab}: {y:.0f}s", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7, color=color)
    ax.set_xscale("log")
    ax.set_xlabel("days x repositories (partition keys of the ingest assets)")
    ax.set_ylabel("wall time, s (median)")
    ax.set_title(data.get("title", "infra-digest: wall time against days x repositories"), fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    if data.get("note"):
        fig.text(0.01, 0.01, data["note"], fontsize=7, color="dimgray")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
