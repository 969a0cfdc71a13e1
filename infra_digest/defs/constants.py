"""Names the definitions share, declared once: asset keys, the DuckDB pool, the range tags, job names."""

import dagster as dg

# The asset graph: raw_events -> core_items -> classified_changes (date x repo) -> daily_digest -> daily_report (date)
RAW_EVENTS = dg.AssetKey("raw_events")
CORE_ITEMS = dg.AssetKey("core_items")
CLASSIFIED_CHANGES = dg.AssetKey("classified_changes")
DAILY_DIGEST = dg.AssetKey("daily_digest")
DAILY_REPORT = dg.AssetKey("daily_report")
SITE = dg.AssetKey("site")  # after daily_report (defs/publish.py)
DELIVERIES = dg.AssetKey("deliveries")  # after daily_report (defs/publish.py)
INGEST_KEYS = (RAW_EVENTS, CORE_ITEMS, CLASSIFIED_CHANGES)

# Every step that opens the history read-write (assets and checks) is in this pool; dagster.yaml limits it to 1.
POOL = "duckdb"

# Tags that make one run cover a partition range (a rectangle for date x repo partitions).
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"
BACKFILL_TAG = "dagster/backfill"

INGEST_JOB = "ingest_job"
REPORT_JOB = "report_job"
