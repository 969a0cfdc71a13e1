"""Asset checks that guard the history. Two steps: one after ingest, one after the report (each opens the history
once and evaluates several checks), in the `duckdb` pool like the assets. Their SQL is in sql/checks/ and
sql/queries/.

- no_duplicate_items (classified_changes): no item twice in a repository-day.
- fetches_succeeded (raw_events): the last fetch of every repository-day succeeded; failed ones are named.
- report_links_resolve (daily_report): every GitHub link in every report points at a stored item or repository.
- reports_up_to_date (daily_report): every day with fetched data has a report generated after its newest data.
- llm_answered (daily_report): no report whose summary failed (a model was configured and answered nothing).
- summaries_without_fallback (daily_digest, WARN): how many sections fell back from the LLM to extractive text.
"""

import re

import dagster as dg

from infra_digest.defs.constants import CLASSIFIED_CHANGES, DAILY_DIGEST, DAILY_REPORT, POOL, RAW_EVENTS
from infra_digest.defs.resources import ReportResource, StorageResource
from infra_digest.report.links import check_links
from infra_digest.storage.db import query_text

_LINK = re.compile(r"\]\((https://github\.com/[^)\s]+)\)")


def _md_list(lines: list[str]) -> dg.MetadataValue:
    return dg.MetadataValue.md("\n".join(f"- {ln}" for ln in lines) or "none")


@dg.multi_asset_check(
    name="ingest_checks",
    pool=POOL,
    specs=[
        dg.AssetCheckSpec("no_duplicate_items", asset=CLASSIFIED_CHANGES, description="No item appears twice in the same repository and day."),
        dg.AssetCheckSpec("fetches_succeeded", asset=RAW_EVENTS, description=(
            "The last fetch of every repository-day succeeded (failed ones keep older data and are named here).")),
    ],
)
def ingest_checks(storage: StorageResource):
    with storage.connect() as conn:
        dups = conn.execute(f"{query_text('checks/duplicate_items')} LIMIT 20").fetchall()
        failed = conn.execute(f"SELECT day, repo, error FROM ({query_text('10_fetch_problems')})").fetchall()
    yield dg.AssetCheckResult(
        asset_key=CLASSIFIED_CHANGES, check_name="no_duplicate_items", passed=not dups,
        metadata={"duplicates": len(dups), "examples": dg.MetadataValue.json([list(map(str, d)) for d in dups])},
    )
    yield dg.AssetCheckResult(
        asset_key=RAW_EVENTS, check_name="fetches_succeeded", passed=not failed,
        metadata={"failed_partitions": len(failed), "examples": _md_list([f"{d}|{r}: {e}" for d, r, e in failed[:50]])},
    )


@dg.multi_asset_check(
    name="report_checks",
    pool=POOL,
    specs=[
        dg.AssetCheckSpec("report_links_resolve", asset=DAILY_REPORT, description=(
            "Every link of every report has the GitHub web origin and points at a stored commit, PR, issue or watched "
            "repository; no raw HTML in the Markdown, no script or event handler in the HTML.")),
        dg.AssetCheckSpec("reports_up_to_date", asset=DAILY_REPORT, description=(
            "Every (day, language) report was generated after its day's data last changed; every day with data has a report.")),
        dg.AssetCheckSpec("llm_answered", asset=DAILY_REPORT, description=(
            "No (day, language) report whose summary failed: a model was configured and none of its requests was "
            "answered (the report is extractive and says the LLM failed).")),
        dg.AssetCheckSpec("summaries_without_fallback", asset=DAILY_DIGEST, description=(
            "How many summary sections fell back from the LLM to extractive text.")),
    ],
)
def report_checks(storage: StorageResource, report: ReportResource):
    with storage.connect() as conn:
        known = {r[0] for r in conn.execute(query_text("checks/known_links")).fetchall()}
        reports = conn.execute("SELECT day, lang, markdown, html FROM report.daily ORDER BY day, lang").fetchall()
        stale = conn.execute(query_text("11_days_without_fresh_report")).fetchall()
        llm, fallbacks = conn.execute(query_text("checks/summary_fallbacks")).fetchone()
        llm_failed = conn.execute("SELECT day, lang FROM report.daily WHERE stats->>'llm_status' = 'failed' "
                                  "ORDER BY day, lang").fetchall()
    dangling = sorted({(str(day), lang, url) for day, lang, md, _ in reports for url in _LINK.findall(md) if url not in known})
    unsafe = [(str(day), lang, problem) for day, lang, md, html in reports for problem in check_links(md, html, report.web_origin)]
    yield dg.AssetCheckResult(
        asset_key=DAILY_REPORT, check_name="report_links_resolve", passed=not dangling and not unsafe,
        metadata={"reports": len(reports), "dangling_links": len(dangling), "unsafe_links": len(unsafe),
                  "examples": dg.MetadataValue.json([list(d) for d in (dangling + unsafe)[:20]])},
    )
    yield dg.AssetCheckResult(
        asset_key=DAILY_REPORT, check_name="reports_up_to_date", passed=not stale,
        metadata={"days_missing_or_stale": len(stale), "examples": _md_list([f"{d} {lang or 'every language'}: {why}" for d, lang, why in stale[:30]])},
    )
    yield dg.AssetCheckResult(
        asset_key=DAILY_REPORT, check_name="llm_answered", passed=not llm_failed,
        metadata={"failed_reports": len(llm_failed), "examples": _md_list([f"{d} {lang}" for d, lang in llm_failed[:30]])},
    )
    yield dg.AssetCheckResult(
        asset_key=DAILY_DIGEST, check_name="summaries_without_fallback", passed=fallbacks == 0,
        severity=dg.AssetCheckSeverity.WARN, metadata={"llm_sections": llm, "fallback_sections": fallbacks},
    )
