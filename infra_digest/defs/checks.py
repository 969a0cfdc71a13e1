"""Asset checks that guard the history. Two steps: one after ingest, one after the report (each opens the history
once and evaluates several checks), in the `duckdb` pool like the assets.

- no_duplicate_items (classified_changes): no item twice in a repository-day.
- fetches_succeeded (raw_events): the last fetch of every repository-day succeeded; failed ones are named.
- report_links_resolve (daily_report): every GitHub link in every report points at a stored item or repository.
- reports_up_to_date (daily_report): every day with fetched data has a report generated after its newest data.
- summaries_without_fallback (daily_digest, WARN): how many sections fell back from the LLM to extractive text.
"""

import re

import dagster as dg

from infra_digest.defs.resources import StorageResource
from infra_digest.storage.db import SQL_DIR

POOL = "duckdb"  # the checks open the history read-write too: same single-writer pool as the assets
_LINK = re.compile(r"\]\((https://github\.com/[^)\s]+)\)")
RAW, CLASSIFIED = dg.AssetKey("raw_events"), dg.AssetKey("classified_changes")
DIGEST, REPORT = dg.AssetKey("daily_digest"), dg.AssetKey("daily_report")


def _md_list(lines: list[str]) -> dg.MetadataValue:
    return dg.MetadataValue.md("\n".join(f"- {ln}" for ln in lines) or "none")


def build_checks():
    @dg.multi_asset_check(
        name="ingest_checks",
        pool=POOL,
        specs=[
            dg.AssetCheckSpec("no_duplicate_items", asset=CLASSIFIED, description="No item appears twice in the same repository and day."),
            dg.AssetCheckSpec("fetches_succeeded", asset=RAW, description=(
                "The last fetch of every repository-day succeeded (failed ones keep older data and are named here).")),
        ],
    )
    def ingest_checks(storage: StorageResource):
        with storage.connect() as conn:
            dups = conn.execute(
                """SELECT repo, day, item_kind, item_id, count(*) AS n FROM classified.changes
                   GROUP BY ALL HAVING count(*) > 1 ORDER BY day, repo LIMIT 20""").fetchall()
            failed = conn.execute(
                "SELECT day, repo, error FROM raw.fetch_log WHERE status = 'failed' ORDER BY day DESC, repo LIMIT 50").fetchall()
            n_failed = conn.execute("SELECT count(*) FROM raw.fetch_log WHERE status = 'failed'").fetchone()[0]
        yield dg.AssetCheckResult(
            asset_key=CLASSIFIED, check_name="no_duplicate_items", passed=not dups,
            metadata={"duplicates": len(dups), "examples": dg.MetadataValue.json([list(map(str, d)) for d in dups])},
        )
        yield dg.AssetCheckResult(
            asset_key=RAW, check_name="fetches_succeeded", passed=n_failed == 0,
            metadata={"failed_partitions": n_failed, "examples": _md_list([f"{d}|{r}: {e}" for d, r, e in failed])},
        )

    @dg.multi_asset_check(
        name="report_checks",
        pool=POOL,
        specs=[
            dg.AssetCheckSpec("report_links_resolve", asset=REPORT, description=(
                "Every GitHub link in every report points at a stored commit, PR, issue or watched repository.")),
            dg.AssetCheckSpec("reports_up_to_date", asset=REPORT, description=(
                "Every day with fetched data has a report, generated after its newest data.")),
            dg.AssetCheckSpec("summaries_without_fallback", asset=DIGEST, description=(
                "How many summary sections fell back from the LLM to extractive text.")),
        ],
    )
    def report_checks(storage: StorageResource):
        with storage.connect() as conn:
            known = {r[0] for r in conn.execute(
                """SELECT url FROM core.commits UNION SELECT url FROM core.pull_requests UNION SELECT url FROM core.issues
                   UNION SELECT 'https://github.com/' || repo || '/pull/' || pr_number FROM core.commits WHERE pr_number IS NOT NULL
                   UNION SELECT DISTINCT 'https://github.com/' || repo FROM raw.fetch_log""").fetchall()}
            reports = conn.execute("SELECT day, lang, markdown FROM report.daily").fetchall()
            stale = conn.execute((SQL_DIR / "queries" / "11_days_without_fresh_report.sql").read_text()).fetchall()
            llm, fallbacks = conn.execute(
                """SELECT count(*) FILTER (summarizer LIKE 'llm:%'), count(*) FILTER (fallback_reason IS NOT NULL)
                   FROM (SELECT summarizer, fallback_reason FROM summaries.items UNION ALL
                         SELECT summarizer, fallback_reason FROM summaries.digests)""").fetchone()
        dangling = sorted({(str(day), lang, url) for day, lang, md in reports for url in _LINK.findall(md) if url not in known})
        yield dg.AssetCheckResult(
            asset_key=REPORT, check_name="report_links_resolve", passed=not dangling,
            metadata={"reports": len(reports), "dangling_links": len(dangling),
                      "examples": dg.MetadataValue.json([list(d) for d in dangling[:20]])},
        )
        yield dg.AssetCheckResult(
            asset_key=REPORT, check_name="reports_up_to_date", passed=not stale,
            metadata={"days_missing_or_stale": len(stale), "examples": _md_list([f"{d}: {why}" for d, why in stale[:30]])},
        )
        yield dg.AssetCheckResult(
            asset_key=DIGEST, check_name="summaries_without_fallback", passed=fallbacks == 0,
            severity=dg.AssetCheckSeverity.WARN, metadata={"llm_sections": llm, "fallback_sections": fallbacks},
        )

    return ingest_checks, report_checks
