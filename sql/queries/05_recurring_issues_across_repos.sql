-- Issues that recur across repositories: the same hardware + precision (+ model) tag set reported in
-- two or more repositories within a week, or by the same author in several repositories.
WITH issues AS (
    SELECT c.day, c.repo, c.item_id, c.title, c.url, c.hardware, c."precision", c.models, i.author_login
    FROM classified.changes c JOIN core.issues i ON i.repo = c.repo AND i.day = c.day AND CAST(i.number AS VARCHAR) = c.item_id
    WHERE c.item_kind = 'issue'
),
by_tags AS (
    SELECT date_trunc('week', day) AS week, hardware, "precision", list(DISTINCT repo) AS repos,
           list(repo || '#' || item_id) AS items
    FROM issues WHERE len(hardware) + len("precision") > 0
    GROUP BY ALL HAVING count(DISTINCT repo) > 1
),
by_author AS (
    SELECT date_trunc('week', day) AS week, author_login, list(DISTINCT repo) AS repos, list(repo || '#' || item_id) AS items
    FROM issues WHERE author_login IS NOT NULL
    GROUP BY ALL HAVING count(DISTINCT repo) > 1
)
SELECT 'same tags' AS why, CAST(week AS DATE) AS week, array_to_string(hardware || "precision", ',') AS signal, repos, items FROM by_tags
UNION ALL
SELECT 'same author', CAST(week AS DATE), author_login, repos, items FROM by_author
ORDER BY week DESC, why;
