-- Reports (day, language) generated before their day's data last changed, and days with data but no report at all.
-- A re-fetch that brings the same data does not make a report stale (raw.fetch_log.changed_at keeps its time).
-- Used by the asset check `reports_up_to_date` and by `infra-digest status`.
WITH data AS (SELECT day, max(coalesce(changed_at, fetched_at)) AS changed_at FROM raw.fetch_log GROUP BY day),
     rep AS (SELECT day, lang, generated_at FROM report.daily)
SELECT data.day, rep.lang,
       CASE WHEN rep.day IS NULL THEN 'no report' ELSE 'report older than its data' END AS why
FROM data LEFT JOIN rep USING (day)
WHERE rep.day IS NULL OR rep.generated_at < data.changed_at
ORDER BY data.day DESC, rep.lang;
