"""The one Definitions object: the UI (workspace.yaml), the daemon, `dg` and `infra-digest run` all load this.

``defs`` is built from the environment; ``build_defs(settings)`` is the small factory the CLI calls with its
options (another history, report folder or first day changes the resources and the partitions).
"""

from __future__ import annotations

import dagster as dg

from infra_digest.defs.assets import build_assets
from infra_digest.defs.checks import ingest_checks, report_checks
from infra_digest.defs.constants import INGEST_JOB, REPORT_JOB  # noqa: F401  (re-exported for callers)
from infra_digest.defs.executors import select_executor
from infra_digest.defs.jobs import build_report_job, ingest_job
from infra_digest.defs.liveness import dead_runs_sensor
from infra_digest.defs.partitions import build_partitions, partition_start
from infra_digest.defs.publish import build_publish_assets, publish_keys, run_failure_alerts
from infra_digest.defs.resources import resources_for
from infra_digest.defs.schedules import build_report_sensors, build_schedule
from infra_digest.defs.versions import code_versions
from infra_digest.settings import Settings
from infra_digest.watchlist import load_watchlist


def build_defs(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    watchlist = load_watchlist(settings.watchlist)
    resources = resources_for(settings)
    partitions = build_partitions(watchlist, partition_start(settings))
    # The report job publishes (site, deliveries) only when configured: the demo and the tests stay offline.
    report_job = build_report_job(publish_keys(settings))
    return dg.Definitions(
        assets=[*build_assets(partitions, watchlist, code_versions(settings)), *build_publish_assets(partitions.daily)],
        asset_checks=[ingest_checks, report_checks],
        jobs=[ingest_job, report_job],
        schedules=[build_schedule(watchlist, resources["source"], resources["storage"])],
        sensors=[*build_report_sensors(report_job), run_failure_alerts, dead_runs_sensor],
        resources=resources,
        # Default: one process per run, steps in order, never contending for the DuckDB file inside a run.
        executor=select_executor(settings),
    )


defs = build_defs()
