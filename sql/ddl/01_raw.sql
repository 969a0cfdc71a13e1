-- raw: what the sources returned, unchanged. One row per item and (repo, day) partition.
CREATE SCHEMA IF NOT EXISTS raw;

CREATE TABLE IF NOT EXISTS raw.events (
    repo        VARCHAR NOT NULL,   -- owner/name
    day         DATE NOT NULL,      -- the partition day (UTC unless configured)
    kind        VARCHAR NOT NULL,   -- commit | issue | pull
    id          VARCHAR NOT NULL,   -- commit sha, or issue/PR number
    payload     JSON NOT NULL,      -- the GitHub REST object as the source returned it
    source      VARCHAR NOT NULL,   -- replay | github | git
    fetched_at  TIMESTAMPTZ NOT NULL
);

-- The outcome of the last fetch of each (repo, day): a failed fetch leaves raw.events untouched
-- and is recorded here, so the report can say "could not be read" instead of "no activity".
CREATE TABLE IF NOT EXISTS raw.fetch_log (
    repo        VARCHAR NOT NULL,
    day         DATE NOT NULL,
    source      VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,   -- ok | failed
    error       VARCHAR,            -- user-facing reason when failed
    notes       JSON,               -- non-fatal remarks (truncated file lists, stale mirror, ...)
    stats       JSON,               -- requests, cache hits, items, ...
    items       INTEGER NOT NULL,
    fetched_at  TIMESTAMPTZ NOT NULL,
    stale       BOOLEAN,            -- the source answered from data that may be out of date (DayBatch.stale)
    digest      VARCHAR,            -- hash of what the fetch gave (status, error, every item): equal = unchanged
    changed_at  TIMESTAMPTZ         -- when that digest last changed: a report is fresh if generated after it
);
-- Histories created before these columns: add them (NULL on old rows; readers fall back to fetched_at).
ALTER TABLE raw.fetch_log ADD COLUMN IF NOT EXISTS stale BOOLEAN;
ALTER TABLE raw.fetch_log ADD COLUMN IF NOT EXISTS digest VARCHAR;
ALTER TABLE raw.fetch_log ADD COLUMN IF NOT EXISTS changed_at TIMESTAMPTZ;

-- HTTP validators for conditional requests (GitHub source): a re-run costs 304s.
CREATE TABLE IF NOT EXISTS raw.http_cache (
    url         VARCHAR NOT NULL,   -- full request URL without credentials
    etag        VARCHAR,
    last_modified VARCHAR,
    body        JSON,               -- the last 200 body for that URL
    link        VARCHAR,            -- its Link header (pagination)
    fetched_at  TIMESTAMPTZ NOT NULL
);
