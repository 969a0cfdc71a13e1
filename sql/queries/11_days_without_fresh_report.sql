-- Days whose data is newer than their report, or that have no report at all (a missed or failed day).
-- Used by the asset check `reports_up_to_date` and by `infra-digest status`.
WITH data AS (SELECT day, max(fetched_at) AS fetched_at FROM raw.fetch_log GROUP BY day),
     rep AS (SELECT day, min(generated_at) AS generated_at FROM report.daily GROUP BY day)
SELECT data.day,
       CASE WHEN rep.day IS NULL THEN 'no report' ELSE 'report older than its data' END AS why
FROM data LEFT JOIN rep USING (day)
WHERE rep.day IS NULL OR rep.generated_at < data.fetched_at
ORDER BY data.day DESC;
