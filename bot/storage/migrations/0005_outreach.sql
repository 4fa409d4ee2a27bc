-- Outreach campaigns (issue 7): campaigns, one row per recipient, early status callbacks.

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    filters TEXT NOT NULL DEFAULT '{}',         -- JSON audience: labs, statuses, courts, languages, channel, include_reached
    texts TEXT NOT NULL DEFAULT '{}',           -- JSON {locale: message}; missing locales use the catalog default
    start_at TEXT,                              -- UTC; NULL: as soon as launched
    state TEXT NOT NULL DEFAULT 'draft'
        CHECK (state IN ('draft','scheduled','running','paused','cancelled','done')),
    created_by TEXT NOT NULL,                   -- 'staff:<id>' or 'cli'
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    launched_at TEXT,
    finished_at TEXT,
    runner TEXT,                                -- 'host:pid' of the process sending it
    lease_until TEXT                            -- the runner renews this while it sends
);
CREATE INDEX campaigns_state ON campaigns (state, start_at);

-- One row per (campaign, address): a person gets a campaign at most once.
-- pending -> sending (persisted before the provider is called) -> sent ->
-- delivered | failed; or skipped (reason: opted_out, wrong_number, unreachable,
-- cancelled). A row found 'sending' after a crash is reconciled with the provider.
CREATE TABLE outreach_recipients (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    case_id INTEGER REFERENCES cases(id) ON DELETE SET NULL,
    locale TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending','sending','sent','delivered','failed','skipped')),
    reason TEXT,                                -- why skipped or failed (a code, no personal data)
    provider_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,                       -- a retry waits until then (UTC)
    attempted_at TEXT,                          -- when the last attempt was claimed
    sent_at TEXT,
    done_at TEXT,                               -- delivered, failed or skipped
    replied_at TEXT,                            -- first reply after the message
    created_at TEXT NOT NULL,
    UNIQUE (campaign_id, channel, address)
);
CREATE INDEX outreach_recipients_todo ON outreach_recipients (campaign_id, state, id);
CREATE INDEX outreach_recipients_address ON outreach_recipients (channel, address, sent_at);
CREATE INDEX outreach_recipients_case ON outreach_recipients (case_id);
CREATE INDEX outreach_recipients_provider ON outreach_recipients (provider_id)
    WHERE provider_id IS NOT NULL;

-- Status callbacks that arrive before the sender recorded the message id.
CREATE TABLE outreach_status_early (
    provider_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    error_code TEXT,
    at TEXT NOT NULL
);
