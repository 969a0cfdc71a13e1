"""The two jobs: ingest (date x repo assets) and report (day-level assets), selected by asset key. The report job
also publishes (site, deliveries) when the settings configure it: see :func:`build_report_job`."""

from collections.abc import Sequence

import dagster as dg

from infra_digest.defs.constants import DAILY_DIGEST, DAILY_REPORT, INGEST_JOB, INGEST_KEYS, REPORT_JOB

ingest_job = dg.define_asset_job(
    INGEST_JOB,
    selection=list(INGEST_KEYS),
    description="Fetch, type and classify the selected days and repositories.",
)



def build_report_job(publish: Sequence[dg.AssetKey] = ()):
    """Digest and report, then the publishing assets ``publish`` (``defs.publish.publish_keys``)."""
    names = ", ".join(k.to_user_string() for k in publish)
    return dg.define_asset_job(
        REPORT_JOB,
        selection=[DAILY_DIGEST, DAILY_REPORT, *publish],
        description="Summarize and render the selected days' reports" + (f", then update {names}." if names else "."),
    )


report_job = build_report_job()
