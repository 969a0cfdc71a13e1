-- Everything on one hardware family over a period (default: Blackwell RTX / SM120, last 30 days).
-- infra-digest sql sql/queries/03_hardware_family_over_period.sql --param hw nvidia-hopper --param days 90
SELECT day, repo, item_kind, item_id, change_type, title, url, "precision", models
FROM classified.changes
WHERE list_contains(hardware, coalesce(getvariable('hw'), 'nvidia-blackwell-rtx'))
  AND day >= (SELECT max(day) FROM classified.changes) - CAST(coalesce(getvariable('days'), '30') AS INTEGER)
ORDER BY day DESC, repo, item_kind;
