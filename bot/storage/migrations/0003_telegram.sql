-- Telegram channel (issue 4): deep-link codes in the inbox, staff alerts.

-- A notice code received out of band (Telegram /start CODE), handed to the dialogue
-- as Inbound.notice_code; the message body itself stays '/start'.
ALTER TABLE inbox ADD COLUMN notice_code TEXT;

-- Escalations already announced in the staff chat (by reference), so each one is
-- announced once, across restarts.
CREATE TABLE telegram_alerts (
    ref TEXT PRIMARY KEY,
    outbox_id INTEGER,
    at TEXT NOT NULL
);

-- When staff alerts were first switched on: older escalations are not announced.
CREATE TABLE telegram_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
