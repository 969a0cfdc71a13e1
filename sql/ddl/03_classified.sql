-- classified: one row per commit, pull request and issue of a day, with explainable labels.
CREATE SCHEMA IF NOT EXISTS classified;

CREATE TABLE IF NOT EXISTS classified.changes (
    repo        VARCHAR NOT NULL,
    day         DATE NOT NULL,
    item_kind   VARCHAR NOT NULL,   -- commit | pull_request | issue
    item_id     VARCHAR NOT NULL,   -- sha for commits, number for PRs and issues
    title       VARCHAR,
    url         VARCHAR NOT NULL,
    change_type VARCHAR NOT NULL,   -- commits/PRs: fix feature perf refactor docs test ci build revert other;
                                    -- issues: bug feature-request question roadmap ci-failure other
    hardware    VARCHAR[] NOT NULL,
    "precision" VARCHAR[] NOT NULL,
    topics      VARCHAR[] NOT NULL,
    models      VARCHAR[] NOT NULL,
    rules       VARCHAR[] NOT NULL, -- "label<-rule" for every label set, so each can be explained
    flags       VARCHAR[]           -- what the classifier found suspicious in the input (Labels.flags), else []
);
-- Histories created before the flags column: add it (a no-op on new ones).
ALTER TABLE classified.changes ADD COLUMN IF NOT EXISTS flags VARCHAR[];
