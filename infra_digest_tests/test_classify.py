"""Tests for infra_digest.classify (issue #4): rule families, word-boundary traps, GitHub
object parsing, the `classify` JSON Lines command and the labelled-set accuracy targets."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from infra_digest.classify import ClassifyInput, Labels, classify, input_from_github, load_taxonomy
from infra_digest.classify.cli import run_classify

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "infra_digest_tests" / "fixtures" / "labelled"


def c(title: str, paths=(), labels=(), body: str = "", kind: str = "commit") -> Labels:
    return classify(ClassifyInput(kind=kind, title=title, body=body, labels=tuple(labels), paths=tuple(paths)))


# ---------------------------------------------------------------------------
# taxonomy
# ---------------------------------------------------------------------------
def test_taxonomy_contract_ids():
    tax = load_taxonomy()
    assert tax.commit_types == ("fix", "feature", "perf", "refactor", "docs", "test", "ci", "build", "revert", "other")
    assert tax.issue_types == ("bug", "feature-request", "question", "roadmap", "ci-failure", "other")
    assert set(tax.label_ids["hardware"]) == {
        "nvidia-blackwell", "nvidia-blackwell-rtx", "nvidia-hopper", "nvidia-ampere-ada", "nvidia-jetson",
        "amd", "ascend-npu", "tpu", "intel", "cpu", "apple"}
    assert set(tax.label_ids["precision"]) == {"fp8", "fp4", "int8", "int4", "fp16-bf16"}
    assert {"moe", "attention", "kv-cache", "speculative", "lora", "quantization", "cuda-graph", "kernels",
            "distributed", "disaggregation", "diffusion", "multimodal", "scheduling", "api-serving",
            "rl"} <= set(tax.label_ids["topics"])
    assert {"deepseek", "qwen", "kimi", "glm", "llama", "gemma", "minimax", "granite", "mistral",
            "gpt-oss"} <= set(tax.label_ids["models"])


def test_precedence_words_come_from_the_taxonomy():
    """The words the precedence rules name are data: changing them in the YAML changes the decision."""
    import copy

    import yaml

    from infra_digest.classify import Taxonomy
    from infra_digest.classify.taxonomy import DEFAULT_TAXONOMY_PATH

    data = yaml.safe_load(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))
    item = ClassifyInput("commit", "[Misc] revert(ci): drop the nightly job")
    assert classify(item).change_type == "revert"
    changed = copy.deepcopy(data)
    changed["commit_prefixes"]["scope_never_for"] = []
    changed["commit_defaults"]["source_files"] = "refactor"
    changed["issue_label_order"] = ["question", "bug"]
    tax = Taxonomy(changed)
    assert classify(item, tax).change_type == "ci"
    assert classify(ClassifyInput("commit", "Sampler", paths=("vllm/a.py",)), tax).rules[0] == "change_type:refactor<-path:source"
    assert classify(ClassifyInput("issue", "x", labels=("bug", "question")), tax).change_type == "question"
    assert classify(ClassifyInput("issue", "x", labels=("bug", "question"))).change_type == "bug"


def test_load_taxonomy_is_cached():
    assert load_taxonomy() is load_taxonomy()


# ---------------------------------------------------------------------------
# change_type rule families
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "title,paths,expected,rule",
    [
        ("[Bugfix] Fix NaN in MLA decode (#1)", ["vllm/a.py"], "fix", "prefix:[Bugfix]"),
        ("[Bugfix] fix perf regression in sampler", ["vllm/a.py"], "fix", "prefix:[Bugfix]"),
        ("[CI] fix flaky test", ["tests/test_x.py"], "ci", "prefix:[CI]"),
        ("[ROCm][CI] Fix plugins test group", ["requirements/rocm-test.txt"], "ci", "prefix:[CI]"),
        ('Revert "[Kernel] Add FP8 GEMM" (#2)', ["csrc/a.cu"], "revert", "prefix:Revert"),
        ("fix: int32 overflow in top-k", ["include/a.cuh"], "fix", "prefix:fix:"),
        ("feat(moe): add routing kernel", ["csrc/a.cu"], "feature", "prefix:feat(moe):"),
        ("perf: faster decode", ["include/a.cuh"], "perf", "prefix:perf:"),
        ("docs: document the API", ["docs/a.rst"], "docs", "prefix:docs:"),
        ("ci: add GB200 runners", [".github/workflows/a.yml"], "ci", "prefix:ci:"),
        ("build: drop python 3.9", ["pyproject.toml"], "build", "prefix:build:"),
        ("chore(deps): bump transformers to 4.57.1", ["pyproject.toml"], "build", "prefix:chore(deps):"),
        ("fix(ci): pin actions/checkout", [".github/workflows/a.yml"], "ci", "prefix:fix(ci):"),
        ("[Perf] Use a radix select", ["a.py"], "perf", "prefix:[Perf]"),
        ("[Doc] Explain cudagraph modes", ["docs/a.md"], "docs", "prefix:[Doc]"),
        ("[Refactor] Unify backends", ["a.py"], "refactor", "prefix:[Refactor]"),
        ("[MoE Refactor] Convert marlin into modular kernel", ["a.py"], "refactor", "prefix:[MoE Refactor]"),
        ("[Feature] Add Responses API streaming", ["a.py"], "feature", "prefix:[Feature]"),
        ("[CI/Build] Upgrade to PyTorch 2.10", ["requirements/cuda.txt"], "build", "prefix:[CI/Build]"),
        ("[CI/Build] Remove use of skip_v1", [".buildkite/a.yaml"], "ci", "prefix:[CI/Build]"),
        ("[Model] Add Qwen3ForRewardModel and fix classification", ["vllm/models/q.py"], "feature", "title:feature"),
        ("[Kernel] Triton-based top-k sampler kernels", ["vllm/a.py"], "feature", "prefix:[Kernel]"),
        ("[Misc] Remove unused import", ["vllm/a.py"], "refactor", "title:refactor"),
        ("Bump to 4.4.0 cute dsl pin", ["flash_attn/cute/pyproject.toml"], "build", "title:build-bump"),
        ("Tiny fix: handle empty batch", ["a.py"], "fix", "prefix:Tiny fix:"),
        ("Remove unused fast-hadamard sources", ["a.cpp"], "refactor", "title:refactor"),
        ("Add DP ViT support for Kimi K2.5", ["python/sglang/srt/models/kimi_k25.py"], "feature", "title:feature"),
        ("Speed up EAGLE verify", ["a.py"], "perf", "title:perf-strong"),
        ("Add fused kernel for 2x faster decode", ["a.cu"], "perf", "title:perf-strong"),
        ("Add method to swap quant_method to fix LoRA issues", ["a.py"], "fix", "title:purpose-fix"),
        ("Fix CI: add flashinfer --download-cubin", ["scripts/ci/a.sh"], "ci", "prefix:Fix CI:"),
        ("Fix docs build warning", ["vllm/a.py"], "docs", "title:fix+docs"),
        ("Add unit tests for fp8 output fusion of triton_attn", ["tests/a/test_x.py"], "test", "title:feature+test"),
        ("Skip flaky test_tool_choice for Mistral", ["test/a/test_tool_choice.py"], "test", "title:skip-test"),
        ("Improve error message for unsupported dtype", ["src/a.py"], "feature", "title:feature"),
        ("Avoid prepare prefill kernel launch overhead", ["a.py"], "perf", "title:perf-strong"),
    ],
)
def test_change_type_rules(title, paths, expected, rule):
    got = c(title, paths)
    assert got.change_type == expected, got.rules
    assert got.rules[0] == f"change_type:{expected}<-{rule}"


@pytest.mark.parametrize(
    "title,paths,expected",
    [
        ("Update ascend_npu_qwen3_5_examples.md", ["docs/platforms/ascend_npu_qwen3_5_examples.md"], "docs"),
        ("Targeting the MI355 agent pool", [".buildkite/test-amd.yaml"], "ci"),
        ("Update the thing", ["tests/a/test_b.py", "tests/a/test_c.py"], "test"),
        ("Something about versions", ["pyproject.toml", "docker/Dockerfile"], "build"),
        ("Add test case for Qwen3N", ["tests/gdn/test_prefill_delta_rule.py"], "test"),
        ("[Misc] Add mooncake-transfer-engine to requirements", ["requirements/kv_connectors.txt"], "build"),
        ("[diffusion] update code owner", [".github/CODEOWNERS"], "other"),
        ("Collect upper level metadata", ["python/sglang/srt/debug_utils/dumper.py"], "feature"),
    ],
)
def test_paths_decide_when_title_is_silent(title, paths, expected):
    got = c(title, paths)
    assert got.change_type == expected, got.rules


@pytest.mark.parametrize(
    "title,labels,expected",
    [
        ("[Bug]: MiniMax M2.5 MI355 compile error", ["bug", "rocm"], "bug"),
        ("[Feature]: Support thinking budget", ["feature request"], "feature-request"),
        ("Architecture sm87 not supported", ["feature request"], "feature-request"),
        ("[CI Failure]: models/test_initialization.py::test_x", ["ci-failure"], "ci-failure"),
        ("models/test_x fails", ["ci-failure"], "ci-failure"),
        ("[RFC]: Redesign the scheduler", [], "roadmap"),
        ("[Roadmap] [NPU] Diffusion on Ascend", [], "roadmap"),
        ("[Question] why not using FP8 rope?", [], "question"),
        ("[Usage]: How to run with EP?", [], "question"),
        ("[Installation]: pip fails", [], "question"),
        ("Will FlashMLA support FP8 on SM100?", [], "question"),
        ("JIT compilation fails on Thor", [], "bug"),
        ("Feature Request: deterministic top-k", [], "feature-request"),
        ("resolved", [], "other"),
        ("", [], "other"),
    ],
)
def test_issue_types(title, labels, expected):
    got = c(title, labels=labels, kind="issue")
    assert got.change_type == expected, got.rules


def test_no_signal_item_is_other_without_tags():
    got = c("Miscellaneous housekeeping", kind="commit")
    assert got == Labels("other", (), (), (), (), ("change_type:other<-default",))
    empty = c("", kind="issue")
    assert (empty.change_type, empty.hardware, empty.precision, empty.topics, empty.models) == ("other", (), (), (), ())


# ---------------------------------------------------------------------------
# hardware / precision / topics / models
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "title,paths,hardware",
    [
        ("Fix SM100 epilogue", [], ("nvidia-blackwell",)),
        ("Support sm_100a and SM103", [], ("nvidia-blackwell",)),
        ("Tune for B200 and GB300", [], ("nvidia-blackwell",)),
        ("Plain Blackwell kernels", [], ("nvidia-blackwell",)),
        ("NVFP4 broken on RTX PRO 6000 Blackwell", [], ("nvidia-blackwell-rtx",)),
        ("Fix on SM120 (RTX PRO 6000 Blackwell)", [], ("nvidia-blackwell-rtx",)),
        ("Crash on RTX 5090 and DGX Spark", [], ("nvidia-blackwell-rtx",)),
        ("Add SM100 and SM120 paths", [], ("nvidia-blackwell", "nvidia-blackwell-rtx")),
        ("Fix kernel", ["csrc/quantization/fp8/sm120_blockwise.cu"], ("nvidia-blackwell-rtx",)),
        ("Use wgmma on H100 / H20", [], ("nvidia-hopper",)),
        ("Tolerance for A100 and L4", [], ("nvidia-ampere-ada",)),
        ("Build for sm87 Jetson Orin", [], ("nvidia-jetson",)),
        ("Support Thor", [], ("nvidia-jetson",)),
        ("[ROCm] aiter MLA on MI355X gfx950", [], ("amd",)),
        ("Fix kernel", ["csrc/rocm/attention.cu"], ("amd",)),
        ("Update composable_kernel submodule", [], ("amd",)),
        ("Remove assert causing hipErrorStreamCaptureUnsupported", [], ("amd",)),
        ("[NPU] Fix Ascend graph", [], ("ascend-npu",)),
        ("[TPU] ragged paged attention", [], ("tpu",)),
        ("[XPU] Intel GPU MoE", [], ("intel",)),
        ("Enable Gaudi HPU graphs", [], ("intel",)),
        ("[CPU] AMX kernels", [], ("cpu",)),
        ("[Bugfix] fix activation in cpu_fused_moe_torch call", [], ("cpu",)),
        ("Fix kernel", ["csrc/cpu/attention.cpp"], ("cpu",)),
        ("Fix MPS fallback on Apple Silicon", [], ("apple",)),
        ("Metal backend", [], ("apple",)),
        ("Generic CUDA kernel cleanup for NVIDIA GPUs", ["csrc/a.cu"], ()),
    ],
)
def test_hardware(title, paths, hardware):
    got = c(title, paths)
    assert got.hardware == hardware, got.rules


def test_path_hardware_needs_a_share_of_files():
    many = [f"vllm/x{i}.py" for i in range(6)] + ["vllm/platforms/rocm.py"]
    assert c("Generic change", many).hardware == ()
    assert c("Generic change", ["vllm/platforms/rocm.py", "vllm/a.py"]).hardware == ("amd",)


@pytest.mark.parametrize(
    "title,precision",
    [
        ("FP8 block-scaled GEMM", ("fp8",)),
        ("MXFP8 MoE", ("fp8",)),
        ("NVFP4 MoE", ("fp4",)),
        ("MXFP4 weight loading", ("fp4",)),
        ("w4a4 mxfp4 scheme", ("fp4",)),
        ("W8A8 int8 GEMM", ("int8",)),
        ("INT4 Marlin", ("int4",)),
        ("W4A16 grouped GEMM", ("int4",)),
        ("AWQ and GPTQ 4-bit", ("int4",)),
        ("W4A8 autotune crash", ("fp8", "int4")),
        ("compressed_tensors_w4a4_mxint4_moe.py syntax warning", ("int4",)),
        ("BF16 grouped GEMM", ("fp16-bf16",)),
        ("Support fp16 merge_state", ("fp16-bf16",)),
        ("Do not force router to run in fp32", ()),
        ("int32 overflow in stride", ()),
        ("uint8 packing helper", ()),
    ],
)
def test_precision(title, precision):
    got = c(title)
    assert got.precision == precision, got.rules


def test_bf16_in_paths_is_not_the_subject():
    assert c("Generic GEMM change", ["csrc/gemm_bf16.cu"]).precision == ()


@pytest.mark.parametrize(
    "title,topic",
    [
        ("fused_moe config", "moe"),
        ("FusedMoE modular kernel", "moe"),
        ("MLA decode", "attention"),
        ("sparse attention indexer", "attention"),
        ("sliding window support", "attention"),
        ("prefix caching hash", "kv-cache"),
        ("EAGLE3 drafter", "speculative"),
        ("MTP with cudagraphs", "speculative"),
        ("LoRA adapter", "lora"),
        ("modelopt quant config", "quantization"),
        ("piecewise CUDA graph capture", "cuda-graph"),
        ("Triton kernel", "kernels"),
        ("TP=8 all-reduce with NCCL", "distributed"),
        ("PD disaggregation with NIXL", "disaggregation"),
        ("mooncake transfer engine", "disaggregation"),
        ("[diffusion] Wan2.2 pipeline", "diffusion"),
        ("Qwen3-VL processor", "multimodal"),
        ("DP ViT support", "multimodal"),
        ("chunked prefill scheduler", "scheduling"),
        ("OpenAI chat completions tool calls", "api-serving"),
        ("update_weights_from_disk for RL", "rl"),
    ],
)
def test_topics(title, topic):
    got = c(title)
    assert topic in got.topics, got.rules


@pytest.mark.parametrize(
    "title,paths,model",
    [
        ("DeepSeek-V3.2 NSA", [], "deepseek"),
        ("Qwen3.5 config", [], "qwen"),
        ("Fix kernel", ["python/sglang/srt/models/kimi_k25.py"], "kimi"),
        ("GLM-5 shared expert", [], "glm"),
        ("Llama4ForConditionalGeneration init", [], "llama"),
        ("gemma3n audio", [], "gemma"),
        ("MiniMax-M2.1 routing", [], "minimax"),
        ("Granite 4.0 hybrid", [], "granite"),
        ("Mixtral AWQ loading", [], "mistral"),
        ("gpt-oss harmony", [], "gpt-oss"),
        ("test_gpt_oss_4gpu", [], "gpt-oss"),
        ("InternS1ProForConditionalGeneration", [], "internvl"),
        ("Phi-4 GPTQ", [], "phi"),
        ("NemotronH router", [], "nemotron"),
    ],
)
def test_models(title, paths, model):
    got = c(title, paths)
    assert model in got.models, got.rules


# ---------------------------------------------------------------------------
# word-boundary traps
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "title,field,label",
    [
        ("fix sm1000 placeholder", "hardware", "nvidia-blackwell"),
        ("rename moee variable", "topics", "moe"),
        ("Fix output tensor dtype", "hardware", "tpu"),
        ("Validate input ids", "hardware", "ascend-npu"),
        ("Ship relationship metadata", "hardware", "amd"),
        ("Add a sanity check", "hardware", "amd"),
        ("Fix author field", "hardware", "nvidia-jetson"),
        ("Keep origin header", "hardware", "nvidia-jetson"),
        ("Fix step counter", "topics", "distributed"),
        ("Use https for http server", "topics", "distributed"),
        ("Fix Llama4 chat template", "hardware", "nvidia-ampere-ada"),
        ("Tuned for L40S", "hardware", "nvidia-hopper"),
        ("A100 tolerance", "hardware", "nvidia-blackwell"),
        ("Avoid CPU-GPU sync in sampler", "hardware", "cpu"),
        ("Improve CPU offload logging", "hardware", "cpu"),
        ("Reduce CPU overhead", "hardware", "cpu"),
        ("Fix NaN when kv_lora_rank is 512", "topics", "lora"),
        ("H2OVLChatModel init", "hardware", "nvidia-hopper"),
        ("Philosophy of the API", "models", "phi"),
        ("Want a faster path", "models", "wan"),
        ("Refactor tile scheduler", "topics", "scheduling"),
        ("mm_fp4 GEMM", "topics", "multimodal"),
    ],
)
def test_word_boundary_negatives(title, field, label):
    got = c(title)
    assert label not in getattr(got, field), got.rules


@pytest.mark.parametrize(
    "title,field,label",
    [
        ("fix sm100 placeholder", "hardware", "nvidia-blackwell"),
        ("L4 tolerance", "hardware", "nvidia-ampere-ada"),
        ("A10 configs", "hardware", "nvidia-ampere-ada"),
        ("L40 configs", "hardware", "nvidia-ampere-ada"),
        ("sm120_gemm kernel", "hardware", "nvidia-blackwell-rtx"),
        ("kimi_k25.py fix", "models", "kimi"),
        ("ep_moe layer", "topics", "distributed"),
        ("CK fused MoE", "hardware", "amd"),
        ("Add EP support", "topics", "distributed"),
    ],
)
def test_word_boundary_positives(title, field, label):
    got = c(title)
    assert label in getattr(got, field), got.rules


# ---------------------------------------------------------------------------
# explanations & determinism
# ---------------------------------------------------------------------------
def test_every_label_has_a_rule_and_output_is_sorted():
    got = c("[ROCm][Bugfix] Fix NVFP4 fused_moe on MI355 for Qwen3 and DeepSeek",
            ["vllm/model_executor/layers/fused_moe/rocm_aiter_fused_moe.py"])
    assert got.change_type == "fix"
    assert got.hardware == ("amd",)
    assert got.precision == ("fp4",)
    assert got.models == ("deepseek", "qwen")
    for f in ("hardware", "precision", "topics", "models"):
        vals = getattr(got, f)
        assert list(vals) == sorted(vals)
        for v in vals:
            assert any(r.startswith(f"{f}:{v}<-") for r in got.rules)
    assert got.rules[0] == "change_type:fix<-prefix:[Bugfix]"
    assert "hardware:amd<-title:rocm" in got.rules
    assert len(got.rules) == 1 + sum(len(getattr(got, f)) for f in ("hardware", "precision", "topics", "models"))
    assert c("[ROCm][Bugfix] Fix NVFP4 fused_moe on MI355 for Qwen3 and DeepSeek",
             ["vllm/model_executor/layers/fused_moe/rocm_aiter_fused_moe.py"]) == got


def test_path_rule_ids():
    got = c("Fix kernel", ["csrc/rocm/attention.cu"])
    assert "hardware:amd<-path:rocm" in got.rules


# ---------------------------------------------------------------------------
# input_from_github
# ---------------------------------------------------------------------------
COMMIT = {
    "sha": "02e8f26ceaa3af0382b9de6b40825c4ad49ef5b7",
    "commit": {"message": "[torch.compile] Turn on silu+fp4 quant fusion (#34718)\n\nLonger body.\n\nSigned-off-by: A <a@b>"},
    "files": [{"filename": "vllm/config/vllm.py", "status": "modified"}],
}
ISSUE = {
    "number": 2577, "title": "[Bug] NVFP4 mm_fp4 GEMM broken on SM120 (RTX PRO 6000 Blackwell)",
    "labels": [{"name": "bug"}, {"name": "op: gemm"}], "body": "## Environment", "state": "open",
}
PR = {"number": 2578, "title": "FlashInfer Jetson Orin series compatibility (sm87)", "labels": ["ready"],
      "body": None, "pull_request": {"url": "https://api.github.com/repos/o/r/pulls/2578"}}


def test_input_from_github_commit():
    inp = input_from_github(COMMIT)
    assert inp == ClassifyInput("commit", "[torch.compile] Turn on silu+fp4 quant fusion (#34718)",
                                "Longer body.\n\nSigned-off-by: A <a@b>", (), ("vllm/config/vllm.py",))


def test_input_from_github_issue_and_pr():
    inp = input_from_github(ISSUE)
    assert inp.kind == "issue" and inp.labels == ("bug", "op: gemm")
    got = classify(inp)
    assert (got.change_type, got.hardware, got.precision) == ("bug", ("nvidia-blackwell-rtx",), ("fp4",))
    assert "kernels" in got.topics
    pr = input_from_github(PR)
    assert pr.kind == "pull_request" and pr.body == "" and pr.labels == ("ready",)
    assert classify(pr).hardware == ("nvidia-jetson",)
    assert input_from_github({"number": 1, "title": "x", "merged_at": None}).kind == "pull_request"
    assert input_from_github({"number": 1, "title": None, "body": None, "labels": None}) == ClassifyInput("issue", "")


def test_core_rows_and_github_objects_give_the_same_input():
    """One adapter: a commit / issue / PR classified from its core row or from its REST object is the same input."""
    import datetime as dt

    from infra_digest.classify import classify_input
    from infra_digest.demo.builders import commit, issue
    from infra_digest.transform import derive_core

    repo, day = "vllm-project/vllm", dt.date(2026, 3, 2)
    c = commit(repo, "[ROCm] Fix AITER MoE on MI355 (#7)", body="This reverts commit abcdef1.",
               files=[("csrc/rocm/moe.cu", "modified", 3, 1), ("tests/test_moe.py", "added", 9, 0)])
    c["commit"]["message"] = "\n  " + c["commit"]["message"]  # a leading blank line: both skip it
    i = issue(repo, 5, "[Bug]: NaN on H200", labels=["bug", "rocm"], body="### Env")
    p = issue(repo, 6, "[Perf] Faster MLA", labels=["performance"], pull_request=True)
    events = [{"kind": "commit", "id": c["sha"], "payload": c, "source": "t"},
              {"kind": "issue", "id": "5", "payload": i, "source": "t"}, {"kind": "issue", "id": "6", "payload": p, "source": "t"}]
    core = derive_core(repo, day, events)
    assert classify_input("commit", core.commits[0]) == input_from_github(c)
    assert classify_input("issue", core.issues[0]) == input_from_github(i)
    assert classify_input("pull_request", core.pull_requests[0]) == input_from_github(p)
    assert input_from_github(c).paths == ("csrc/rocm/moe.cu", "tests/test_moe.py")
    assert input_from_github(c).title == "[ROCm] Fix AITER MoE on MI355 (#7)"
    with pytest.raises(ValueError):
        classify_input("wiki", {"title": "x"})


def test_input_from_github_rejects_unknown_objects():
    with pytest.raises(ValueError):
        input_from_github({"foo": 1})
    with pytest.raises(ValueError):
        input_from_github([1, 2])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# run_classify (the `infra-digest classify` command)
# ---------------------------------------------------------------------------
def test_run_classify_good_and_malformed_lines():
    lines = [json.dumps(COMMIT), "{not json", "", json.dumps([1, 2]), json.dumps(ISSUE), json.dumps({"x": 1}), "   "]
    out = io.StringIO()
    rc = run_classify(io.StringIO("\n".join(lines) + "\n"), out)
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert rc == 1
    assert len(rows) == 5  # empty / whitespace-only lines are skipped
    assert set(rows[0]) == {"change_type", "hardware", "precision", "topics", "models", "flags", "rules"}
    assert rows[0]["precision"] == ["fp4"]
    assert rows[1]["line"] == 2 and "JSON" in rows[1]["error"]
    assert rows[2]["line"] == 4 and "object" in rows[2]["error"]
    assert rows[3]["change_type"] == "bug" and rows[3]["hardware"] == ["nvidia-blackwell-rtx"]
    assert rows[4]["line"] == 6 and rows[4]["error"]


def test_run_classify_all_good_returns_zero():
    out = io.StringIO()
    assert run_classify(io.StringIO(json.dumps(PR) + "\n" + json.dumps(COMMIT) + "\n"), out) == 0
    assert len(out.getvalue().splitlines()) == 2


# ---------------------------------------------------------------------------
# labelled set: size, coverage and the accuracy targets (a regression fails CI)
# ---------------------------------------------------------------------------
def _bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import classify_bench  # type: ignore
    finally:
        sys.path.pop(0)
    return classify_bench


def _labelled():
    items = []
    for f in sorted(LABELLED.glob("*.jsonl")):
        items += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return items


def test_labelled_set_size_and_coverage():
    items = _labelled()
    assert len(items) >= 400
    assert {f.stem for f in LABELLED.glob("*.jsonl")} >= {"dev", "test"}
    tax = load_taxonomy()
    seen: dict[str, int] = {}
    for rec in items:
        exp = rec["expect"]
        seen[f"change_type:{exp['change_type']}"] = seen.get(f"change_type:{exp['change_type']}", 0) + 1
        for f in ("hardware", "precision", "topics"):
            for v in exp[f]:
                assert v in tax.label_ids[f], (rec["id"], v)
                seen[f"{f}:{v}"] = seen.get(f"{f}:{v}", 0) + 1
    wanted = [f"change_type:{t}" for t in set(tax.commit_types) | set(tax.issue_types)]
    wanted += [f"{f}:{v}" for f in ("hardware", "precision", "topics") for v in tax.label_ids[f]]
    assert {w: seen.get(w, 0) for w in wanted if seen.get(w, 0) < 3} == {}


@pytest.mark.parametrize("split", ["dev", "test", None])
def test_labelled_set_meets_targets(split):
    bench = _bench()
    items = bench.load_labelled(bench.labelled_files(split))
    s = bench.summary(bench.evaluate(items))
    assert s["change_type_macro_f1"] >= 0.90, s
    for f in ("hardware", "precision"):
        assert s[f"{f}_micro_precision"] >= 0.95, s
        assert s[f"{f}_micro_recall"] >= 0.90, s
