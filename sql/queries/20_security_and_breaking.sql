-- What matters beside the change type: every flagged change (security, breaking, default-change, regression,
-- crash, release), most serious first, with the rule that set each flag.  Needs classified.changes.flags
-- (VARCHAR[]; see docs/taxonomy.md, "flags").  Narrow it with e.g. `AND day >= DATE '2026-02-01'`.
SELECT
    day,
    repo,
    item_kind,
    item_id,
    change_type,
    flags,
    list_filter(rules, r -> starts_with(r, 'flags:')) AS flag_rules,
    title,
    url
FROM classified.changes
WHERE len(flags) > 0
ORDER BY
    day DESC,
    list_contains(flags, 'security') DESC,
    list_contains(flags, 'breaking') DESC,
    list_contains(flags, 'regression') DESC,
    list_contains(flags, 'crash') DESC,
    list_contains(flags, 'default-change') DESC,
    list_contains(flags, 'release') DESC,
    repo,
    item_id;
