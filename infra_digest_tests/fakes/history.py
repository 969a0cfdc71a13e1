"""Small histories for the site and delivery tests, written through the project's own connect() and DDL.

Each day gets classified items (commits, a PR, issues) with labels, a zh and an en report (Markdown with a
highlights section, HTML shaped like ours) and a fetch log. Every day carries a Chinese and an English word that
appears on that day only, for search tests, and hostile text (script tags, event handlers, javascript: and
non-GitHub links) in titles and in the report HTML itself, as if a renderer had failed to escape it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence
from typing import Any

ZH_WORDS = ["显存碎片", "调度器", "流水线并行", "编译缓存", "算子融合", "张量并行", "量化校准", "专家路由", "内存泄漏", "解码延迟"]
EN_WORDS = ["zephyrkernel", "quokkacache", "marmotsched", "ibexfusion", "okapitile", "tapirgemm", "lemurpager",
            "bisonlaunch", "pumaalloc", "yakstream"]
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
REPOS = ("vllm-project/vllm", "flashinfer-ai/flashinfer", "sgl-project/sglang")


def _sha(day: dt.date, n: int) -> str:
    import hashlib

    return hashlib.sha1(f"{day}-{n}".encode()).hexdigest()


def day_items(day: dt.date, i: int) -> list[dict[str, Any]]:
    """The classified items of the i-th day."""
    vllm, fi, sgl = REPOS
    s1, s2, s3 = _sha(day, 1), _sha(day, 2), _sha(day, 3)
    return [
        {"repo": vllm, "item_kind": "commit", "item_id": s1, "title": f"[Bugfix] Fix NVFP4 MoE on SM120 ({EN_WORDS[i % 10]}) (#{1000 + i})",
         "url": f"https://github.com/{vllm}/commit/{s1}", "change_type": "fix", "hardware": ["nvidia-blackwell-rtx"],
         "precision": ["fp4"], "topics": ["moe", "quantization"], "models": [], "flags": ["crash"]},
        {"repo": fi, "item_kind": "commit", "item_id": s2, "title": f"perf: faster FP8 GEMM on Hopper {HOSTILE}",
         "url": f"https://github.com/{fi}/commit/{s2}", "change_type": "perf", "hardware": ["nvidia-hopper"],
         "precision": ["fp8"], "topics": [], "models": ["deepseek" if i % 2 == 0 else "llama"], "flags": []},
        {"repo": fi, "item_kind": "commit", "item_id": s3, "title": "ci: bump runner image",
         "url": f"https://github.com/{fi}/commit/{s3}", "change_type": "ci", "hardware": [], "precision": [],
         "topics": [], "models": [], "flags": []},
        {"repo": sgl, "item_kind": "issue", "item_id": str(2000 + i), "title": "[Bug] AMD MI300 crash with Qwen <b onmouseover=alert(1)>x</b> @here",
         "url": f"https://github.com/{sgl}/issues/{2000 + i}", "change_type": "bug", "hardware": ["amd"],
         "precision": [], "topics": [], "models": ["qwen"], "flags": ["crash"]},
        {"repo": sgl, "item_kind": "pull_request", "item_id": str(3000 + i), "title": "Add docs see https://evil.example/x",
         "url": "javascript:alert(1)", "change_type": "docs", "hardware": [], "precision": [], "topics": [],
         "models": [], "flags": []},
    ]


def markdown(day: dt.date, lang: str, i: int, items: Sequence[dict[str, Any]]) -> str:
    a, b = items[0], items[3]
    head = "## 今日要点" if lang == "zh" else "## Highlights"
    word = ZH_WORDS[i % 10] if lang == "zh" else EN_WORDS[i % 10]
    return "\n".join([
        f"# AI Infra {'日报' if lang == 'zh' else 'Daily'} · {day}", "",
        head,
        f"- **{a['repo']}** NVFP4 MoE fix on SM120 ({word}) [`{a['item_id'][:7]}`]({a['url']})",
        f"- **{b['repo']}** crash on MI300 [#{b['item_id']}]({b['url']}) [evil](https://evil.example/steal)",
        "", "## Details", "- nothing else",
    ])


def report_html(day: dt.date, lang: str, i: int, items: Sequence[dict[str, Any]]) -> str:
    word = ZH_WORDS[i % 10] if lang == "zh" else EN_WORDS[i % 10]
    title = f"AI Infra {'日报' if lang == 'zh' else 'Daily'} · {day}"
    lis = "".join(
        f'<li><a href="{html.escape(it["url"])}"><code>{html.escape(str(it["item_id"])[:7])}</code></a> '
        # the hostile title is inserted RAW, as a renderer bug would: the site must still neutralise it
        f'{it["title"]}</li>' for it in items)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif}} .tag{{color:#0550ae}}</style>
<script>window.__pwned=1</script></head>
<body>
<h1>{title}</h1>
<h2>{'今日要点' if lang == 'zh' else 'Highlights'}</h2>
<ul><li>{word}: NVFP4 MoE</li></ul>
<h2>{'各仓库动态' if lang == 'zh' else 'Repositories'}</h2>
<section><h3><a href="https://github.com/{REPOS[0]}">{REPOS[0]}</a></h3><ul>{lis}</ul>
<p id="top"><a href="javascript:alert(1)">js link</a> <a href="https://evil.example/">evil</a> <a href="#top">top</a> <a href="#nowhere">dangling</a>
<iframe src="https://evil.example/"></iframe><form action="https://evil.example/"><input name=q></form>
<div style="background:url(https://evil.example/x.png)" onclick="window.__pwned=1">styled</div></p></section>
</body></html>
"""


def write_history(conn, days: Sequence[dt.date], *, langs: Sequence[str] = ("zh", "en"), start_index: int = 0,
                  failed: dict[dt.date, list[str]] | None = None,
                  generated_at: dt.datetime | None = None) -> dict[dt.date, list[dict[str, Any]]]:
    """Write the days into the history on ``conn`` (whose DDL is applied). Returns the items per day."""
    failed = failed or {}
    out = {}
    for n, day in enumerate(days):
        i = start_index + n
        items = day_items(day, i)
        out[day] = items
        conn.execute("DELETE FROM classified.changes WHERE day = ?", [day])
        flags = _has_flags(conn)
        cols = "repo, day, item_kind, item_id, title, url, change_type, hardware, \"precision\", topics, models, rules"
        conn.executemany(
            f"INSERT INTO classified.changes ({cols}{', flags' if flags else ''}) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?{', ?' if flags else ''})",
            [[it["repo"], day, it["item_kind"], it["item_id"], it["title"], it["url"], it["change_type"], it["hardware"],
              it["precision"], it["topics"], it["models"], [], *([it["flags"]] if flags else [])] for it in items])
        gen = generated_at or dt.datetime.combine(day + dt.timedelta(days=1), dt.time(1, 0), dt.timezone.utc)
        conn.execute("DELETE FROM report.daily WHERE day = ?", [day])
        for lang in langs:
            stats = {"totals": {"commits": 3, "merged_prs": 1, "new_prs": 1, "issues": 1},
                     "failed_repos": failed.get(day, [])}
            conn.execute("INSERT INTO report.daily (day, lang, markdown, html, generated_at, summarizer, stats) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [day, lang, markdown(day, lang, i, items), report_html(day, lang, i, items), gen, "extractive",
                          json.dumps(stats)])
        conn.execute("DELETE FROM raw.fetch_log WHERE day = ?", [day])
        for repo in REPOS:
            bad = repo in failed.get(day, [])
            conn.execute("INSERT INTO raw.fetch_log (repo, day, source, status, error, notes, stats, items, fetched_at) "
                         "VALUES (?, ?, 'replay', ?, ?, NULL, NULL, 0, ?)",
                         [repo, day, "failed" if bad else "ok", "HTTP 502 from the source" if bad else None, gen])
    return out


def _has_flags(conn) -> bool:
    return bool(conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'classified' "
                             "AND table_name = 'changes' AND column_name = 'flags'").fetchone()[0])


def add_flags_column(conn) -> None:
    """What the classification helper's DDL adds; tests run with and without it."""
    conn.execute("ALTER TABLE classified.changes ADD COLUMN IF NOT EXISTS flags VARCHAR[] DEFAULT []")


def drop_flags_column(conn) -> None:
    """A history written before the flags column existed (the DDL now creates it; readers must cope without it)."""
    conn.execute("ALTER TABLE classified.changes DROP COLUMN IF EXISTS flags")
