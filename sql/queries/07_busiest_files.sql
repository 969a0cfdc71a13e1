-- The busiest files: how often each path was touched, and how many lines changed.
WITH f AS (
    SELECT repo, day,
           unnest(from_json(files, '[{"filename": "VARCHAR", "additions": "INTEGER", "deletions": "INTEGER"}]'), recursive := true)
    FROM core.commits
)
SELECT repo, filename AS path, count(*) AS commits, sum(additions + deletions) AS lines_changed, max(day) AS last_day
FROM f
GROUP BY ALL
ORDER BY commits DESC, lines_changed DESC
LIMIT 50;
