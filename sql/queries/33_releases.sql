-- Releases over a period (default: the last 30 days held), nightlies apart, newest first.
-- infra-digest sql sql/queries/33_releases.sql --param days 90 --param nightlies true
SELECT day, repo, tag, name, prerelease, nightly, lightweight, published_at, notes_excerpt, url
FROM core.releases
WHERE day >= (SELECT max(day) FROM core.releases) - CAST(coalesce(getvariable('days'), '30') AS INTEGER)
  AND (NOT nightly OR coalesce(getvariable('nightlies'), 'false') = 'true')
ORDER BY day DESC, published_at DESC, repo;
