-- LLM answers and usage (schema llm is created in 04_report.sql).

-- Validated answers, keyed by sha256(model + full prompt): re-materializing a day asks the model nothing.
-- `response` is a JSON envelope {"parts": {part: text}, "rejected": {part: reason}}: only text that passed
-- validation is stored; for a part that failed validation (after its one retry) only the reason is kept,
-- so that the same prompt is not asked again (it is, as soon as the model, the prompt or the data change).
CREATE TABLE IF NOT EXISTS llm.cache (
    key               VARCHAR NOT NULL,   -- sha256(model + full prompt)
    model             VARCHAR NOT NULL,
    prompt_hash       VARCHAR NOT NULL,   -- sha256(full prompt)
    response          VARCHAR NOT NULL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    cost_usd          DOUBLE,
    created_at        TIMESTAMPTZ NOT NULL
);

-- One row per model request (cached = false) and per cache hit (cached = true, no tokens): append-only history.
--   SELECT day, lang, count(*) FILTER (NOT cached) AS calls, sum(prompt_tokens), sum(cost_usd) FROM llm.calls GROUP BY ALL;
CREATE TABLE IF NOT EXISTS llm.calls (
    day               DATE NOT NULL,
    lang              VARCHAR NOT NULL,
    section           VARCHAR NOT NULL,   -- repo:<owner/name>[:<chunk>] | summary | overview, + " retry" for a retry
    model             VARCHAR NOT NULL,
    cached            BOOLEAN NOT NULL,
    ok                BOOLEAN NOT NULL,   -- the request returned an answer and every part of it validated
    fallback_reason   VARCHAR,            -- what failed (transport error or validation), when something did
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    cost_usd          DOUBLE,
    seconds           DOUBLE,
    created_at        TIMESTAMPTZ NOT NULL
);
