-- Top commit authors per repository over the whole history (login when known, else the git name).
WITH per_author AS (
    SELECT repo, coalesce(author_login, author_name) AS author, count(*) AS commits,
           sum(additions) AS additions, sum(deletions) AS deletions, max(day) AS last_day
    FROM core.commits
    GROUP BY ALL
)
SELECT * FROM per_author
QUALIFY row_number() OVER (PARTITION BY repo ORDER BY commits DESC, author) <= 10
ORDER BY repo, commits DESC;
