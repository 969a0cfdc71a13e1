"""Asset checks that guard the history: no duplicate items, every report link backed by a stored item."""

import re

import dagster as dg

from infra_digest.defs.resources import StorageResource

POOL = "duckdb"  # checks open the history read-write too: same single-writer pool as the assets
from infra_digest.storage.db import SQL_DIR

_LINK = re.compile(r"\]\((https://github\.com/[^)\s]+)\)")


def build_checks(daily_report):
    @dg.asset_check(pool=POOL, asset="classified_changes", description="No item appears twice in the same repository and day.")
    def no_duplicate_items(storage: StorageResource) -> dg.AssetCheckResult:
        with storage.connect() as conn:
            dups = conn.execute(
                """SELECT repo, day, item_kind, item_id, count(*) AS n FROM classified.changes
                   GROUP BY ALL HAVING count(*) > 1 ORDER BY day, repo LIMIT 20"""
            ).fetchall()
        return dg.AssetCheckResult(
            passed=not dups,
            metadata={"duplicates": len(dups), "examples": dg.MetadataValue.json([list(map(str, d)) for d in dups])},
        )

    @dg.asset_check(pool=POOL, asset=daily_report, description="Every GitHub link in every report points at a stored commit, PR, issue or watched repository.")
    def report_links_resolve(storage: StorageResource) -> dg.AssetCheckResult:
        with storage.connect() as conn:
            known = {r[0] for r in conn.execute(
                """SELECT url FROM core.commits UNION SELECT url FROM core.pull_requests UNION SELECT url FROM core.issues
                   UNION SELECT 'https://github.com/' || repo || '/pull/' || pr_number FROM core.commits WHERE pr_number IS NOT NULL
                   UNION SELECT DISTINCT 'https://github.com/' || repo FROM raw.fetch_log"""
            ).fetchall()}
            reports = conn.execute("SELECT day, lang, markdown FROM report.daily").fetchall()
        dangling = sorted({(str(day), lang, url) for day, lang, md in reports for url in _LINK.findall(md) if url not in known})
        return dg.AssetCheckResult(
            passed=not dangling,
            metadata={"reports": len(reports), "dangling_links": len(dangling),
                      "examples": dg.MetadataValue.json([list(d) for d in dangling[:20]])},
        )

    @dg.asset_check(pool=POOL, asset="raw_events", description="The last fetch of every repository-day succeeded (failed ones keep older data and are named here).")
    def fetches_succeeded(storage: StorageResource) -> dg.AssetCheckResult:
        with storage.connect() as conn:
            failed = conn.execute(
                "SELECT day, repo, error FROM raw.fetch_log WHERE status = 'failed' ORDER BY day DESC, repo LIMIT 50").fetchall()
            total = conn.execute("SELECT count(*) FROM raw.fetch_log WHERE status = 'failed'").fetchone()[0]
        return dg.AssetCheckResult(
            passed=total == 0,
            metadata={"failed_partitions": total,
                      "examples": dg.MetadataValue.md("\n".join(f"- {d}|{r}: {e}" for d, r, e in failed) or "none")},
        )

    @dg.asset_check(pool=POOL, asset=daily_report, description="Every day with fetched data has a report, generated after its newest data.")
    def reports_up_to_date(storage: StorageResource) -> dg.AssetCheckResult:
        with storage.connect() as conn:
            rows = conn.execute((SQL_DIR / "queries" / "11_days_without_fresh_report.sql").read_text()).fetchall()
        return dg.AssetCheckResult(
            passed=not rows,
            metadata={"days_missing_or_stale": len(rows),
                      "examples": dg.MetadataValue.md("\n".join(f"- {d}: {why}" for d, why in rows[:30]) or "none")},
        )

    @dg.asset_check(pool=POOL, asset="daily_digest", description="How many summary sections fell back from the LLM to extractive text.")
    def summaries_without_fallback(storage: StorageResource) -> dg.AssetCheckResult:
        with storage.connect() as conn:
            llm, fallbacks = conn.execute(
                """SELECT count(*) FILTER (summarizer LIKE 'llm:%'), count(*) FILTER (fallback_reason IS NOT NULL)
                   FROM (SELECT summarizer, fallback_reason FROM summaries.items UNION ALL
                         SELECT summarizer, fallback_reason FROM summaries.digests)""").fetchone()
        return dg.AssetCheckResult(
            passed=fallbacks == 0, severity=dg.AssetCheckSeverity.WARN,
            metadata={"llm_sections": llm, "fallback_sections": fallbacks},
        )

    return no_duplicate_items, report_links_resolve, fetches_succeeded, reports_up_to_date, summaries_without_fallback

