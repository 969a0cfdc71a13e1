"""The two jobs: ingest (date x repo assets) and report (day-level assets), selected by asset key."""

import dagster as dg

from infra_digest.defs.constants import DAILY_DIGEST, DAILY_REPORT, INGEST_JOB, INGEST_KEYS, REPORT_JOB

ingest_job = dg.define_asset_job(
    INGEST_JOB,
    selection=list(INGEST_KEYS),
    description="Fetch, type and classify the selected days and repositories.",
)

report_job = dg.define_asset_job(
    REPORT_JOB,
    selection=[DAILY_DIGEST, DAILY_REPORT],
    description="Summarize and render the selected days' reports.",
)
