"""Every fixed string of the report, per language. The whole report is in one language."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "AI Infra 日报 · {day}",
        "intro": "今日的 AI Infra 开源动态如下。",
        "coverage": "覆盖范围",
        "source": "数据源",
        "summarizer": "摘要生成",
        "generated": "生成时间",
        "summary": "今日摘要",
        "details": "各仓库动态",
        "overview": "跨仓库观察",
        "no_activity": "当日无更新（数据源未返回任何 commit、PR 或 issue）。",
        "unknown": "当日没有该仓库的数据（尚未抓取）。",
        "failed": "数据读取失败，本节内容可能不完整：{error}",
        "changes": "提交与合并的 PR",
        "new_prs": "新开 PR",
        "issues": "新 Issue",
        "author": "作者",
        "files": "个文件",
        "n_files": "{n} 个文件",
        "more_files": "另有 {n} 个文件",
        "not_recorded": "未记录",
        "coverage_line": "{repos} 个仓库（{active} 个有动态），commit {commits}，合并 PR {merged_prs}，新 PR {new_prs}，新 issue {issues}",
        "count": "{n} 个",
        "status_added": "新增", "status_modified": "修改", "status_removed": "删除", "status_renamed": "重命名",
        "status_copied": "复制", "status_changed": "变更", "status_unchanged": "未变",
        "files_truncated": "文件列表被数据源截断",
        "time_unknown": "创建时间未知",
        "title_unknown": "（标题未知）",
        "created": "创建于",
        "merged": "合并于",
        "gist": "摘要",
        "excerpt": "摘录",
        "notes": "说明",
        "stale": "本仓库的 git 镜像未能更新，以下内容可能不是最新的。",
        "src_replay": "replay（录制的 GitHub 数据回放）",
        "src_github": "github（GitHub API）",
        "src_git": "git（本地 git 镜像）",
        "src_git+github": "git（commit 来自本地镜像）+ github（issue 与 PR 来自 GitHub API）",
        "extractive": "抽取式（由分类数据确定性生成，未使用 LLM）",
        "llm": "LLM（{model}）；{fallbacks} 个段落因校验未通过改用抽取式文本",
        "llm_failed": "LLM 调用失败（{reason}），所有段落改用抽取式文本",
        "fix": "修复", "feature": "新功能", "perf": "性能", "refactor": "重构", "docs": "文档",
        "test": "测试", "ci": "CI", "build": "构建与依赖", "revert": "回滚", "other": "其他",
        "bug": "缺陷报告", "feature-request": "功能请求", "question": "问题咨询", "roadmap": "路线图",
        "ci-failure": "CI 失败",
    },
    "en": {
        "title": "AI Infra Daily · {day}",
        "intro": "Here is what happened in AI-infrastructure open source.",
        "coverage": "Coverage",
        "source": "Data source",
        "summarizer": "Summaries",
        "generated": "Generated",
        "summary": "Summary of the day",
        "details": "Repositories",
        "overview": "Across repositories",
        "no_activity": "No activity (the source returned no commit, PR or issue for the day).",
        "unknown": "No data for this repository and day (not fetched yet).",
        "failed": "Data could not be read; this section may be incomplete: {error}",
        "changes": "Commits and merged PRs",
        "new_prs": "New PRs",
        "issues": "New issues",
        "author": "author",
        "files": "files",
        "n_files": "{n} file|{n} files",
        "more_files": "{n} more file|{n} more files",
        "not_recorded": "not recorded",
        "coverage_line": "{repos} ({active} active): {commits}, {merged_prs}, {new_prs}, {issues}",
        "n_repos": "{n} repository|{n} repositories",
        "n_commits": "{n} commit|{n} commits",
        "n_merged_prs": "{n} merged PR|{n} merged PRs",
        "n_new_prs": "{n} new PR|{n} new PRs",
        "n_issues": "{n} new issue|{n} new issues",
        "status_added": "added", "status_modified": "modified", "status_removed": "removed", "status_renamed": "renamed",
        "status_copied": "copied", "status_changed": "changed", "status_unchanged": "unchanged",
        "files_truncated": "file list truncated by the source",
        "time_unknown": "creation time unknown",
        "title_unknown": "(title unknown)",
        "created": "created",
        "merged": "merged",
        "gist": "Gist",
        "excerpt": "Excerpt",
        "notes": "Notes",
        "stale": "The git mirror of this repository could not be updated; what follows may be stale.",
        "src_replay": "replay (recorded GitHub responses)",
        "src_github": "github (GitHub API)",
        "src_git": "git (local git mirrors)",
        "src_git+github": "git (commits from local mirrors) + github (issues and PRs from the GitHub API)",
        "extractive": "extractive (deterministic, from the classified data; no LLM)",
        "llm": "LLM ({model}); {fallbacks} sections fell back to extractive text after validation",
        "llm_failed": "the LLM failed ({reason}); every section uses extractive text",
        "fix": "Fixes", "feature": "Features", "perf": "Performance", "refactor": "Refactoring", "docs": "Docs",
        "test": "Tests", "ci": "CI", "build": "Build & dependencies", "revert": "Reverts", "other": "Other",
        "bug": "Bugs", "feature-request": "Feature requests", "question": "Questions", "roadmap": "Roadmaps",
        "ci-failure": "CI failures",
    },
}

# Display names of tag ids (same in both languages: they are proper names).
TAG_NAMES = {
    "nvidia-blackwell": "Blackwell (SM100)",
    "nvidia-blackwell-rtx": "Blackwell RTX/SM120",
    "nvidia-hopper": "Hopper (SM90)",
    "nvidia-ampere-ada": "Ampere/Ada",
    "nvidia-jetson": "Jetson",
    "amd": "AMD ROCm",
    "ascend-npu": "Ascend NPU",
    "tpu": "TPU",
    "intel": "Intel XPU/Gaudi",
    "cpu": "CPU",
    "apple": "Apple",
    "fp8": "FP8",
    "fp4": "FP4",
    "int8": "INT8",
    "int4": "INT4",
    "fp16-bf16": "FP16/BF16",
    # model families
    "deepseek": "DeepSeek", "qwen": "Qwen", "kimi": "Kimi", "glm": "GLM", "llama": "Llama", "gemma": "Gemma",
    "minimax": "MiniMax", "granite": "Granite", "mistral": "Mistral", "internvl": "InternVL", "phi": "Phi",
    "nemotron": "Nemotron", "minicpm": "MiniCPM",
    # topics
    "moe": "MoE", "attention": "attention", "kv-cache": "KV cache", "speculative": "speculative decoding",
    "lora": "LoRA", "cuda-graph": "CUDA graph", "distributed": "distributed", "disaggregation": "PD disaggregation",
    "rl": "RL", "api-serving": "API serving", "multimodal": "multimodal", "quantization": "quantization",
    "kernels": "kernels", "diffusion": "diffusion", "scheduling": "scheduling",
}
# Topic names in Chinese (hardware, precision and model names are proper names, the same in both languages).
TAG_NAMES_ZH = {
    "attention": "注意力", "kv-cache": "KV 缓存", "speculative": "投机解码", "distributed": "分布式",
    "disaggregation": "PD 分离", "rl": "强化学习", "api-serving": "API 服务", "multimodal": "多模态",
    "quantization": "量化", "kernels": "算子", "diffusion": "扩散模型", "scheduling": "调度",
}


def t(lang: str, key: str, **kw: object) -> str:
    text = STRINGS[lang][key]
    return text.format(**kw) if kw else text


def tn(lang: str, key: str, n: int) -> str:
    """A counted phrase: "{n} file|{n} files" picks the singular for 1 (English); Chinese has one form."""
    text = STRINGS[lang][key]
    if "|" in text:
        one, many = text.split("|", 1)
        text = one if n == 1 else many
    return text.format(n=n)


def coverage_line(lang: str, repos: int, active: int, totals: object) -> str:
    """The coverage line of the header; a count the source did not record (None) says so instead of 0."""
    def count(key: str, n: int | None, label: str) -> str:
        if lang == "zh":
            return t(lang, "count", n=n) if n is not None else t(lang, "not_recorded")
        return tn(lang, key, n) if n is not None else f"{label} {t(lang, 'not_recorded')}"

    if lang == "zh":
        return t(lang, "coverage_line", repos=repos, active=active, commits=count("", totals.commits, ""),
                 merged_prs=count("", totals.merged_prs, ""), new_prs=count("", totals.new_prs, ""),
                 issues=count("", totals.issues, ""))
    return t(lang, "coverage_line", repos=tn(lang, "n_repos", repos), active=active,
             commits=count("n_commits", totals.commits, "commits"),
             merged_prs=count("n_merged_prs", totals.merged_prs, "merged PRs"),
             new_prs=count("n_new_prs", totals.new_prs, "new PRs"), issues=count("n_issues", totals.issues, "new issues"))


def file_status(lang: str, status: str | None) -> str | None:
    """A file's status (added, modified, removed, renamed, ...) in the report's language; None when unknown."""
    if not status:
        return None
    return STRINGS[lang].get(f"status_{status}", status)


def source_name(lang: str, source: str) -> str:
    return STRINGS[lang].get(f"src_{source}", source)


def tag_name(tag: str, lang: str = "en") -> str:
    if lang == "zh" and tag in TAG_NAMES_ZH:
        return TAG_NAMES_ZH[tag]
    return TAG_NAMES.get(tag, tag)
