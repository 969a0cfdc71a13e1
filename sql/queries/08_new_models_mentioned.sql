-- Model families by the day they were first mentioned in the history, with where.
WITH m AS (SELECT day, repo, item_kind, item_id, title, unnest(models) AS model FROM classified.changes)
SELECT model, min(day) AS first_seen, count(*) AS mentions, count(DISTINCT repo) AS repos,
       arg_min(repo || ' ' || item_kind || ' ' || item_id, day) AS first_item
FROM m GROUP BY model ORDER BY first_seen DESC, mentions DESC;
