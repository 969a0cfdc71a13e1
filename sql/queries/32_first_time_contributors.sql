-- First-time contributors: authors whose first commit in the history held lands on the day, per repository,
-- where that repository's history begins at least `min_history_days` (default 14) before the day.
-- By login, else by name; bots ("...[bot]") left out. The report uses the same rule (storage/reads.py).
-- infra-digest sql sql/queries/32_first_time_contributors.sql --param day 2026-02-18 --param min_history_days 1
WITH who AS (
    SELECT repo, day, coalesce(author_login, author_name) AS who FROM core.commits
    WHERE coalesce(author_login, author_name) IS NOT NULL
), firsts AS (
    SELECT repo, who, min(day) AS first_day, count(*) AS commits FROM who GROUP BY repo, who
), held AS (
    SELECT repo, min(day) AS since FROM (
        SELECT repo, day FROM core.commits UNION ALL SELECT repo, day FROM raw.fetch_log WHERE status = 'ok'
    ) GROUP BY repo
)
SELECT f.repo, f.first_day AS day, f.who AS author, f.commits AS commits_in_history, h.since AS history_since
FROM firsts f JOIN held h ON f.repo = h.repo
WHERE f.first_day = coalesce(CAST(getvariable('day') AS DATE), (SELECT max(day) FROM core.commits))
  AND h.since <= f.first_day - CAST(coalesce(getvariable('min_history_days'), '14') AS INTEGER)
  AND f.who NOT LIKE '%[bot]'
ORDER BY f.repo, lower(f.who);
