-- Beyond commits (issue 17): releases, hot discussions and references between items, one row per item and
-- (repo, day) partition, derived from raw.events and the core rows by infra_digest.derive.extra.derive_extra.
CREATE SCHEMA IF NOT EXISTS core;

CREATE TABLE IF NOT EXISTS core.releases (
    repo            VARCHAR NOT NULL,
    day             DATE NOT NULL,      -- the day of published_at (UTC unless configured)
    tag             VARCHAR NOT NULL,   -- tag_name
    name            VARCHAR,
    url             VARCHAR NOT NULL,   -- https://github.com/<repo>/releases/tag/<tag>, built from repo and tag
    published_at    TIMESTAMPTZ,
    prerelease      BOOLEAN,            -- as GitHub marks it; NULL for a git tag (a tag says nothing about it)
    nightly         BOOLEAN NOT NULL,   -- nightly / dev / snapshot / dated build, from the tag or the name
    lightweight     BOOLEAN NOT NULL,   -- a lightweight git tag (dated by its commit)
    target          VARCHAR,            -- target_commitish (a branch, or the tagged commit for git tags)
    author_login    VARCHAR,
    notes_excerpt   VARCHAR,            -- extractive summary of the release notes (first items, <= 200 chars)
    notes_items     INTEGER NOT NULL,   -- how many items the notes list
    source          VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS core.discussions (
    repo            VARCHAR NOT NULL,
    day             DATE NOT NULL,      -- the day of updated_at (the last update GitHub reports)
    number          INTEGER NOT NULL,
    is_pr           BOOLEAN NOT NULL,
    title           VARCHAR,
    url             VARCHAR NOT NULL,
    state           VARCHAR,
    author_login    VARCHAR,
    created_at      TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL,
    new_in_day      BOOLEAN NOT NULL,   -- created in the day too
    comments        INTEGER NOT NULL,   -- as GitHub counts them (all time)
    reactions       INTEGER NOT NULL,   -- reactions.total_count (all time)
    heat            INTEGER NOT NULL,   -- comments + reactions
    source          VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS core.references (
    repo            VARCHAR NOT NULL,   -- the referring item's repository
    day             DATE NOT NULL,
    from_kind       VARCHAR NOT NULL,   -- commit | pull_request | issue
    from_id         VARCHAR NOT NULL,   -- sha or number
    kind            VARCHAR NOT NULL,   -- fixes | closes | mentions | reverts
    to_repo         VARCHAR NOT NULL,   -- owner/name (compare with lower(): "owner/repo#N" is read in any case)
    to_kind         VARCHAR NOT NULL,   -- number (an issue or PR number) | commit (a sha)
    to_id           VARCHAR NOT NULL,
    evidence        VARCHAR NOT NULL,   -- the text that backs it ("Fixes #12")
    closed_at       TIMESTAMPTZ         -- fixes/closes: the referred issue of the same repository was closed on
                                        -- the day, per the source's issue data (the closing event); else NULL
);
