-- Everything linked to an item: the references it writes, the references written to it, and (on its day) the items
-- by the same author in other repositories and the problem items sharing its hardware and precision tags.
-- Parameters: repo, id (an issue/PR number or a commit sha).
-- infra-digest sql sql/queries/31_everything_linked_to_an_item.sql --param repo vllm-project/vllm --param id 12345
WITH target AS (
    SELECT coalesce(getvariable('repo'), '') AS repo, CAST(coalesce(getvariable('id'), '') AS VARCHAR) AS id
), me AS (  -- the item itself, in whichever table holds it (a squash commit carries its PR number)
    SELECT c.repo, c.day, 'commit' AS kind, c.sha AS id, c.author_login AS author FROM core.commits c, target t
    WHERE c.repo = t.repo AND (c.sha = t.id OR CAST(c.pr_number AS VARCHAR) = t.id)
    UNION ALL
    SELECT p.repo, p.day, 'pull_request', CAST(p.number AS VARCHAR), p.author_login FROM core.pull_requests p, target t
    WHERE p.repo = t.repo AND CAST(p.number AS VARCHAR) = t.id
    UNION ALL
    SELECT i.repo, i.day, 'issue', CAST(i.number AS VARCHAR), i.author_login FROM core.issues i, target t
    WHERE i.repo = t.repo AND CAST(i.number AS VARCHAR) = t.id
), ids AS (SELECT DISTINCT id FROM me UNION SELECT id FROM target
           UNION SELECT CAST(c.pr_number AS VARCHAR) FROM core.commits c JOIN me ON c.repo = me.repo AND c.sha = me.id
           WHERE c.pr_number IS NOT NULL),
links AS (
    SELECT r.day, 'writes' AS direction, r.kind, r.to_repo AS other_repo, r.to_id AS other_id, r.evidence
    FROM core.references r, target t WHERE r.repo = t.repo AND r.from_id IN (SELECT id FROM ids)
    UNION ALL
    SELECT r.day, 'written-to', r.kind, r.repo, r.from_id, r.evidence
    FROM core.references r, target t WHERE lower(r.to_repo) = lower(t.repo) AND r.to_id IN (SELECT id FROM ids)
    UNION ALL
    SELECT o.day, 'same-day', 'same-author-same-day', o.repo, o.id, 'author ' || o.author
    FROM me JOIN (
        SELECT repo, day, sha AS id, author_login AS author FROM core.commits
        UNION ALL SELECT repo, day, CAST(number AS VARCHAR), author_login FROM core.pull_requests
        UNION ALL SELECT repo, day, CAST(number AS VARCHAR), author_login FROM core.issues
    ) o ON o.day = me.day AND o.author = me.author AND o.repo <> me.repo
    WHERE me.author IS NOT NULL AND me.author NOT LIKE '%[bot]'
    UNION ALL
    SELECT o.day, 'same-day', 'same-symptom', o.repo, o.item_id,
           array_to_string(list_intersect(o.hardware, m.hardware) || list_intersect(o."precision", m."precision"), '+')
    FROM me JOIN classified.changes m ON m.repo = me.repo AND m.day = me.day AND m.item_id = me.id
    JOIN classified.changes o ON o.day = m.day AND NOT (o.repo = m.repo AND o.item_id = m.item_id)
    WHERE len(list_intersect(o.hardware, m.hardware)) > 0 AND len(list_intersect(o."precision", m."precision")) > 0
      AND (m.item_kind = 'issue' OR o.item_kind = 'issue')
      AND (m.change_type IN ('bug', 'ci-failure', 'fix', 'revert') OR list_has_any(m.flags, ['crash', 'regression']))
      AND (o.change_type IN ('bug', 'ci-failure', 'fix', 'revert') OR list_has_any(o.flags, ['crash', 'regression']))
)
SELECT DISTINCT * FROM links ORDER BY day, direction, kind, other_repo, other_id;
