"""The Definitions load, the asset graph is what we expect, the schedule and sensor pick the right days."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from infra_digest.definitions import INGEST_JOB, REPORT_JOB, build_defs
from infra_digest.defs.schedules import report_days_for_run, yesterday_range_tags
from infra_digest.settings import Settings
from infra_digest.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parents[1]

# The asset graph, reviewed: a change here is a change of the pipeline's shape.
EXPECTED_GRAPH = {
    "raw_events": ("ingest", set()),
    "core_items": ("ingest", {"raw_events"}),
    "classified_changes": ("ingest", {"core_items"}),
    "daily_digest": ("report", {"classified_changes"}),
    "daily_report": ("report", {"daily_digest"}),
    "site": ("report", {"daily_report"}),
    "deliveries": ("report", {"daily_report"}),
}


def test_asset_graph_snapshot():
    defs = build_defs()
    graph = defs.resolve_asset_graph()
    got = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        got[key.to_user_string()] = (node.group_name, {p.to_user_string() for p in node.parent_keys})
    assert got == EXPECTED_GRAPH
    checks = {k.name for k in graph.asset_check_keys}
    assert checks == {"no_duplicate_items", "report_links_resolve", "fetches_succeeded", "reports_up_to_date",
                      "summaries_without_fallback", "llm_answered", "deliveries_sent"}
    assert {j.name for j in defs.jobs} >= {INGEST_JOB, REPORT_JOB}
    for key in ("raw_events", "core_items", "classified_changes"):
        node = graph.get(dg.AssetKey(key))
        assert node.partitions_def.partition_dimension_names == ["date", "repo"]
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
        assert node.pools == {"duckdb"}
    for key in ("site", "deliveries"):
        node = graph.get(dg.AssetKey(key))
        assert node.backfill_policy == dg.BackfillPolicy.single_run() and node.pools == {"duckdb"}
    assert {s.name for s in defs.sensors} == {"report_after_ingest_success", "report_after_ingest_failure", "dead_runs",
                                              "run_failure_alerts"}


@pytest.mark.parametrize("site,subs,expected", [
    (None, None, {"daily_digest", "daily_report"}),
    ("site", None, {"daily_digest", "daily_report", "site"}),
    (None, "subs.yaml", {"daily_digest", "daily_report", "deliveries"}),
])
def test_report_job_publishes_only_what_is_configured(site, subs, expected):
    defs = build_defs(Settings.from_env({}, site_dir=site, subscriptions=subs))
    job = defs.resolve_job_def(REPORT_JOB)
    assert {k.to_user_string() for k in job.asset_layer.selected_asset_keys} == expected
    sensors = {s.name: s for s in defs.sensors}
    assert sensors["report_after_ingest_success"].job_name == REPORT_JOB


def test_report_day_maps_to_every_repository_of_that_day():
    defs = build_defs(Settings.from_env({}, start_date="2026-01-01"))
    graph = defs.resolve_asset_graph()
    mapping = graph.get_partition_mapping(dg.AssetKey("daily_digest"), dg.AssetKey("classified_changes"))
    daily = graph.get(dg.AssetKey("daily_digest")).partitions_def
    multi = graph.get(dg.AssetKey("classified_changes")).partitions_def
    upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
        daily.subset_with_partition_keys(["2026-02-18"]), daily, multi
    ).partitions_subset.get_partition_keys()
    assert sorted(upstream) == sorted(f"2026-02-18|{r.repo}" for r in load_watchlist())


def _schedule(settings):
    return build_defs(settings).resolve_schedule_def("daily_ingest_schedule")


def test_schedule_requests_yesterday_for_all_repositories_in_one_run(tmp_path):
    (tmp_path / "replay" / "2026-02-18").mkdir(parents=True)
    schedule = _schedule(Settings.from_env({}, source=f"replay:{tmp_path / 'replay'}", db=str(tmp_path / "h.duckdb")))
    when = dt.datetime(2026, 2, 19, 2, 0, tzinfo=dt.timezone.utc)
    with dg.build_schedule_context(scheduled_execution_time=when) as context:
        request = schedule.evaluate_tick(context).run_requests[0]
    repos = [r.repo for r in load_watchlist()]
    assert request.tags["dagster/asset_partition_range_start"] == f"2026-02-18|{repos[0]}"
    assert request.tags["dagster/asset_partition_range_end"] == f"2026-02-18|{repos[-1]}"
    assert request.run_key == "ingest-2026-02-18"
    # just after midnight it is still yesterday's report
    assert yesterday_range_tags(dt.datetime(2026, 3, 1, 0, 5, tzinfo=dt.timezone.utc), load_watchlist())[
        "dagster/asset_partition_range_start"].startswith("2026-02-28|")


@pytest.mark.parametrize("source", ["replay:demo", "replay:{tmp}/replay"])
def test_schedule_skips_with_a_reason_when_the_source_cannot_hold_yesterday(tmp_path, source):
    (tmp_path / "replay" / "2026-02-17").mkdir(parents=True)  # not the 18th
    settings = Settings.from_env({}, source=source.format(tmp=tmp_path), db=str(tmp_path / "h.duckdb"))
    schedule = _schedule(settings)
    with dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 2, 19, 2, tzinfo=dt.timezone.utc)) as context:
        result = schedule.evaluate_tick(context)
    assert not result.run_requests
    assert "holds no recording of 2026-02-18" in result.skip_message and "replay:" in result.skip_message


def test_schedule_description_names_the_source_and_the_history(tmp_path):
    settings = Settings.from_env({}, source=f"replay:{tmp_path}", db=str(tmp_path / "h.duckdb"))
    description = _schedule(settings).description
    assert f"replay:{tmp_path.resolve()}" in description and str((tmp_path / "h.duckdb").resolve()) in description


def test_report_sensor_reads_the_days_an_ingest_run_covered():
    assert report_days_for_run({"dagster/asset_partition_range_start": "2026-02-16|a/b",
                                "dagster/asset_partition_range_end": "2026-02-18|c/d"}) == ("2026-02-16", "2026-02-18")
    assert report_days_for_run({"dagster/partition": "2026-02-18|a/b"}) == ("2026-02-18", "2026-02-18")
    assert report_days_for_run({}) is None


def test_dagster_loads_the_workspace_without_warnings(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    proc = subprocess.run(
        [sys.executable, "-W", "default", "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    warnings = [ln for ln in out.splitlines() if "Warning" in ln]
    # The only warning allowed is Dagster's own note that this CLI command is superseded by `dg check defs`.
    assert all("definitions_validate_command" in ln for ln in warnings), out
    assert "All code locations passed validation" in out


def test_loading_the_code_location_imports_nothing_slow():
    code = "import sys, infra_digest.definitions, infra_digest.cli; print(sorted(m for m in ('litellm', 'openai', 'requests') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_dg_check_and_list_defs(tmp_path):
    """`dg` (dagster-dg-cli, configured by [tool.dg] in pyproject.toml) loads the project and lists its assets."""
    bin_dir = Path(sys.executable).parent
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "VIRTUAL_ENV": str(bin_dir.parent),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    check = subprocess.run([str(bin_dir / "dg"), "check", "defs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "All definitions loaded successfully" in check.stdout + check.stderr
    listed = subprocess.run([str(bin_dir / "dg"), "list", "defs", "--json"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    import json

    keys = {a["asset_key"] for a in json.loads(listed.stdout)["assets"]}
    assert keys == set(EXPECTED_GRAPH)
