-- Items that appear more than once in a repository-day of classified.changes (asset check no_duplicate_items).
SELECT repo, day, item_kind, item_id, count(*) AS n FROM classified.changes
GROUP BY ALL HAVING count(*) > 1 ORDER BY day, repo
