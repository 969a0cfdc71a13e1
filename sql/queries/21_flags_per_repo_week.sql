-- How many changes carry each flag, per repository and ISO week (flags: see docs/taxonomy.md).
SELECT
    date_trunc('week', day) AS week,
    repo,
    flag,
    count(*) AS changes
FROM (SELECT day, repo, unnest(flags) AS flag FROM classified.changes)
GROUP BY ALL
ORDER BY week DESC, repo, changes DESC, flag;
