"""Asset checks that guard the history: no duplicate items, every report link backed by a stored item."""

import re

import dagster as dg

from infra_digest.defs.resources import StorageResource

_LINK = re.compile(r"\]\((https://github\.com/[^)\s]+)\)")


def build_checks(classified_changes, daily_report):
    @dg.asset_check(asset=classified_changes, description="No item appears twice in the same repository and day.")
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

    @dg.asset_check(asset=daily_report, description="Every GitHub link in every report points at a stored commit, PR, issue or watched repository.")
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

    return no_duplicate_items, report_links_resolve
