-- Fixes vs features (and perf) per repository per week, commits and PRs.
SELECT repo, CAST(date_trunc('week', day) AS DATE) AS week,
       count(*) FILTER (change_type = 'fix') AS fixes,
       count(*) FILTER (change_type = 'feature') AS features,
       count(*) FILTER (change_type = 'perf') AS perf,
       count(*) AS all_changes
FROM classified.changes
WHERE item_kind IN ('commit', 'pull_request')
GROUP BY ALL
ORDER BY week DESC, repo;
