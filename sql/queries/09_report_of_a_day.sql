-- A day's report text (default: the latest day; --param day 2026-02-18 --param lang en).
SELECT day, lang, summarizer, generated_at, markdown
FROM report.daily
WHERE day = coalesce(CAST(getvariable('day') AS DATE), (SELECT max(day) FROM report.daily))
  AND lang = coalesce(getvariable('lang'), 'zh');
