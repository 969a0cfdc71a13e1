-- deliveries: what was sent to whom, for which period (schema report is created in 04_report.sql).

-- One row per attempt round of one channel of one subscription for one period: append-only history.
-- A (subscription, period_key, channel) with a row of status 'sent' is never sent again (unless --resend);
-- one whose latest row is 'failed' is retried by the next `deliver`. Never holds a URL, a token or a password:
-- `channel` is the channel's name from the subscriptions file, or "<scheme>#<n>" (its position in `to`).
--   SELECT subscription, period_key, channel, arg_max(status, created_at) AS status FROM report.deliveries GROUP BY ALL;
CREATE TABLE IF NOT EXISTS report.deliveries (
    subscription VARCHAR NOT NULL,      -- the subscription's unique name
    kind         VARCHAR NOT NULL,      -- digest | alert
    period_key   VARCHAR NOT NULL,      -- daily:2026-02-18 | weekly:2026-02-12..2026-02-18 | alert:incomplete:<day>:<hash> | alert:run:<id>
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    lang         VARCHAR NOT NULL,
    channel      VARCHAR NOT NULL,      -- channel name or "<scheme>#<n>", never the URL
    status       VARCHAR NOT NULL,      -- sent | failed
    attempts     INTEGER NOT NULL,      -- tries in this round
    error        VARCHAR,               -- why it failed, with every secret value removed
    items        INTEGER NOT NULL,      -- items in the message
    chars        INTEGER NOT NULL,      -- length of the message body sent
    truncated    BOOLEAN NOT NULL,      -- the channel's limit left items out (the message links to the site)
    resend       BOOLEAN NOT NULL,      -- sent again on request (--resend)
    created_at   TIMESTAMPTZ NOT NULL
);
