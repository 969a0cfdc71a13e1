"""Generate a realistic replay directory: N days x the watchlist, about 120 items a day.

    .venv/bin/python bench/gen_replay.py OUT_DIR [--days 90] [--start 2026-01-01] [--seed 7]

Deterministic for a seed. Shapes are those of ../shared/replay (commits_list.json, commits/<sha>.json,
issues.json); titles, paths and volumes imitate the watched repositories (vLLM and SGLang busiest).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

from infra_digest.demo.builders import commit, issue, write_replay

# repo: (commits per day, issues per day)
VOLUME = {
    "vllm-project/vllm": (48, 15), "sgl-project/sglang": (38, 11), "flashinfer-ai/flashinfer": (7, 4),
    "NVIDIA/cutlass": (1, 2), "Dao-AILab/flash-attention": (2, 1), "deepseek-ai/DeepGEMM": (1, 1),
    "deepseek-ai/FlashMLA": (0, 1), "NVIDIA/cutile-python": (2, 1),
}
PREFIXES = ["[Bugfix]", "[Perf]", "[Kernel]", "[Model]", "[ROCm]", "[CI]", "[Doc]", "[Misc]", "[Feature]", "fix:", "feat:", "perf:", ""]
SUBJECTS = ["NVFP4 MoE on SM120", "FP8 block-wise GEMM for Hopper", "MLA decode CUDA graph capture", "Qwen3.5 tool-call parser",
            "DeepSeek-V3 expert routing", "MI355 aiter fused MoE", "EAGLE3 speculative decoding", "LoRA tied LM head",
            "Ascend NPU attention backend", "KV cache offloading", "W4A8 grouped GEMM autotuning", "Kimi K2.5 vision encoder",
            "GLM-5 NSA backend on B200", "chunked prefill scheduler", "PD disaggregation with nixl", "Gemma 3 sliding window"]
VERBS = ["Fix", "Add", "Support", "Optimize", "Refactor", "Remove unused", "Speed up", "Document"]
PATHS = ["csrc/quantization/fp4/nvfp4_moe_sm120.cu", "vllm/model_executor/layers/fused_moe/layer.py", "python/sglang/srt/models/qwen3_5.py",
         "tests/kernels/test_moe.py", "docs/features/quantization.md", ".github/workflows/ci.yml", "csrc/rocm/attention.cu",
         "include/flashinfer/attention/mla.cuh", "python/sglang/srt/layers/attention/nsa_backend.py", "CMakeLists.txt",
         "vllm/v1/attention/backends/flashmla.py", "python/sglang/srt/disaggregation/nixl/conn.py", "benchmarks/bench_gemm.py"]
ISSUE_KINDS = ["[Bug]", "[Feature]", "[CI Failure]:", "[Usage]", "[RFC]", "[Roadmap]", "[Question]"]
AUTHORS = [f"dev{i}" for i in range(60)]


def generate(out: Path, days: int, start: dt.date, seed: int) -> tuple[int, int]:
    rnd = random.Random(seed)
    commits, issues = [], []
    number = {repo: 10_000 + i * 5_000 for i, repo in enumerate(VOLUME)}
    for d in range(days):
        day = start + dt.timedelta(days=d)
        weekend = day.weekday() >= 5
        for repo, (c_per_day, i_per_day) in VOLUME.items():
            nc = max(0, round(rnd.gauss(c_per_day * (0.4 if weekend else 1.0), max(1.0, c_per_day / 4))))
            ni = max(0, round(rnd.gauss(i_per_day * (0.5 if weekend else 1.0), max(0.5, i_per_day / 3))))
            for _ in range(nc):
                number[repo] += 1
                title = f"{rnd.choice(PREFIXES)} {rnd.choice(VERBS)} {rnd.choice(SUBJECTS)} (#{number[repo]})".strip()
                stamp = f"{day}T{rnd.randrange(24):02d}:{rnd.randrange(60):02d}:{rnd.randrange(60):02d}Z"
                files = [(p, rnd.choice(["modified", "modified", "added"]), rnd.randrange(1, 200), rnd.randrange(0, 80))
                         for p in rnd.sample(PATHS, rnd.randint(1, 6))]
                author = rnd.choice(AUTHORS)
                commits.append((repo, commit(repo, title, date=stamp, files=files, login=author,
                                             author=(author, f"{author}@users.noreply.github.com"),
                                             body="Signed-off-by: " + author)))
            for _ in range(ni):
                number[repo] += 1
                stamp = f"{day}T{rnd.randrange(24):02d}:{rnd.randrange(60):02d}:00Z"
                title = f"{rnd.choice(ISSUE_KINDS)} {rnd.choice(SUBJECTS)} fails with {rnd.choice(['NaN', 'illegal memory access', 'OOM', 'wrong output'])}"
                body = ("### Your current environment\n\nCUDA 13.0, driver 590\n\n### Describe the bug\n\n"
                        + f"Running {rnd.choice(SUBJECTS)} on {rnd.choice(['H100', 'B200', 'RTX PRO 6000', 'MI355X', 'Ascend 910B'])} "
                        + "gives the wrong result. " * rnd.randint(1, 20))
                issues.append((str(day), repo, issue(repo, number[repo], title, login=rnd.choice(AUTHORS), created_at=stamp,
                                                     body=body, labels=[rnd.choice(["bug", "feature request", "ci-failure", "usage"])])))
    # every watched repository of every day is recorded (an absent folder would mean "not recorded")
    recorded = [(str(start + dt.timedelta(days=d)), repo) for d in range(days) for repo in VOLUME]
    write_replay(out, commits, issues, recorded=recorded)
    return len(commits), len(issues)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--start", default="2026-01-01")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    c, i = generate(Path(args.out), args.days, dt.date.fromisoformat(args.start), args.seed)
    print(f"{args.out}: {args.days} days, {c} commits, {i} issues ({(c + i) / args.days:.0f} items/day)")


if __name__ == "__main__":
    main()
