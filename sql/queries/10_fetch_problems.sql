-- Repository-days whose last fetch failed (the report marks them), newest first.
SELECT day, repo, source, error, fetched_at FROM raw.fetch_log WHERE status = 'failed' ORDER BY day DESC, repo;
