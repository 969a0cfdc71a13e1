-- Every GitHub URL a report may link to: stored commits, pull requests, issues and watched repositories
-- (asset check report_links_resolve).
SELECT url FROM core.commits UNION SELECT url FROM core.pull_requests UNION SELECT url FROM core.issues
UNION SELECT 'https://github.com/' || repo || '/pull/' || pr_number FROM core.commits WHERE pr_number IS NOT NULL
UNION SELECT DISTINCT 'https://github.com/' || repo FROM raw.fetch_log
