-- core: typed facts, one row per item and day, derived from raw.events by infra_digest.transform.
CREATE SCHEMA IF NOT EXISTS core;

CREATE TABLE IF NOT EXISTS core.commits (
    repo            VARCHAR NOT NULL,
    day             DATE NOT NULL,
    sha             VARCHAR NOT NULL,
    short_sha       VARCHAR NOT NULL,   -- first 7 characters
    title           VARCHAR NOT NULL,   -- first line of the message
    message         VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,   -- https://github.com/<repo>/commit/<sha>
    author_name     VARCHAR,
    author_email    VARCHAR,
    author_login    VARCHAR,
    authored_at     TIMESTAMPTZ,
    committer_name  VARCHAR,
    committer_email VARCHAR,
    committed_at    TIMESTAMPTZ NOT NULL,
    parents         VARCHAR[] NOT NULL,
    is_merge        BOOLEAN NOT NULL,
    pr_number       INTEGER,            -- from "(#123)" at the end of the title or "Merge pull request #123"
    files_changed   INTEGER NOT NULL,
    additions       INTEGER NOT NULL,
    deletions       INTEGER NOT NULL,
    files           JSON NOT NULL,      -- [{filename, status, additions, deletions, previous_filename}]
    files_truncated BOOLEAN NOT NULL,   -- the source could not list every file (GitHub caps at 3000)
    source          VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS core.pull_requests (
    repo            VARCHAR NOT NULL,
    day             DATE NOT NULL,
    number          INTEGER NOT NULL,
    title           VARCHAR,            -- NULL when the source does not know it
    body            VARCHAR,
    url             VARCHAR NOT NULL,
    author_login    VARCHAR,
    state           VARCHAR,
    labels          VARCHAR[] NOT NULL,
    created_at      TIMESTAMPTZ,
    merged_at       TIMESTAMPTZ,
    opened_in_day   BOOLEAN NOT NULL,
    merged_in_day   BOOLEAN NOT NULL,
    merge_commit_sha VARCHAR,
    additions       INTEGER,
    deletions       INTEGER,
    changed_files   INTEGER,
    source          VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS core.issues (
    repo            VARCHAR NOT NULL,
    day             DATE NOT NULL,
    number          INTEGER NOT NULL,
    title           VARCHAR,            -- NULL when the source does not know it
    body            VARCHAR,
    url             VARCHAR NOT NULL,
    author_login    VARCHAR,
    state           VARCHAR,
    labels          VARCHAR[] NOT NULL,
    created_at      TIMESTAMPTZ,        -- NULL when only the day is known
    comments        INTEGER,
    source          VARCHAR NOT NULL
);
