-- The hottest issues and pull requests of a day (comments + reactions, as GitHub counts them), new or not.
-- Repository-days whose source did not record the listing have no rows (see raw.fetch_log stats.discussions).
-- infra-digest sql sql/queries/34_hot_discussions.sql --param day 2026-03-02
SELECT day, repo, number, is_pr, title, comments, reactions, heat, new_in_day, state, url
FROM core.discussions
WHERE day = coalesce(CAST(getvariable('day') AS DATE), (SELECT max(day) FROM core.discussions))
QUALIFY row_number() OVER (PARTITION BY repo ORDER BY heat DESC, comments DESC, number DESC) <= 5
ORDER BY heat DESC, repo;
