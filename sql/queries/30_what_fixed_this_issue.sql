-- What fixed this issue: the commits, pull requests and issues that say they fix or close it (core.references,
-- from "Fixes #N", "Closes owner/repo#N", issue URLs), with their day and title. Parameters: repo, number.
-- infra-digest sql sql/queries/30_what_fixed_this_issue.sql --param repo vllm-project/vllm --param number 12345
WITH target AS (
    SELECT lower(coalesce(getvariable('repo'), '')) AS repo, CAST(coalesce(getvariable('number'), '0') AS VARCHAR) AS number
), refs AS (
    SELECT r.* FROM core.references r, target t
    WHERE lower(r.to_repo) = t.repo AND r.to_kind = 'number' AND r.to_id = t.number AND r.kind IN ('fixes', 'closes')
)
SELECT r.day, r.repo, r.from_kind, r.from_id, r.kind, r.evidence, r.closed_at,
       coalesce(c.title, p.title, i.title) AS title,
       coalesce(p.url, c.url, i.url) AS url,
       p.merged_at IS NOT NULL OR c.sha IS NOT NULL AS landed
FROM refs r
LEFT JOIN core.commits c ON r.from_kind = 'commit' AND c.repo = r.repo AND c.day = r.day AND c.sha = r.from_id
LEFT JOIN core.pull_requests p ON r.from_kind = 'pull_request' AND p.repo = r.repo AND p.day = r.day AND CAST(p.number AS VARCHAR) = r.from_id
LEFT JOIN core.issues i ON r.from_kind = 'issue' AND i.repo = r.repo AND i.day = r.day AND CAST(i.number AS VARCHAR) = r.from_id
ORDER BY r.day, r.repo, r.from_kind, r.from_id;
