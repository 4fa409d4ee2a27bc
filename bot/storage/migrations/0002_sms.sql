-- SMS channel and delivery bookkeeping (issue 3).

-- Handler attempts per inbox row: a message that keeps failing is marked 'failed'
-- after a few tries instead of looping forever across restarts.
ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- Replies to one address leave in order: find an address's earlier unsent rows fast.
CREATE INDEX outbox_address ON outbox (channel, address, status, id);

-- The rest of a long SMS reply, sent when the person texts MORE (one per address).
CREATE TABLE sms_more (
    address TEXT PRIMARY KEY,
    body TEXT NOT NULL,                         -- already rendered text, re-split on send
    created_at TEXT NOT NULL
);

-- Status callbacks that arrived before the sender recorded the provider id
-- (a fast provider can call back before our own "sent" commit); applied then.
CREATE TABLE provider_status_early (
    provider_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    error_code TEXT,
    at TEXT NOT NULL
);
