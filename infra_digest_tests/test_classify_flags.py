"""Issue 15: impact flags, merges classified by what they bring, path evidence weighted by what changed,
process markers, and the flag queries of sql/queries/."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import duckdb
import pytest

from infra_digest.classify import ClassifyInput, classify, classify_inputs, load_taxonomy
from infra_digest.classify.cli import run_classify
from infra_digest.demo.builders import commit
from infra_digest.transform import derive_core

ROOT = Path(__file__).resolve().parents[1]
FLAG_IDS = ("security", "breaking", "default-change", "regression", "crash", "release")


def c(title, paths=("vllm/engine/core.py",), labels=(), body="", kind="commit", changes=()):
    return classify(ClassifyInput(kind=kind, title=title, body=body, labels=tuple(labels), paths=tuple(paths),
                                  changes=tuple(changes)))


def test_flag_ids_are_the_contract():
    assert load_taxonomy().flag_rules.ids == FLAG_IDS


@pytest.mark.parametrize("title,paths,flag,rule", [
    ("[Core] Fix SSRF bypass via backslash-@ URL parsing inconsistency (#34743)", ("vllm/connections.py",), "security", "title:ssrf"),
    ("Fix CVE-2026-1234 in the tokenizer cache", ("vllm/a.py",), "security", "title:cve"),
    ("refactor FAKE transfer backend and remove --disaggregation-decode-enable-fake-auto parameter (#18345)",
     ("python/sglang/srt/server_args.py",), "breaking", "title:remove-flag"),
    ("[Build] Drop support for CUDA 11.8", ("CMakeLists.txt",), "breaking", "title:drop-support"),
    ("[torch.compile] Turn on silu+fp4 quant fusion by default for O1+ (#34718)", ("vllm/config/vllm.py",), "default-change", "title:by-default"),
    ("Make FlashInfer the default attention backend on SM100", ("vllm/platforms/cuda.py",), "default-change", "title:new-default"),
    ("[Bugfix] Fix throughput regression in MoE align", ("csrc/moe/align.cu",), "regression", "title:regression"),
    ("Fix tool calling broken by #39990 (#40017)", ("vllm/a.py",), "regression", "title:regression"),
    ("[Bugfix] Remove assert causing hipErrorStreamCaptureUnsupported (#34455)", ("vllm/a.py",), "crash", "title:cuda-error"),
    ("Fix illegal memory address when skipping -1 m indices (#113)", ("csrc/a.cuh",), "crash", "title:illegal-memory"),
    ("[Cute][Flex] Fix kernel hang w/ multiple empty tiles (#2258)", ("flash_attn/cute/a.py",), "crash", "title:hang"),
    ("fix: prevent int32 overflow in k-grouped GEMM size calculations (#226)", ("csrc/a.hpp",), "crash", "title:illegal-memory"),
    ("Release v0.12.0", ("vllm/version.py",), "release", "title:release"),
    ("[Public release 26/04] Introducing Mega MoE, FP4 Indexer and other features/fixes (#304)", ("csrc/a.cu",), "release", "title:release"),
    ("Update version number", ("setup.py",), "release", "title:version-bump"),
])
def test_each_flag_fires_and_names_its_rule(title, paths, flag, rule):
    got = c(title, paths)
    assert flag in got.flags
    assert f"flags:{flag}<-{rule}" in got.rules


@pytest.mark.parametrize("title,paths,labels", [
    ("[ci skip] Add security.md", ("SECURITY.md",), ()),  # docs about security fix no vulnerability
    ("[Docs] Describe the vulnerability reporting process", ("docs/security.md",), ()),
    ("[CI] Remove unused precompiled wheel args from image build (#34767)", (".buildkite/image_build.sh",), ()),
    ("[CI] Remove `--mem-fraction-static 0.93` from gpt-oss test (#18869)", ("test/registered/test_gpt_oss.py",), ()),
    ("[Misc] Deprecate the guided_json request field", ("vllm/entrypoints/openai/protocol.py",), ()),
    ("[Test] Add a regression test for chunked prefill", ("tests/test_chunked_prefill.py",), ()),
    ("[Misc] Add NaN check option to the sampler", ("vllm/v1/sample/sampler.py",), ()),
    ("[Bugfix] Fix KeyError in the tokenizer registry", ("vllm/a.py",), ()),
    ("Bump to 4.4.0 cute dsl pin (#2262)", ("requirements.txt",), ()),
    ("[Build] Update the release workflow for aarch64 wheels", (".github/workflows/release.yml",), ()),
    ("[Test] Use default sampling params in test_sampler", ("tests/test_sampler.py",), ()),
    ("Fix Triton error when compiling the MoE kernel", ("vllm/a.py",), ()),  # a compile error is not a crash
])
def test_hard_negatives_set_no_flag(title, paths, labels):
    got = c(title, paths, labels)
    assert got.flags == (), got.rules


def test_labels_prefixes_and_issue_bodies_set_flags():
    assert c("Tighten URL parsing", labels=("security",)).flags == ("security",)
    assert c("[Security] Tighten URL parsing").rules[-1] == "flags:security<-prefix:[Security]"
    body = "### History of failing test\n\nTriggered after [PR](https://github.com/vllm-project/vllm/pull/33600)"
    issue = c("[CI Failure]: models/test_initialization.py::test_x", paths=(), body=body, kind="issue")
    assert issue.flags == ("regression",) and "flags:regression<-body:regression-body" in issue.rules
    crash = c("[Bug]: Qwen3-VL outputs garbage", paths=(), kind="issue",
              body="RuntimeError: CUDA error: an illegal memory access was encountered")
    assert crash.flags == ("crash",)
    # a commit's body is read only in its description (before the test plan, results, checklist), for crash and
    # regression; a revert's whole body is read, because it says why
    assert c("[Bugfix] Tidy up the loader", body="## Test Plan\nthis used to segfault").flags == ()
    assert c("[Bugfix] Tidy up the loader", body="<!-- this used to segfault -->").flags == ()
    assert c("[Bugfix] Tidy up the loader", body="```\nSegmentation fault\n```").flags == ()
    got = c("[Bugfix] Tidy up the loader", body="## \U0001F4CC Description\nThe loader used to segfault.\n")
    assert got.flags == ("crash",) and "flags:crash<-body:crash-body" in got.rules
    assert c("[Bugfix] Tidy up the loader", body="Release notes: Public release 26/06").flags == ()
    assert c('Revert "Use a new swizzle mode"', body="It made tests segfault.").flags == ("regression", "crash")


def test_reverts_read_their_body_and_merges_that_revert_drop_flags():
    got = c('Revert "Fixed the bug in get_swizzle_mode (#115)"', body="It made wgrad hang in tests.")
    assert got.flags == ("regression", "crash") and "flags:regression<-body:regression-body" in got.rules
    rename_and_back = classify(ClassifyInput("commit", "Merge pull request #220 from someone/revert-name-change",
                                             paths=("setup.py",), is_merge=True,
                                             merged=("chore: Revert name change", "chore: Rename project to ds-deem-gemm")))
    assert rename_and_back.flags == ()
    assert c("Fix sum_k * shape_m overflow", ("csrc/a.cuh",)).flags == ("crash",)


def test_a_revert_does_not_carry_the_flags_of_what_it_reverts():
    got = c('Revert "[AMD] Fix RotaryEmbedding crash on ROCm (regression from #17934)" (#18922)')
    assert got.change_type == "revert" and got.flags == ()
    assert c("[Bugfix] Fix int32 overflow in stride*offset without perf regression (#34507)", ("csrc/a.cu",)).flags == ("crash",)


def test_moved_files_carry_no_arch():
    moved = tuple(f"csrc/sm100/prefill/k{i}.hpp" for i in range(6)) + ("csrc/sm90/decode/sparse_fp8.cu",)
    got = c("Reorganize files and add sparse decoding kernels", moved, changes=(0,) * 6 + (400,))
    assert got.hardware == ("nvidia-hopper",), got.rules


def test_flags_are_in_the_classify_command_output():
    lines = "\n".join(json.dumps(o) for o in [
        {"sha": "a" * 40, "commit": {"message": "[Core] Fix SSRF in media URL fetching (#1)"}, "files": [{"filename": "vllm/a.py"}]},
        {"number": 5, "title": "[Bug] Server crashes with NaN logits", "labels": [{"name": "bug"}]},
        {"number": 6, "title": "[Feature] Add a thinking budget"},
    ])
    out = io.StringIO()
    assert run_classify(io.StringIO(lines), out) == 0
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [r["flags"] for r in rows] == [["security"], ["crash"], []]
    assert all(list(r) == ["change_type", "hardware", "precision", "topics", "models", "flags", "rules"] for r in rows)


# ---------------------------------------------------------------------------------------------- merges
REPO = "deepseek-ai/DeepGEMM"
D = dt.date(2025, 3, 25)


def _day(*commits):
    events = [{"kind": "commit", "id": x["sha"], "payload": x, "source": "git"} for x in commits]
    core = derive_core(REPO, D, events)
    return {row["sha"]: inp for row, inp in zip(core.commits, classify_inputs("commit", core.commits))}


def test_a_merge_inherits_from_the_commits_it_brings():
    base = commit(REPO, "Initial", date="2025-03-25T01:00:00Z", parents=[], files=[("a.py", "added", 1, 0)])
    b1 = commit(REPO, "Fix illegal memory access in sm90 FP8 GEMM", date="2025-03-25T02:00:00Z", parents=[base["sha"]],
                files=[("deep_gemm/include/deep_gemm/impls/sm90_fp8_gemm_1d2d.cuh", "modified", 9, 2)])
    b2 = commit(REPO, "Add test for the OOB case", date="2025-03-25T03:00:00Z", parents=[b1["sha"]],
                files=[("tests/test_core.py", "modified", 9, 2)])
    main2 = commit(REPO, "Update README", date="2025-03-25T04:00:00Z", parents=[base["sha"]], files=[("README.md", "modified", 1, 1)])
    merge = commit(REPO, "Merge pull request #90 from someone/main", date="2025-03-25T05:00:00Z",
                   parents=[main2["sha"], b2["sha"]],
                   files=[("deep_gemm/include/deep_gemm/impls/sm90_fp8_gemm_1d2d.cuh", "modified", 9, 2),
                          ("tests/test_core.py", "modified", 9, 2)])
    inputs = _day(base, b1, b2, main2, merge)
    m = inputs[merge["sha"]]
    assert m.is_merge and set(m.merged) == {b1["commit"]["message"], b2["commit"]["message"]}  # not main2, not base
    got = classify(m)
    assert got.change_type == "fix" and got.rules[0].startswith("change_type:fix<-merge:")
    assert got.flags == ("crash",) and got.hardware == ("nvidia-hopper",) and got.precision == ("fp8",)
    assert not inputs[b1["sha"]].is_merge and inputs[b1["sha"]].merged == ()


@pytest.mark.parametrize("title,paths,expected", [
    ("Merge pull request #80 from someone/fix-link-error", ("deep_gemm/jit/compiler.py",), "fix"),
    ("Merge branch 'update-readme' into 'main'", ("README.md",), "docs"),
    ("Merge pull request #16 from someone/patch-1", ("README.md",), "docs"),  # a default branch name says nothing
    ("Merge pull request #100 from deepseek-ai/remove-tuner", ("deep_gemm/jit/tuner.py",), "refactor"),
])
def test_a_merge_without_its_commits_reads_its_branch_name(title, paths, expected):
    got = classify(ClassifyInput("commit", title, paths=paths, is_merge=True))
    assert got.change_type == expected, got.rules


# ---------------------------------------------------------------------------------------------- path evidence
def test_a_large_drop_of_arch_kernels_gets_every_arch_and_precision():
    paths = ([f"deep_gemm/include/deep_gemm/impls/sm100_fp8_kernel_{i}.cuh" for i in range(8)]
             + [f"csrc/jit_kernels/impls/sm90_fp8_fp4_kernel_{i}.hpp" for i in range(4)]
             + [f"deep_gemm/utils/helper_{i}.py" for i in range(30)] + [f"tests/test_{i}.py" for i in range(20)])
    got = c("Multiple updates and refactorings (#347)", paths)
    assert got.hardware == ("nvidia-blackwell", "nvidia-hopper") and got.precision == ("fp4", "fp8")
    assert any(r.startswith("hardware:nvidia-hopper<-path-kernels:") for r in got.rules)


def test_the_main_file_carries_the_change():
    paths = ("python/sglang/srt/layers/quantization/quark/quark.py",
             "python/sglang/srt/layers/quantization/quark/schemes/quark_w4a4_mxfp4_moe.py",
             "python/sglang/srt/layers/moe/ep_moe/layer.py", "python/sglang/srt/layers/quantization/utils.py")
    got = c("[4/N] Quantization Refactor: Quark MoE schemes", paths, changes=(20, 300, 4, 6))
    assert got.precision == ("fp4",) and any(r.startswith("precision:fp4<-path-main:") for r in got.rules)
    # equal small changes: no main file, and one file of four is not enough
    assert c("[4/N] Quantization Refactor: Quark MoE schemes", paths, changes=(5, 5, 5, 5)).precision == ()


@pytest.mark.parametrize("paths", [
    ("tests/kernels/test_sm100_fp8_gemm.py",),
    (".github/workflows/pr-test-sm100.yml",),
    ("benchmarks/bench_sm100_fp8_gemm.py",),
    ("benchmarks/bench_sm100_fp8_gemm.py", "vllm/utils.py", "vllm/config.py"),
])
def test_a_test_ci_or_benchmark_file_alone_tags_nothing(paths):
    got = c("Update things", paths, changes=tuple(100 for _ in paths))
    assert got.hardware == () and got.precision == (), got.rules


def test_platform_directories_in_a_cross_backend_refactor_do_not_tag():
    paths = ["python/sglang/srt/disaggregation/ascend/conn.py", "python/sglang/srt/disaggregation/ascend/transfer_engine.py"]
    paths += [f"python/sglang/srt/disaggregation/common/m{i}.py" for i in range(7)]
    assert c("refactor FAKE transfer backend", paths, changes=tuple([1, 10] + [16] + [5] * 6)).hardware == ()


# ---------------------------------------------------------------------------------------------- change type
@pytest.mark.parametrize("title,paths,expected", [
    ("[ci skip] Add security.md", ("SECURITY.md",), "docs"),
    ("[CI][Frontend] Return 422 instead of 500 for invalid Anthropic tool_choice (#34590)",
     ("vllm/entrypoints/anthropic/protocol.py",), "feature"),  # not ci: no CI or test file (the title states no fix)
    ("Fix flaky Qwen3-Next KL divergence tests by reverting mamba slot release (#18910)",
     ("python/sglang/srt/managers/scheduler.py",), "fix"),
    ("Speed up macOS smoke test", (".github/workflows/macos-smoke.yml",), "ci"),
    ("[Refactor] [CI] Remove redundant CI test runs", (".buildkite/test-pipeline.yaml",), "ci"),
    ("[Public release 26/04] Introducing Mega MoE, FP4 Indexer and other features/fixes (#304)",
     ("deep_gemm/include/deep_gemm/impls/sm100_fp8_fp4_mega_moe.cuh",), "feature"),
    ("[Core] Reuse created spec tokens lists to mitigate GC cost", ("vllm/v1/spec_decode/eagle.py",), "perf"),
    ("[Kernels] Improve H200 Fused MoE Config", ("vllm/model_executor/layers/fused_moe/configs/E=8.json",), "perf"),
    ("Code format", ("deep_gemm/jit/compiler.py",), "refactor"),
    ("Code format", ("tests/test_flash_mla.py",), "refactor"),  # formatting is refactor whatever it touches
    ("Code lint", ("deep_gemm/jit/compiler.py",), "refactor"),
    ("reformat Community Support section", ("README.md",), "docs"),  # formatting a README is docs
    ("Fix TMA store bugs and code format", ("deep_gemm/include/deep_gemm/fp8_gemm.cuh",), "fix"),
    ("Fix indent", ("deep_gemm/jit/compiler.py",), "refactor"),
    ("Use swizzling instead of padding (#86)", ("deep_gemm/include/deep_gemm/fp8_gemm.cuh",), "perf"),
    ("add gitignore for png and csv files in benchmark", (".gitignore",), "other"),  # a weak cue yields to meta files
    ("Update install.sh", ("install.sh",), "build"),
    ("Add CUDAGuard and device id assignment in sm100 dense fmha (#160)", ("csrc/sm100/fmha.cuh",), "fix"),
    ("Add extra TMA checks", ("deep_gemm/jit_kernels/m_grouped_gemm.py",), "fix"),
    ("Add a check option to the benchmark", ("benchmarks/x.py",), "feature"),
    ("Add Deep-Dive Blog for the New Sparse Decoding Kernel on Hopper (#100)", ("docs/blog.md", "csrc/x.h"), "docs"),
    ("Overlap TMA store", ("deep_gemm/include/deep_gemm/fp8_gemm.cuh",), "perf"),
    ("Less stages for small shape K", ("deep_gemm/jit_kernels/gemm.py",), "perf"),
    ("Use larger MMA shape (#227)", ("deep_gemm/include/deep_gemm/impls/sm100_fp8_mqa_logits.cuh",), "perf"),
    ("Enable overlap scheduler for PD decode instances", ("python/sglang/srt/server_args.py",), "feature"),
    ("Multiple updates and refactorings (#364)", ("csrc/apis/gemm.hpp",), "feature"),
    ("Make various updates and fixes: (#164)", ("csrc/apis/gemm.hpp",), "feature"),
    ("Add a missing `#pragma once`", ("deep_gemm/include/deep_gemm/scheduler.cuh",), "fix"),
    ("add missing copyright", ("csrc/kernels/utils.h",), "other"),
    ("Compatible with CUDA 13", ("csrc/sm100/kernel.cuh",), "fix"),
    ("Update nvcc flag c++20", ("deep_gemm/jit/compiler.py",), "build"),
    ("Add `DG_PRINT_AUTOTUNE` to README", ("README.md", "deep_gemm/jit/tuner.py"), "docs"),
    ("replace c10 optional with std optional", ("csrc/flash_api.cpp",), "refactor"),
    ("Use CUDA runtime API to get device prop instead of ATen", ("csrc/utils.hpp",), "refactor"),
    ("[CI] fix flaky test", ("tests/test_x.py",), "test"),  # [CI] is a process marker: only tests changed
    ("[CI] fix flaky test", ("tests/test_x.py", ".buildkite/test-pipeline.yaml"), "ci"),
    ("[Bugfix][CI] Fix flaky test_function_calling", ("tests/entrypoints/test_x.py",), "test"),
    ("[CI Failure] Fix test_can_initialize for InternVL", ("tests/models/test_initialization.py",), "ci"),  # a purpose
])
def test_change_type_on_real_shapes(title, paths, expected):
    assert c(title, paths).change_type == expected, c(title, paths).rules


# ---------------------------------------------------------------------------------------------- SQL
def test_flag_queries_answer_from_classified_changes():
    con = duckdb.connect()
    for ddl in sorted((ROOT / "sql" / "ddl").glob("*.sql")):
        con.execute(ddl.read_text())
    # the rows classify() gives, stored the way the classify stage stores them (rules hold the flags)
    items = [("a", ClassifyInput("commit", "[Bugfix] Fix NaN in MLA decode (#1)", paths=("vllm/a.py",))),
             ("b", ClassifyInput("commit", "[Core] Fix SSRF regression in URL parsing (#2)", paths=("vllm/b.py",))),
             ("c", ClassifyInput("commit", "[Feature] Add X (#3)", paths=("vllm/c.py",)))]
    for item, inp in items:
        got = classify(inp)
        con.execute("INSERT INTO classified.changes (repo, day, item_kind, item_id, title, url, change_type, hardware,"
                    " precision, topics, models, rules) VALUES ('o/r', DATE '2026-02-18', 'commit', ?, ?, 'u', ?,"
                    " ?, ?, ?, ?, ?)", [item, inp.title, got.change_type, list(got.hardware), list(got.precision),
                                        list(got.topics), list(got.models), list(got.rules)])
    got = con.execute((ROOT / "sql" / "queries" / "20_security_and_breaking.sql").read_text()).fetchall()
    assert [(r[3], r[5], r[6]) for r in got] == [
        ("b", ["security", "regression"], ["flags:security<-title:ssrf", "flags:regression<-title:regression"]),
        ("a", ["crash"], ["flags:crash<-title:nan-inf"])]
    per_week = con.execute((ROOT / "sql" / "queries" / "21_flags_per_repo_week.sql").read_text()).fetchall()
    assert sorted((r[2], r[3]) for r in per_week) == [("crash", 1), ("regression", 1), ("security", 1)]
    # with the `flags` column the wiring adds (see the classify report), the queries are unchanged
    con.execute("ALTER TABLE classified.changes ADD COLUMN IF NOT EXISTS flags VARCHAR[] DEFAULT []")
    assert len(con.execute((ROOT / "sql" / "queries" / "20_security_and_breaking.sql").read_text()).fetchall()) == 2


def test_classify_stays_linear_with_flags_and_merges():
    merged = tuple(f"Fix crash {i} " + "a" * 900 for i in range(500))
    got = classify(ClassifyInput("commit", "Merge branch 'x' into 'main'", merged=merged, is_merge=True,
                                 paths=tuple(f"csrc/sm90_{i}.cu" for i in range(5000))))
    assert got.flags == ("crash",) and got.change_type == "fix"


def test_a_squash_body_lists_the_titles_it_brings():
    body = "* [wip] refactor: compile to .cubin\n\n* feat: drop support for CUDA<12.3\n\n* doc: update README\n"
    got = c("Refactor JIT compilation (+NVRTC support) (#94)", paths=("deep_gemm/jit/compiler.py",), body=body)
    assert got.flags == ("breaking",) and "flags:breaking<-squash:drop-support" in got.rules
    drop = c("Multiple updates and refactorings (#364)", paths=("csrc/apis/gemm.hpp",), body="* Public release 26/06\n\n* Minor fix")
    assert drop.flags == ("release",) and "flags:release<-squash:release" in drop.rules
    # crash, regression and default-change are not taken from squashed titles (a PR fixing its own earlier commit)
    assert c("Add a kernel", body="* Add a kernel\n\n* fix crash\n\n* Always use STSMx2").flags == ()
    # a bullet inside a sentence is no squashed title
    assert c("Add a kernel", body="We now * drop support for CUDA<12.3").flags == ()


def test_drop_support_is_breaking_even_in_a_docs_change():
    got = c("Drop support for CUDA <12.8", paths=("README.md",))
    assert got.change_type == "docs" and got.flags == ("breaking",)
    assert c("Remove the --foo flag from the docs", paths=("docs/usage.md",)).flags == ()


@pytest.mark.parametrize("title,body,flag", [
    ("[gRPC] Fix scheduler startup broken by context parallel refactor (#18933)", "", "regression"),
    ("pick fa2 for BatchDecodeWithPagedKVCacheWrapper auto backend (#2530)", "", "default-change"),
    ("Enable fa3 PDL by compiling it with corresponding flags (#18756)", "", "default-change"),
    ("Change the order of grid dim in bwd convert kernel to avoid overlimit when sequence length is very large", "", "crash"),
])
def test_more_flag_shapes(title, body, flag):
    assert flag in c(title, body=body).flags


def test_a_default_typed_change_whose_description_names_a_regression_is_a_fix():
    body = ("## Description\n\nX used to select fa2, but now selects fa3 on Hopper due to the refactoring to use "
            "determine_attention_backend, which is slower.\n\n## Tests\n- [x] done\n")
    got = c("pick fa2 for BatchDecodeWithPagedKVCacheWrapper auto backend (#2530)", paths=("flashinfer/decode.py",), body=body)
    assert got.change_type == "fix" and got.rules[0] == "change_type:fix<-flags:regression"
    assert set(got.flags) == {"default-change", "regression"}
    assert got.hardware == ("nvidia-hopper",) and got.rules[1].startswith("hardware:nvidia-hopper<-body:")
    # without such a description the default stays
    assert c("pick fa2 for X auto backend", paths=("flashinfer/decode.py",)).change_type == "feature"


def test_hardware_from_the_description_only_when_it_names_one_and_nothing_else_does():
    one = c("Fix launch config in allreduce fusion", paths=("include/x.cuh",), body="On SM100/B300 the launcher picks 7.")
    assert one.hardware == ("nvidia-blackwell",) and "hardware:nvidia-blackwell<-body:sm100" in one.rules
    several = c("Remove compute capability restrictions", paths=("flashinfer/x.py",), body="Works on SM80, SM90 and SM100.")
    assert several.hardware == ()
    titled = c("[ROCm] Fix the rotary kernel", paths=("x.py",), body="Also seen on H100.")
    assert titled.hardware == ("amd",)
    in_results = c("Fix launch config", paths=("x.py",), body="Fix it.\n\n## Test Results\nH100: ok\n")
    assert in_results.hardware == ()
    env = c("[Bug]: wrong output", paths=(), kind="issue", body="### Your current environment\nGPU: H100\n")
    assert env.hardware == ()


def test_a_hardware_named_in_the_title_is_the_answer():
    paths = ("csrc/sm90/sparse_decode.cu", "csrc/sm90/sparse_prefill.cu", "csrc/sm100/moved.cu")
    got = c("Reorganize files and add sparse prefill/decoding kernels on hopper", paths=paths, changes=(300, 300, 0))
    assert got.hardware == ("nvidia-hopper",)
    assert c("Enable fa3 PDL", paths=("sgl-kernel/CMakeLists.txt",)).hardware == ("nvidia-hopper",)
    assert c("Use fa2 by default", paths=("x.py",)).hardware == ()


def test_docs_about_a_platform_get_its_hardware():
    got = c("Rename deep dive blog", paths=("docs/20250929-hopper-fp8-sparse-deep-dive.md",))
    assert got.change_type == "docs" and got.hardware == ("nvidia-hopper",) and got.precision == ()
    assert c("[Doc] Fix typo", paths=("docs/features/quantization/fp8.md",)).precision == ()
    # a docs file beside code tags nothing by itself
    assert c("Add a kernel", paths=("docs/hopper.md", "x/kernel.py"), changes=(5, 50)).hardware == ()


def test_a_merge_counts_the_titles_that_name_a_type():
    files = ("deep_gemm/include/deep_gemm/fp8_gemm.cuh", "deep_gemm/jit/compiler.py")
    got = classify(ClassifyInput("commit", "Merge pull request #78 from deepseek-ai/tma-3d-padding", paths=files,
                                 is_merge=True, merged=("Add `DG_NVCC_OVERRIDE_CPP_STANDARD`", "Use `c++20`",
                                                        "Solve STSM bank conflict via padding and 3D TMA")))
    # "Use `c++20`" names no type (the files would make it a feature): a weak feature and a perf title tie, perf wins
    assert got.change_type == "perf" and got.rules[0] == "change_type:perf<-merge:title:perf-strong"
    inner = classify(ClassifyInput("commit", "Merge pull request #98 from deepseek-ai/open-source-h",
                                   paths=("csrc/sm90/decode.cu",), is_merge=True,
                                   merged=("Merge remote-tracking branch 'github/main' into open-source-h",
                                           "Fill in link to DSv3.2 paper")))
    assert inner.change_type == "feature"  # a brought merge's own title names nothing


def test_a_merge_weighs_its_files_by_their_changed_lines():
    paths = ("deep_gemm/include/deep_gemm/fp8_gemm.cuh", "deep_gemm/include/deep_gemm/tma_utils.cuh",
             "deep_gemm/jit_kernels/gemm.py", "deep_gemm/jit_kernels/m_grouped_gemm.py", "indexing/main.cu")
    got = classify(ClassifyInput("commit", "Merge pull request #83 from deepseek-ai/tma-1d-store", paths=paths,
                                 changes=(174, 21, 3, 3, 3), is_merge=True, merged=("Use 1D TMA store", "OOB bugs fixed")))
    assert got.precision == ("fp8",) and "precision:fp8<-merge:path-main:fp8" in got.rules  # the main file, by lines


def test_a_merge_also_reads_its_branch_name_beside_the_commits_it_brings():
    files = ("csrc/flash_api.cpp", "csrc/flash_fwd_mla_fp16_sm90.cu", "csrc/flash_fwd_mla_kernel.h")
    got = classify(ClassifyInput("commit", "Merge pull request #32 from sijiac/fp16-support", paths=files,
                                 changes=(16, 3, 76), is_merge=True, merged=("Style fix",)))
    assert got.change_type == "feature" and got.precision == ("fp16-bf16",)
    # a default branch name adds nothing
    main = classify(ClassifyInput("commit", "Merge pull request #65 from someone/main", paths=("x.py",),
                                  is_merge=True, merged=("Style fix",)))
    assert main.change_type == "refactor"


def test_a_branch_name_that_names_a_type_decides_the_merge():
    merged = ("Update README", "Fix indent", "Refactor M repetition with loops", "Clean up config heuristics",
              "Remove unused x256 WGMMA", "Larger block N candidates")
    got = classify(ClassifyInput("commit", "Merge pull request #81 from deepseek-ai/blocktile-256x128",
                                 paths=("deep_gemm/include/deep_gemm/fp8_gemm.cuh",), is_merge=True, merged=merged))
    assert got.change_type == "perf" and got.rules[0] == "change_type:perf<-merge:title:perf-kernel"
    silent = classify(ClassifyInput("commit", "Merge pull request #83 from deepseek-ai/tma-1d-store",
                                    paths=("deep_gemm/include/deep_gemm/fp8_gemm.cuh",), is_merge=True,
                                    merged=("Use 1D TMA store", "OOB bugs fixed")))
    assert silent.change_type == "fix"  # "tma 1d store" names no type: the commits decide


@pytest.mark.parametrize("title,paths,expected", [
    ("chore: Build and store bdist wheels (#181)", (".github/workflows/build.yml", "setup.py", "deep_gemm/__init__.py"), "build"),
    ("Updated submodules to use https:// vs git@ (#129)", (), "build"),
])
def test_packaging_titles_are_build(title, paths, expected):
    assert c(title, paths=paths).change_type == expected


def test_a_change_across_dtype_variants_takes_its_precision_only_from_many_kernels():
    base = "deep_gemm/include/deep_gemm/impls/"
    compat = c("Compatible with CUDA 13", paths=(f"{base}sm100_bf16_gemm.cuh", f"{base}sm100_fp8_gemm_1d1d.cuh",
                                              f"{base}sm100_fp8_gemm_1d2d.cuh", "csrc/jit/device_runtime.hpp"),
               changes=(7, 4, 2, 3))
    assert compat.precision == ()
    tmem = c("Fix sync issue of TMEM alloc/dealloc (#292)", changes=(14, 1, 14),
             paths=(f"{base}sm100_bf16_gemm.cuh", f"{base}sm100_bmk_bnk_mn.cuh", f"{base}sm100_fp8_gemm_1d1d.cuh"))
    assert tmem.precision == ()
    drop = c("Multiple updates and refactorings (#231)", changes=(289, 150, 244, 94, 30),
             paths=(f"{base}sm100_bf16_gemm.cuh", f"{base}sm100_fp8_gemm_1d1d.cuh", f"{base}sm100_fp8_gemm_1d2d.cuh",
                    f"{base}sm90_fp8_gemm_1d1d.cuh", f"{base}sm90_fp8_gemm_1d2d.cuh"))
    assert drop.precision == ("fp8",) and "precision:fp8<-path-kernels:fp8" in drop.rules
    # without another dtype beside it, the share rule stands
    assert c("Tweak", paths=(f"{base}sm100_fp8_gemm_1d1d.cuh", "csrc/x.hpp"), changes=(4, 3)).precision == ("fp8",)


def test_a_security_fix_without_a_type_word_is_a_fix_and_issues_keep_issue_types():
    got = c("[Security] Reject path traversal in LoRA adapter names", paths=("vllm/lora/utils.py",))
    assert got.change_type == "fix" and got.rules[0] == "change_type:fix<-flags:security"
    issue = c("loader", paths=(), kind="issue", body="The server crashed with a segfault.")
    assert issue.change_type in load_taxonomy().issue_types
