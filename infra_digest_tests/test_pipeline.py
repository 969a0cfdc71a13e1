"""End to end through the CLI and the real Dagster definitions, over real DuckDB files and replay folders."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pytest

from infra_digest.settings import DEMO_REPLAY_DIR
from infra_digest_tests.conftest import DAY, day, run_cli

TABLES = ["raw.events", "raw.fetch_log", "core.commits", "core.pull_requests", "core.issues", "classified.changes",
          "summaries.items", "summaries.digests", "report.daily"]
VOLATILE = {"fetched_at", "generated_at"}


def dump(db: Path) -> dict[str, list]:
    """Every table's rows, sorted, without the columns that record wall-clock time."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as conn:
        for table in TABLES:
            cols = [c[0] for c in conn.execute(f"SELECT * FROM {table} LIMIT 0").description if c[0] not in VOLATILE]
            rows = conn.execute(f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {table}").fetchall()
            out[table] = sorted(strip_generated(repr(r)) for r in rows)  # the report states its generation time
    return out


def strip_generated(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "<time>", text)


def test_demo_day_end_to_end(workdir: Path, capsys):
    assert run_cli("run", "--date", "2026-03-02", "--db", "h.duckdb", "--out", "out") == 0
    md = (workdir / "out" / "2026-03-02.zh.md").read_text(encoding="utf-8")
    html = (workdir / "out" / "2026-03-02.zh.html").read_text(encoding="utf-8")
    demo = DEMO_REPLAY_DIR / "2026-03-02"
    shas = [c["sha"] for f in demo.glob("*/commits_list.json") for c in json.loads(f.read_text())]
    numbers = [i["number"] for f in demo.glob("*/issues.json") for i in json.loads(f.read_text())]
    assert len(shas) == 12 and len(numbers) == 8
    for sha in shas:
        assert f"[`{sha[:7]}`](https://github.com/" in md and f"/commit/{sha})" in md
    for n in numbers:
        assert f"[#{n}](https://github.com/" in md
    # every watched repository is there: a section, or a name on the one line of quiet repositories
    heads = re.findall(r"^### \[([^\]]+)\]", md, re.M)
    quiet = re.search(r"^\*\*当日无更新\*\*: (.+)$", md, re.M).group(1)
    assert sorted(heads + re.findall(r"\[([^\]]+)\]\(", quiet)) == sorted([
        "deepseek-ai/DeepGEMM", "deepseek-ai/FlashMLA", "NVIDIA/cutlass", "flashinfer-ai/flashinfer",
        "Dao-AILab/flash-attention", "sgl-project/sglang", "vllm-project/vllm", "NVIDIA/cutile-python"])
    assert "deepseek-ai/DeepGEMM" in quiet and "deepseek-ai/DeepGEMM" not in heads  # DeepGEMM has nothing
    assert md.index("\n## 今日要点\n") < md.index("\n## 今日摘要\n") < md.index("\n## 各仓库动态\n")
    # beyond commits (issue 17): the demo's releases open their repositories, hot discussions are listed
    assert "[`v0.17.0`](https://github.com/vllm-project/vllm/releases/tag/v0.17.0)" in md
    assert "[`v0.5.10rc0`](https://github.com/sgl-project/sglang/releases/tag/v0.5.10rc0) · 预发布" in md
    assert re.search(r"\*\*每日构建\*\* \(2\)", md)  # the two nightlies folded into one line
    assert re.search(r"^\*\*热议\*\* \(\d+\)$", md, re.M)
    assert "[#34102](https://github.com/vllm-project/vllm/issues/34102) [RFC]: Deprecate V0 sampler paths · 54 评论" in md
    assert "覆盖范围" in md and "commit 12 个" in md and "新 issue 7 个" in md and "新 PR 1 个" in md
    assert "抽取式" in md and "replay" in md
    assert "<html" in html and "4044c5a" in html
    printed = capsys.readouterr().out.split()
    assert printed == ["out/2026-03-02.zh.md", "out/2026-03-02.zh.html"]
    with duckdb.connect("h.duckdb", read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM core.commits").fetchone()[0] == 12
        assert conn.execute("SELECT lang, summarizer FROM report.daily").fetchall() == [("zh", "extractive")]
        stats = json.loads(conn.execute("SELECT stats FROM report.daily").fetchone()[0])
        assert stats["totals"]["commits"] == 12 and stats["failed_repos"] == []


def test_rerun_is_idempotent(workdir: Path, replay_dir: Path):
    args = ("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out")
    assert run_cli(*args) == 0
    first, md1 = dump(workdir / "h.duckdb"), (workdir / "out" / f"{DAY}.zh.md").read_text()
    assert run_cli(*args) == 0
    assert dump(workdir / "h.duckdb") == first
    assert strip_generated((workdir / "out" / f"{DAY}.zh.md").read_text()) == strip_generated(md1)
    with duckdb.connect("h.duckdb", read_only=True) as conn:
        n, distinct = conn.execute("SELECT count(*), count(DISTINCT (repo, day, kind, id)) FROM raw.events").fetchone()
    assert n == distinct == 8


def test_small_replay_report(workdir: Path, replay_dir: Path):
    assert run_cli("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out", "--lang", "en") == 0
    md = (workdir / "out" / f"{DAY}.en.md").read_text()
    html = (workdir / "out" / f"{DAY}.en.html").read_text()
    # the side commit recorded in the previous day's folder but committed on the day, reached only through the merge
    assert re.search(r"Add FP8 helpers \(merged by \[`[0-9a-f]{7}`\]\(https://github\.com/NVIDIA/cutile-python/commit/", md)
    assert "Merge branch" not in md  # the merge is folded into the commit it brings
    assert "unknown" not in md
    # squash-merged PR and its commit shown once, with both the sha and #N linked
    assert md.count("[#34725](") == 1
    assert "](https://github.com/vllm-project/vllm/pull/34725)" in md
    # an issue whose title and time are unknown is shown, never invented
    assert "[#34851](https://github.com/vllm-project/vllm/issues/34851)" in md  # an issue without a title still links
    # a PR opened without a known time is listed as a new PR
    assert "[#2580](https://github.com/flashinfer-ai/flashinfer/pull/2580)" in md
    # hostile text never becomes markup
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html
    assert "<script>" not in md and "&lt;script&gt;" in md and "<img" not in md
    # English throughout
    assert not re.search(r"[\u4e00-\u9fff]", md)
    assert "No activity" in md  # DeepGEMM


def test_empty_day_and_missing_repo_directories(workdir: Path, replay_dir: Path, capsys):
    from infra_digest.watchlist import load_watchlist

    # recorded, nothing happened: "no activity" for every repository
    for r in load_watchlist():
        (replay_dir / "2026-02-10" / r.dirname).mkdir(parents=True)
    assert run_cli("run", "--date", "2026-02-10", "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out") == 0
    md = (workdir / "out" / "2026-02-10.zh.md").read_text()
    quiet = re.search(r"^\*\*当日无更新\*\*: (.+)$", md, re.M).group(1)
    assert len(re.findall(r"\]\(https://github\.com/", quiet)) == 8 and "\n### " not in md
    assert "commit 0 个" in md
    with duckdb.connect("h.duckdb", read_only=True) as conn:
        assert conn.execute("SELECT count(*), count(*) FILTER (status = 'ok') FROM raw.fetch_log").fetchone() == (8, 8)
    # not recorded (no folder for the day, or for one repository): absent is not empty
    (replay_dir / "2026-02-11").mkdir()
    (replay_dir / "2026-02-11" / "vllm-project__vllm").mkdir()
    capsys.readouterr()
    assert run_cli("run", "--date", "2026-02-11", "--to", "2026-02-12", "--source", f"replay:{replay_dir}", "--db", "h.duckdb",
                   "--out", "out") == 1
    err = capsys.readouterr().err
    assert "15 repository-day(s) incomplete" in err and "was not recorded" in err
    assert "当日无更新" not in (workdir / "out" / "2026-02-12.zh.md").read_text()
    assert run_cli("status", "--db", "h.duckdb") == 1
    out = capsys.readouterr().out
    assert out.count("2026-02-12  ") >= 8 and "2026-02-11  sgl-project/sglang: fetch failed" in out
    assert "2026-02-11  vllm-project/vllm" not in out  # that repository was recorded


def test_malformed_file_fails_only_that_repository_and_keeps_previous_data(workdir: Path, replay_dir: Path, capsys):
    args = ("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out")
    assert run_cli(*args) == 0
    before = dump(workdir / "h.duckdb")
    bad = replay_dir / DAY / "flashinfer-ai__flashinfer" / "issues.json"
    bad.write_text('[{"number": 1, ', encoding="utf-8")
    assert run_cli(*args) == 1
    err = capsys.readouterr().err
    assert "flashinfer-ai/flashinfer" in err and "issues.json is not valid JSON" in err
    after = dump(workdir / "h.duckdb")
    for table in ("raw.events", "core.commits", "core.issues", "classified.changes"):
        assert after[table] == before[table], table  # previous good data kept
    md = (workdir / "out" / f"{DAY}.zh.md").read_text()
    assert "数据读取失败" in md and str(bad) in md.replace("\\_", "_")
    assert "#2577" in md  # the kept data is still reported


def test_unreadable_source_and_bad_arguments(workdir: Path, capsys):
    assert run_cli("run", "--date", "2026-02-30") == 2
    assert "is not a date" in capsys.readouterr().err
    assert run_cli("run", "--date", DAY, "--source", "ftp") == 2
    assert "unknown source" in capsys.readouterr().err
    assert run_cli("run", "--date", DAY, "--source", "replay:/nonexistent/dir") == 2
    assert "does not exist" in capsys.readouterr().err
    assert run_cli("run", "--date", "2026-02-18", "--to", "2026-02-17") == 2
    assert "before" in capsys.readouterr().err
    assert run_cli("run", "--date", "2999-01-01") == 2
    assert "not over yet" in capsys.readouterr().err
    assert run_cli("run", "--date", DAY, "--lang", "fr") == 2


def test_range_of_days_in_one_ingest_run(workdir: Path, replay_dir: Path):
    assert run_cli("run", "--date", "2026-02-17", "--to", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out") == 0
    assert (workdir / "out" / "2026-02-17.zh.md").exists() and (workdir / "out" / f"{DAY}.zh.md").exists()
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
    assert sorted(r.job_name for r in runs) == ["ingest_job", "report_job"]  # one run each for the whole range


def test_sql_command(workdir: Path, replay_dir: Path, capsys):
    assert run_cli("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out") == 0
    capsys.readouterr()
    assert run_cli("sql", "SELECT repo, count(*) AS n FROM core.commits GROUP BY repo ORDER BY repo", "--db", "h.duckdb") == 0
    out = capsys.readouterr().out
    assert "repo" in out and re.search(r"vllm-project/vllm +\| 2", out) and "(3 rows)" in out
    assert run_cli("sql", "DELETE FROM core.commits", "--db", "h.duckdb") == 2  # refused before it runs: bad input
    assert "read-only" in capsys.readouterr().err.lower()
    assert run_cli("sql", "SELECT 1", "--db", "missing.duckdb") == 1
    assert "no history database" in capsys.readouterr().err


def test_shipped_queries_run(workdir: Path, replay_dir: Path, capsys):
    assert run_cli("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out") == 0
    queries = sorted((Path(__file__).resolve().parents[1] / "sql" / "queries").glob("*.sql"))
    assert len(queries) >= 8
    for q in queries:
        assert run_cli("sql", str(q), "--db", "h.duckdb") == 0, q.name


def test_failed_day_is_loud_in_dagster_status_and_checks(workdir: Path, replay_dir: Path, capsys):
    import dagster as dg

    args = ("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out")
    assert run_cli(*args) == 0
    assert run_cli("status", "--db", "h.duckdb") == 0
    (replay_dir / DAY / "vllm-project__vllm" / "issues.json").write_text("{", encoding="utf-8")
    assert run_cli(*args) == 1
    capsys.readouterr()
    # only that partition is failed in Dagster; every other one materialized in the same run
    with dg.DagsterInstance.get() as instance:
        from infra_digest.definitions import build_defs
        from infra_digest.settings import Settings

        defs = build_defs(Settings.from_env(db="h.duckdb"))  # its partitions start at the history's first day
        multi = defs.resolve_asset_graph().get(dg.AssetKey("classified_changes")).partitions_def
        from dagster._core.storage.partition_status_cache import get_and_update_asset_status_cache_value

        for asset in ("raw_events", "core_items", "classified_changes"):
            status = get_and_update_asset_status_cache_value(instance, dg.AssetKey(asset), multi)
            assert status.deserialize_failed_partition_subsets(multi).get_partition_keys() == {f"{DAY}|vllm-project/vllm"}, asset
            assert f"{DAY}|flashinfer-ai/flashinfer" in status.deserialize_materialized_partition_subsets(multi).get_partition_keys()
    # the CLI status command says so
    assert run_cli("status", "--db", "h.duckdb") == 1
    assert f"{DAY}  vllm-project/vllm: fetch failed" in capsys.readouterr().out
    # and a later, successful run of another day still fails the asset check while that day stays failed
    assert run_cli("run", "--date", "2026-02-17", "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out") == 0
    with dg.DagsterInstance.get() as instance:
        key = dg.AssetCheckKey(dg.AssetKey("raw_events"), "fetches_succeeded")
        (latest,) = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
        evaluation = latest.event.dagster_event.event_specific_data
        assert evaluation.passed is False and evaluation.metadata["failed_partitions"].value == 1


def test_classify_command_reads_json_lines(monkeypatch, capsys):
    import io

    lines = [
        json.dumps({"number": 1, "title": "[Bug] NVFP4 NaN on RTX PRO 6000 Blackwell (SM120)", "labels": [{"name": "bug"}]}),
        "{not json",
        json.dumps({"sha": "a" * 40, "commit": {"message": "[ROCm] Fix FP8 GEMM on MI355 (#1)"}, "files": [{"filename": "csrc/rocm/gemm.cu"}]}),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert run_cli("classify") == 1  # one malformed line
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(out) == 3
    assert out[0]["change_type"] == "bug" and out[0]["hardware"] == ["nvidia-blackwell-rtx"] and out[0]["precision"] == ["fp4"]
    assert out[1]["line"] == 2 and "error" in out[1]
    assert out[2]["change_type"] == "fix" and out[2]["hardware"] == ["amd"] and out[2]["precision"] == ["fp8"]
    assert all(r["rules"] for r in (out[0], out[2]))


# ---- The ingest stages as plain functions (no Dagster): tables of cases -------------------------------------------

from infra_digest.pipeline.ingest import (  # noqa: E402
    PartitionKey,
    UnknownRepository,
    classify_rows,
    collect,
    derive_core_rows,
    keys_by_repo,
    row_keys,
)

FETCHED_AT = dt.datetime(2026, 2, 19, 2, 0, tzinfo=dt.timezone.utc)
VLLM, FI, CUTILE = "vllm-project/vllm", "flashinfer-ai/flashinfer", "NVIDIA/cutile-python"


def _specs():
    from infra_digest.watchlist import load_watchlist

    return {r.repo: r for r in load_watchlist()}


@pytest.mark.parametrize("keys,expected", [
    ([PartitionKey(day(), VLLM), PartitionKey(day("2026-02-17"), VLLM), PartitionKey(day(), FI)],
     {VLLM: [day("2026-02-17"), day()], FI: [day()]}),
    ([], {}),
    ([PartitionKey(day(), FI), PartitionKey(day(), FI)], {FI: [day()]}),
])
def test_keys_by_repo_groups_and_sorts_days(keys, expected):
    assert keys_by_repo(keys) == expected
    assert [list(k) for k in row_keys(keys)] == [["repo", "day"]] * sum(len(v) for v in expected.values())


# (files to break, keys) -> (ok partitions, failed partitions, events written)
@pytest.mark.parametrize("break_file,keys,ok,failed", [
    (None, [(DAY, VLLM), (DAY, FI), (DAY, CUTILE)], 3, 0),
    (f"{DAY}/vllm-project__vllm/issues.json", [(DAY, VLLM), (DAY, FI)], 1, 1),
    (None, [("2026-02-10", VLLM)], 0, 1),  # a day that was not recorded: absent is not empty
])
def test_collect_returns_rows_and_failures_per_repository_day(replay_dir, break_file, keys, ok, failed):
    from infra_digest.sources.replay import ReplaySource

    if break_file:
        (replay_dir / break_file).write_text("{", encoding="utf-8")
    pkeys = [PartitionKey(day(d), r) for d, r in keys]
    out = collect(ReplaySource(replay_dir), _specs(), pkeys, FETCHED_AT)
    assert (len(out.ok_keys), len(out.failed)) == (ok, failed)
    assert len(out.log_rows) == len(pkeys) == len(out.per_key)
    assert {r["status"] for r in out.log_rows} <= {"ok", "failed"}
    failed_keys = {f"{r['day']}|{r['repo']}" for r in out.log_rows if r["status"] == "failed"}
    assert failed_keys == set(out.failed)
    # events only for partitions that were read, and every one carries its partition and the fetch time
    assert {(e["repo"], e["day"]) for e in out.events} <= {(k["repo"], k["day"]) for k in out.ok_keys}
    assert all(e["fetched_at"] == FETCHED_AT and e["source"] == out.source for e in out.events)
    assert sum(v["items"] for k, v in out.per_key.items() if k not in out.failed) == out.items


def test_collect_refuses_a_repository_outside_the_watchlist(replay_dir):
    from infra_digest.sources.replay import ReplaySource

    with pytest.raises(UnknownRepository, match="someone/else"):
        collect(ReplaySource(replay_dir), _specs(), [PartitionKey(day(), "someone/else")], FETCHED_AT)


def _raw(kind, repo, payload, d=DAY):
    return {"repo": repo, "day": day(d), "kind": kind, "id": str(payload.get("sha") or payload.get("number")),
            "payload": payload, "source": "replay"}


def test_derive_core_rows_per_partition():
    from infra_digest.demo.builders import commit, issue

    events = [
        _raw("commit", VLLM, commit(VLLM, "[Bugfix] Fix NVFP4 MoE (#34725)", date=f"{DAY}T03:10:00Z")),
        _raw("commit", VLLM, commit(VLLM, "[Doc] typo", date=f"{DAY}T04:10:00Z")),
        _raw("issue", FI, issue(FI, 2577, "[Bug] mm_fp4 broken on SM120", created_at=f"{DAY}T02:48:00Z")),
        _raw("issue", FI, issue(FI, 2580, "Jetson support", created_at=f"{DAY}T05:00:00Z", pull_request=True)),
    ]
    keys = [PartitionKey(day(), VLLM), PartitionKey(day(), FI), PartitionKey(day(), CUTILE)]
    out = derive_core_rows(events, keys)
    assert out.per_key == {
        f"{DAY}|{VLLM}": {"commits": 2, "pull_requests": 0, "issues": 0},
        f"{DAY}|{FI}": {"commits": 0, "pull_requests": 1, "issues": 1},
        f"{DAY}|{CUTILE}": {"commits": 0, "pull_requests": 0, "issues": 0},  # asked for, nothing there: zero rows
    }
    assert sorted(c["pr_number"] or 0 for c in out.commits) == [0, 34725]
    # the tables beyond commits are replaced with the core ones, in the same transaction, even when empty
    assert set(out.tables()) == {"core.commits", "core.pull_requests", "core.issues", "core.releases",
                                 "core.discussions", "core.references"}
    # events of a partition that was not asked for are ignored
    assert derive_core_rows(events, [PartitionKey(day(), CUTILE)]).commits == []


def test_derive_core_rows_derives_releases_and_discussions_per_repository_day():
    from infra_digest.pipeline.ingest import PartitionKey, derive_core_rows

    d = dt.date(2026, 3, 2)
    release = {"tag_name": "v1.0", "name": "v1", "draft": False, "prerelease": False, "published_at": "2026-03-02T10:00:00Z",
               "html_url": "https://github.com/o/r/releases/tag/v1.0", "body": "notes", "author": {"login": "a"}}
    hot = {"number": 7, "title": "Hot", "state": "open", "comments": 40, "updated_at": "2026-03-02T11:00:00Z",
           "created_at": "2026-01-01T00:00:00Z", "html_url": "https://github.com/o/r/issues/7",
           "reactions": {"total_count": 3}, "user": {"login": "u"}}
    events = [{"repo": "o/r", "day": d, "kind": "release", "id": "v1.0", "payload": release, "source": "replay"},
              {"repo": "o/r", "day": d, "kind": "discussion", "id": "7", "payload": hot, "source": "replay"}]
    tables = derive_core_rows(events, [PartitionKey(d, "o/r"), PartitionKey(d, "o/q")]).tables()
    assert [(r["repo"], r["day"]) for r in tables["core.releases"]] == [("o/r", d)]
    assert [(r["repo"], str(r.get("number"))) for r in tables["core.discussions"]] == [("o/r", "7")]


@pytest.mark.parametrize("table,item,change_type,hardware", [
    ("core.commits", {"sha": "a" * 40, "title": "[ROCm] Fix FP8 GEMM on MI355 (#1)", "message": "[ROCm] Fix FP8 GEMM on MI355 (#1)",
                      "files": [{"filename": "csrc/rocm/gemm.cu"}]}, "fix", ["amd"]),
    ("core.issues", {"number": 7, "title": "[Bug] NVFP4 NaN on RTX PRO 6000 Blackwell (SM120)", "labels": ["bug"]}, "bug",
     ["nvidia-blackwell-rtx"]),
    ("core.pull_requests", {"number": 8, "title": "[Doc] Update README"}, "docs", []),
])
def test_classify_rows_labels_each_item(table, item, change_type, hardware):
    base = {"repo": VLLM, "day": day(), "url": "https://github.com/vllm-project/vllm"}
    out = classify_rows({table: [{**base, **item}]})
    (row,) = out.rows
    assert (row["change_type"], row["hardware"]) == (change_type, hardware)
    assert row["item_id"] == str(item.get("sha") or item.get("number"))
    assert row["rules"] and isinstance(row["flags"], list)
    assert out.per_key == {f"{DAY}|{VLLM}": {"items": 1, "with_hardware_tag": int(bool(hardware))}}
    assert out.by_change_type() == {change_type: 1}


def test_classify_rows_lets_a_merge_commit_see_the_commits_it_brings():
    """Inputs are built per repository-day: the merge inherits the labels of what it merges (issue 15), and a
    commit of another repository-day is not taken for one it brings."""
    from infra_digest.pipeline.ingest import classify_rows

    d = dt.date(2026, 3, 2)

    def commit(repo, sha, title, parents, day=d):
        return {"repo": repo, "day": day, "sha": sha, "title": title, "message": title, "parents": parents,
                "is_merge": len(parents) > 1, "files": [], "url": f"https://github.com/{repo}/commit/{sha}"}

    a, b, m = "a" * 40, "b" * 40, "c" * 40
    rows = [commit("o/r", m, "Merge branch 'fp8' into 'main'", [a, b]), commit("o/r", b, "[Perf] Speed up FP8 GEMM on H100", [a]),
            commit("o/q", m, "Merge branch 'x' into 'main'", [a, b])]  # same shas in another repository: nothing brought
    got = {(r["repo"], r["item_id"]): r for r in classify_rows({"core.commits": rows}).rows}
    merge = got[("o/r", m)]
    assert merge["change_type"] == "perf" and merge["precision"] == ["fp8"] and "nvidia-hopper" in merge["hardware"]
    assert any(rule.endswith("merge:prefix:[Perf]") for rule in merge["rules"])
    assert got[("o/q", m)]["change_type"] != "perf" and got[("o/q", m)]["precision"] == []
