"""The one Definitions object: the UI (workspace.yaml), the daemon and `infra-digest run` all load this.

``build_defs`` takes explicit settings (the CLI passes its options); ``defs`` reads them from the environment.
"""

from __future__ import annotations

import dagster as dg

from infra_digest import settings
from infra_digest.defs.assets import build_assets
from infra_digest.defs.checks import build_checks
from infra_digest.defs.executors import select_executor
from infra_digest.defs.partitions import build_partitions
from infra_digest.defs.resources import ReportResource, SourceResource, StorageResource
from infra_digest.defs.schedules import build_schedules
from infra_digest.summarize.llm import LLMResource
from infra_digest.watchlist import load_watchlist

INGEST_JOB = "ingest_job"
REPORT_JOB = "report_job"


def build_defs(
    *,
    source: str | None = None,
    db_path: str | None = None,
    out_dir: str | None = None,
    langs: list[str] | None = None,
    watchlist_path: str | None = None,
    start_date: str | None = None,
    record_dir: str | None = None,
) -> dg.Definitions:
    watchlist = load_watchlist(watchlist_path)
    daily, _repos, date_repo = build_partitions(
        watchlist, start_date or settings.env(settings.ENV_START_DATE, settings.DEFAULT_START_DATE)
    )
    ingest, daily_digest, daily_report = build_assets(watchlist, daily, date_repo)
    ingest_job = dg.define_asset_job(
        INGEST_JOB,
        selection=[ingest],
        description="Fetch, type and classify the selected days and repositories.",
    )
    report_job = dg.define_asset_job(
        REPORT_JOB,
        selection=[daily_digest, daily_report],
        description="Summarize and render the selected days' reports.",
    )
    schedule, sensors = build_schedules(ingest_job, report_job, watchlist)
    return dg.Definitions(
        assets=[ingest, daily_digest, daily_report],
        asset_checks=list(build_checks()),
        jobs=[ingest_job, report_job],
        schedules=[schedule],
        sensors=sensors,
        resources={
            "storage": StorageResource(db_path=db_path or settings.env(settings.ENV_DB, settings.DEFAULT_DB)),
            "source": SourceResource(
                spec=source or settings.env(settings.ENV_SOURCE, settings.DEFAULT_SOURCE),
                github_api_url=settings.env(settings.ENV_GITHUB_API_URL, settings.DEFAULT_GITHUB_API_URL),
                git_dir=settings.env(settings.ENV_GIT_DIR, settings.DEFAULT_GIT_DIR),
                record_dir=record_dir or settings.env(settings.ENV_RECORD_DIR),
            ),
            "llm": LLMResource(
                model=settings.env(settings.ENV_LLM_MODEL),
                api_base=settings.env(settings.ENV_LLM_API_BASE),
            ),
            "report": ReportResource(
                langs=langs or [settings.env(settings.ENV_LANG, settings.DEFAULT_LANG)],
                out_dir=out_dir or settings.env(settings.ENV_REPORTS_DIR, settings.DEFAULT_REPORTS_DIR),
            ),
        },
        # Default: one process per run, steps in order, never contending for the DuckDB file inside a run.
        executor=select_executor(settings.env(settings.ENV_EXECUTOR)),
    )


defs = build_defs()
