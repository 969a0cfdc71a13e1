"""Regenerate the shipped demo dataset: ``python -m infra_digest.demo.make_demo``.

The demo is INVENTED data in the replay layout (shas are synthetic, numbers and links do not exist on
GitHub). It exists so the pipeline can be tried anywhere, offline. Its day is 2026-03-02.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from infra_digest.demo.builders import commit, fake_sha, issue, release, updated, write_lists, write_replay

DAY = "2026-03-02"
OUT = Path(__file__).resolve().parent / "replay"


def t(hhmm: str, day: str = DAY) -> str:
    return f"{day}T{hhmm}:00Z"


def build(out: Path = OUT) -> Path:
    vllm, sgl, fi, cutlass, cutile, fmla = (
        "vllm-project/vllm", "sgl-project/sglang", "flashinfer-ai/flashinfer",
        "NVIDIA/cutlass", "NVIDIA/cutile-python", "deepseek-ai/FlashMLA",
    )
    side = fake_sha(cutile, "side")
    base = fake_sha(cutile, "base")
    commits = [
        (vllm, commit(vllm, "[Bugfix][ROCm] Fix fused MoE kernel crash on MI355 with FP8 weights (#36012)",
                      author=("Lin Chen", "12345+linchen@users.noreply.github.com"), login="linchen", date=t("02:14"),
                      files=[("vllm/model_executor/layers/fused_moe/rocm_aiter_fused_moe.py", "modified", 18, 7),
                             ("tests/kernels/moe/test_rocm_moe.py", "modified", 42, 3)])),
        (vllm, commit(vllm, "[Kernel] Add NVFP4 CUTLASS MoE path for SM120 (RTX PRO 6000 Blackwell) (#35988)",
                      author=("Priya Raman", "priya@example.com"), date=t("08:40"),
                      files=[("csrc/quantization/fp4/nvfp4_moe_sm120.cu", "added", 612, 0),
                             ("vllm/model_executor/layers/quantization/modelopt.py", "modified", 35, 12),
                             ("tests/kernels/quantization/test_nvfp4_moe.py", "added", 188, 0),
                             ("CMakeLists.txt", "modified", 6, 1)])),
        (vllm, commit(vllm, "[Perf] Reduce CUDA graph capture time for DeepSeek-V3 MLA decode (#35940)",
                      author=("Ken Ito", "ken@example.com"), date=t("13:05"),
                      files=[("vllm/v1/attention/backends/mla/flashmla.py", "modified", 24, 31)])),
        (vllm, commit(vllm, "[Doc] Document Qwen3.5 tool-call parser options (#36020)",
                      author=("Sam Park", "sam@example.com"), date=t("19:22"),
                      files=[("docs/features/tool_calling.md", "modified", 27, 2)])),
        (sgl, commit(sgl, "Support block-wise FP8 quantization for Qwen3.5 MoE (#19210)",
                     author=("Wei Zhang", "wei@example.com"), date=t("03:30"),
                     files=[("python/sglang/srt/models/qwen3_5_moe.py", "modified", 77, 20),
                            ("python/sglang/srt/layers/quantization/fp8.py", "modified", 14, 4)])),
        (sgl, commit(sgl, 'Revert "Enable overlap scheduler for EAGLE3 by default" (#19233)',
                     author=("Ana Lopez", "ana@example.com"), date=t("11:48"),
                     files=[("python/sglang/srt/server_args.py", "modified", 3, 9)])),
        (sgl, commit(sgl, "[CI] Run NPU tests on Ascend runners nightly (#19240)",
                     author=("Hao Liu", "hao@example.com"), date=t("16:02"),
                     files=[(".github/workflows/nightly-test-npu.yml", "added", 64, 0)])),
        (fi, commit(fi, "fix: correct dtype_bytes for W4A8 grouped GEMM autotuning (#2701)",
                    author=("J. Ortiz", "jortiz@example.com"), date=t("05:55"),
                    files=[("csrc/fused_moe/cutlass_backend/cutlass_fused_moe_kernels.cuh", "modified", 9, 6),
                           ("tests/moe/test_trtllm_cutlass_fused_moe.py", "modified", 16, 12)])),
        (fi, commit(fi, "perf: faster top-k sampling kernel on Hopper (#2698)",
                    author=("M. Rossi", "mrossi@example.com"), date=t("21:10"),
                    files=[("include/flashinfer/sampling.cuh", "modified", 120, 88),
                           ("benchmarks/bench_sampling.py", "modified", 12, 2)])),
        (cutlass, commit(cutlass, "Remove deprecated mixed_input_fmha example (#3101)",
                         author=("Dev Nguyen", "dnguyen@example.com"), date=t("00:45"),
                         files=[("examples/python/CuTeDSL/blackwell/mixed_input_fmha/prefill.py", "removed", 0, 1204)])),
        # cuTile: a side-branch commit reached only through the merge commit below; authored days earlier.
        (cutile, commit(cutile, "Add tile-level FP8 conversion helpers", sha=side, parents=[base],
                        author=("Lee Wong", "lwong@example.com"), date="2026-02-24T10:00:00Z", committer_date=t("01:50"),
                        committer=("Lee Wong", "lwong@example.com"),
                        files=[("src/cuda/tile/_fp8.py", "added", 140, 0), ("test/test_fp8_convert.py", "added", 66, 0)])),
        (cutile, commit(cutile, "Merge branch 'fp8-helpers' into 'main'", parents=[base, side],
                        author=("Lee Wong", "lwong@example.com"), date=t("01:54"),
                        committer=("Lee Wong", "lwong@example.com"),
                        files=[("src/cuda/tile/_fp8.py", "added", 140, 0), ("test/test_fp8_convert.py", "added", 66, 0)])),
    ]
    issues = [
        (DAY, vllm, issue(vllm, 36031, "[Bug]: NVFP4 checkpoint outputs NaN on RTX PRO 6000 Blackwell (SM120)", login="gpu-tinkerer",
                          created_at=t("06:12"), labels=["bug"],
                          body="### Your current environment\n\nvLLM main, CUDA 13.0, driver 590.\n\n### 🐛 Describe the bug\n\n"
                               "Serving an NVFP4 Qwen3 MoE checkpoint on an RTX PRO 6000 Blackwell (SM120) returns NaN logits "
                               "for every request. The same checkpoint works on B200.\n\n```\nValueError: NaN in logits\n```")),
        (DAY, vllm, issue(vllm, 36035, "[CI Failure]: test_can_initialize_large_subset[InternS1ProForConditionalGeneration]",
                          login="ci-watcher", created_at=t("14:40"), labels=["ci-failure"],
                          body="The nightly job fails in models/test_initialization.py since this morning.")),
        (DAY, vllm, issue(vllm, 36036, "[Feature]: Support thinking budget for GLM-4.5V", login="gaolx",
                          created_at=t("15:03"), labels=["feature request"],
                          body="Reasoning models such as GLM-4.5V would benefit from a per-request thinking budget, "
                               "like the one OpenAI exposes. Proposal: a `thinking_budget` sampling parameter.")),
        (DAY, vllm, issue(vllm, 36040, "[Model] Add Kimi K2.5 vision encoder", login="mm-dev", created_at=t("17:20"),
                          pull_request=True, body="Adds the MoonViT encoder so Kimi K2.5 can take images.")),
        (DAY, sgl, issue(sgl, 19245, "[Bug] NVFP4 MoE produces NaN on SM120 with flashinfer_cutlass backend", login="gpu-tinkerer",
                         created_at=t("07:01"),
                         body="Same symptom as the vLLM report: NVFP4 MoE models give NaN outputs on RTX PRO 6000 Blackwell (SM120). "
                              "Works on H100 with FP8.")),
        (DAY, sgl, issue(sgl, 19250, "[Roadmap] [NPU] SGLang Diffusion on Ascend", login="ascend-team", created_at=t("08:33"),
                         body="Tracking issue for running SGLang Diffusion pipelines on Ascend NPUs.")),
        (DAY, fi, issue(fi, 2705, "Architecture sm87 not supported", login="jetson-user", created_at=t("10:10"),
                        labels=["feature request"],
                        body="FlashInfer refuses to build for SM87 (Jetson AGX Orin). Setting TORCH_CUDA_ARCH_LIST=8.7 works around it.")),
        (DAY, fmla, issue(fmla, 171, "[Question] why dequantize FP8 KV cache to BF16 before RoPE in sparse decoding?", login="lyppg",
                          created_at=t("20:09"),
                          body="In the sparse FP8 decoding kernel, the KV cache is dequantized from FP8 to BF16 before RoPE is applied. "
                               "Would an FP8 RoPE avoid the extra dequantize cost?")),
    ]
    releases = [
        (DAY, vllm, release(vllm, "v0.17.0", t("18:05"), name="vLLM v0.17.0",
                            body="## Highlights\n* NVFP4 CUTLASS MoE path for SM120 by @priya in https://github.com/vllm-project/vllm/pull/35988\n"
                                 "* Faster CUDA graph capture for DeepSeek-V3 MLA decode\n* ROCm: fused MoE fixes for MI355 with FP8 weights\n\n"
                                 "**Full Changelog**: https://github.com/vllm-project/vllm/compare/v0.16.1...v0.17.0")),
        (DAY, vllm, release(vllm, "v0.17.1", None, draft=True)),  # a draft: never shown
        (DAY, sgl, release(sgl, "v0.5.10rc0", t("12:30"), prerelease=True,
                           body="Release candidate for v0.5.10: Ascend diffusion preview, NVFP4 MoE on SM120.")),
        (DAY, fi, release(fi, "nightly-v0.6.5-20260302", t("01:10"), prerelease=True)),
        (DAY, fi, release(fi, "nightly-v0.6.5-20260302.1", t("13:10"), prerelease=True)),
    ]
    hot = [  # issues and PRs updated on the day, new or not, with their counts (all invented)
        (DAY, vllm, updated(vllm, 34102, "[RFC]: Deprecate V0 sampler paths", created_at="2026-01-20T10:00:00Z",
                            updated_at=t("16:44"), comments=54, reactions=31, login="core-dev")),
        (DAY, vllm, updated(vllm, 36031, "[Bug]: NVFP4 checkpoint outputs NaN on RTX PRO 6000 Blackwell (SM120)",
                            created_at=t("06:12"), updated_at=t("19:02"), comments=9, reactions=4, login="gpu-tinkerer")),
        (DAY, vllm, updated(vllm, 35870, "[Kernel] FlashInfer MLA for SM100", created_at="2026-02-25T09:00:00Z",
                            updated_at=t("11:30"), comments=12, reactions=2, login="mla-dev", pull_request=True)),
        (DAY, sgl, updated(sgl, 18800, "[Feature] Speculative decoding with EAGLE-3 for Qwen3", created_at="2026-02-10T08:00:00Z",
                           updated_at=t("09:15"), comments=23, reactions=17, login="spec-fan")),
    ]
    if out.exists():
        shutil.rmtree(out)
    from infra_digest.watchlist import load_watchlist

    # Every watched repository was recorded that day (as record mode writes it): none is "not recorded".
    root = write_replay(out, commits, issues, recorded=[(DAY, r.repo) for r in load_watchlist()])
    write_lists(root, "releases.json", releases)
    write_lists(root, "updated.json", hot)
    return root


if __name__ == "__main__":
    print(build())
