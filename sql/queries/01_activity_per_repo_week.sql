-- Activity per repository per week: commits, new issues, new PRs.
-- infra-digest sql sql/queries/01_activity_per_repo_week.sql
WITH c AS (SELECT repo, date_trunc('week', day) AS week, count(*) AS commits FROM core.commits GROUP BY ALL),
     i AS (SELECT repo, date_trunc('week', day) AS week, count(*) AS issues FROM core.issues GROUP BY ALL),
     p AS (SELECT repo, date_trunc('week', day) AS week, count(*) FILTER (opened_in_day) AS new_prs FROM core.pull_requests GROUP BY ALL)
SELECT repo, CAST(week AS DATE) AS week, coalesce(commits, 0) AS commits, coalesce(issues, 0) AS issues, coalesce(new_prs, 0) AS new_prs
FROM c FULL JOIN i USING (repo, week) FULL JOIN p USING (repo, week)
ORDER BY week DESC, commits DESC, repo;
