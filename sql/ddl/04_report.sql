-- summaries, LLM cache and the final report.
CREATE SCHEMA IF NOT EXISTS summaries;
CREATE SCHEMA IF NOT EXISTS llm;
CREATE SCHEMA IF NOT EXISTS report;

CREATE TABLE IF NOT EXISTS report.daily (
    day          DATE NOT NULL,
    lang         VARCHAR NOT NULL,
    markdown     VARCHAR NOT NULL,
    html         VARCHAR NOT NULL,
    generated_at TIMESTAMPTZ NOT NULL,
    summarizer   VARCHAR NOT NULL,   -- extractive | llm:<model> (with fallbacks counted in stats)
    stats        JSON NOT NULL       -- repos, commits, prs, issues, sources, failed repos, ...
);

-- One text per item (issue gist, notable PR gist) and per section of a day, per language.
CREATE TABLE IF NOT EXISTS summaries.items (
    day             DATE NOT NULL,
    repo            VARCHAR NOT NULL,
    lang            VARCHAR NOT NULL,
    item_kind       VARCHAR NOT NULL,   -- issue | pull_request | commit
    item_id         VARCHAR NOT NULL,
    text            VARCHAR NOT NULL,
    summarizer      VARCHAR NOT NULL,   -- extractive | llm:<model>
    fallback_reason VARCHAR             -- why the LLM answer was not used, when it was not
);

CREATE TABLE IF NOT EXISTS summaries.digests (
    day             DATE NOT NULL,
    lang            VARCHAR NOT NULL,
    section         VARCHAR NOT NULL,   -- summary | overview | repo
    repo            VARCHAR,            -- for section = repo
    text            VARCHAR NOT NULL,
    summarizer      VARCHAR NOT NULL,
    fallback_reason VARCHAR
);
