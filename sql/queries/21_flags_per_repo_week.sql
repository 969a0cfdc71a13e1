-- How many changes carry each flag, per repository and ISO week (flags: see docs/taxonomy.md; read from `rules`).
SELECT
    date_trunc('week', day) AS week,
    repo,
    split_part(split_part(r, '<-', 1), ':', 2) AS flag,
    count(*) AS changes
FROM (SELECT day, repo, unnest(rules) AS r FROM classified.changes)
WHERE starts_with(r, 'flags:')
GROUP BY ALL
ORDER BY week DESC, repo, changes DESC, flag;
