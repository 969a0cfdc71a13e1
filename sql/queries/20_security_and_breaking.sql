-- What matters beside the change type: every flagged change (security, breaking, default-change, regression,
-- crash, release), most serious first, with the rule that set each flag (see docs/taxonomy.md, "flags").
-- The flags are read from `rules` ("flags:<id><-<rule>"), which holds them whether or not the table has its
-- `flags` column yet.  Narrow it with e.g. `AND day >= DATE '2026-02-01'`.
WITH flagged AS (
    SELECT
        *,
        list_filter(rules, r -> starts_with(r, 'flags:')) AS flag_rules,
        list_transform(list_filter(rules, r -> starts_with(r, 'flags:')),
                       r -> split_part(split_part(r, '<-', 1), ':', 2)) AS flag_ids
    FROM classified.changes
)
SELECT day, repo, item_kind, item_id, change_type, flag_ids AS flags, flag_rules, title, url
FROM flagged
WHERE len(flag_ids) > 0
ORDER BY
    day DESC,
    list_contains(flag_ids, 'security') DESC,
    list_contains(flag_ids, 'breaking') DESC,
    list_contains(flag_ids, 'regression') DESC,
    list_contains(flag_ids, 'crash') DESC,
    list_contains(flag_ids, 'default-change') DESC,
    list_contains(flag_ids, 'release') DESC,
    repo,
    item_id;
