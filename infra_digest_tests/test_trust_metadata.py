"""What Dagster and `status` say about a run is true: provenance, per-partition metadata, freshness per language."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from infra_digest_tests.conftest import DAY, run_cli

PREV = "2026-02-17"


def _materializations(instance: dg.DagsterInstance, asset: str) -> dict[str, dict]:
    """partition -> metadata of its latest materialization."""
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=1000).records
    out: dict[str, dict] = {}
    for rec in sorted(records, key=lambda r: r.storage_id):
        mat = rec.asset_materialization
        out[mat.partition] = {k: v.value for k, v in mat.metadata.items()}
    return out


def test_every_materialization_has_its_own_counts_and_provenance(workdir: Path, replay_dir: Path):
    assert run_cli("run", "--date", PREV, "--to", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out") == 0
    history = str((workdir / "h.duckdb").resolve())
    with dg.DagsterInstance.get() as instance:
        raw = _materializations(instance, "raw_events")
        assert len(raw) == 2 * 8
        for meta in raw.values():
            assert meta["source"] == f"replay:{replay_dir.resolve()}" and meta["history"] == history
        # the repository-day's own figures, not the run's
        assert raw[f"{DAY}|flashinfer-ai/flashinfer"]["items"] == 3
        assert raw[f"{DAY}|flashinfer-ai/flashinfer"]["dagster/row_count"] == 3
        assert raw[f"{DAY}|NVIDIA/cutlass"]["items"] == 0
        classified = _materializations(instance, "classified_changes")
        assert classified[f"{DAY}|vllm-project/vllm"]["items"] == 3  # two commits and one issue of that day
        assert classified[f"{DAY}|NVIDIA/cutlass"]["items"] == 0
        report = _materializations(instance, "daily_report")
        assert set(report) == {PREV, DAY}
        for day in (PREV, DAY):
            assert report[day]["history"] == history
            md = (workdir / "out" / f"{day}.zh.md").read_text(encoding="utf-8")
            assert report[day]["report_zh"] == md  # each day shows its own report
        assert report[PREV]["report_zh"] != report[DAY]["report_zh"]
        digest = _materializations(instance, "daily_digest")
        assert digest[DAY]["history"] == history and digest[DAY]["dagster/row_count"] >= 1


def test_freshness_is_per_language(workdir: Path, replay_dir: Path, capsys):
    args = ("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out")
    assert run_cli(*args, "--lang", "zh") == 0
    assert run_cli(*args, "--lang", "en") == 0  # re-fetches the same data
    capsys.readouterr()
    assert run_cli("status", "--db", "h.duckdb") == 0, capsys.readouterr()
    # the data of the day changes: the zh report, written before, is now the stale one
    issues = replay_dir / DAY / "flashinfer-ai__flashinfer" / "issues.json"
    issues.write_text(issues.read_text(encoding="utf-8").replace("Jetson Orin", "Jetson Thor"), encoding="utf-8")
    assert run_cli(*args, "--lang", "en") == 0
    capsys.readouterr()
    assert run_cli("status", "--db", "h.duckdb") == 1
    out = capsys.readouterr().out
    assert f"{DAY}  zh: report older than its data; refresh with: infra-digest run --date {DAY} --lang zh --db h.duckdb" in out
    assert " en:" not in out
    # the asset check agrees, per language
    with dg.DagsterInstance.get() as instance:
        key = dg.AssetCheckKey(dg.AssetKey("daily_report"), "reports_up_to_date")
        (latest,) = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
        evaluation = latest.event.dagster_event.event_specific_data
        assert evaluation.passed is False and "zh" in evaluation.metadata["examples"].value
    assert run_cli(*args, "--lang", "zh") == 0
    assert run_cli("status", "--db", "h.duckdb") == 0
