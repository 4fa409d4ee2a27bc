-- Staff console (issue 6): accounts, sessions, login limits, escalation history and notes.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('admin','staff','advocate')),
    password_hash TEXT NOT NULL,                -- argon2id
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- Only a hash of the session token is stored: a copied database logs no one in.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Console sign-in attempts, per account ('account:<email>') and per address ('address:<ip>').
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    success INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts (key, at);

-- Who did what to an escalation, and when (the history on its page).
CREATE TABLE escalation_events (
    id INTEGER PRIMARY KEY,
    escalation_id INTEGER NOT NULL REFERENCES escalations(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,                        -- 'staff:<id>', 'person', 'bot'
    action TEXT NOT NULL,                       -- claimed, replied, waiting, resolved, noted, ...
    at TEXT NOT NULL
);
CREATE INDEX escalation_events_esc ON escalation_events (escalation_id, id);

-- Internal notes: never sent to the person.
CREATE TABLE escalation_notes (
    id INTEGER PRIMARY KEY,
    escalation_id INTEGER NOT NULL REFERENCES escalations(id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX escalation_notes_esc ON escalation_notes (escalation_id, id);

-- Live handoff: when the person last wrote into the thread, and whether they were
-- told (once) when to expect an answer outside office hours.
ALTER TABLE escalations ADD COLUMN person_wrote_at TEXT;
ALTER TABLE escalations ADD COLUMN after_hours_told INTEGER NOT NULL DEFAULT 0;

-- The queue pages are index walks that stop at the page's last row: every escalation
-- by age (index entries end with the rowid, so "ORDER BY created_at, id" is in index
-- order), and the unresolved ones by age, language or channel (partial indexes:
-- resolved escalations are most rows). escalations_status serves one status.
CREATE INDEX escalations_active ON escalations (created_at, id) WHERE status != 'resolved';
-- (each carries the other filter's column, so both filters are checked in the index)
CREATE INDEX escalations_active_locale ON escalations (locale, created_at, channel)
    WHERE status != 'resolved';
CREATE INDEX escalations_active_channel ON escalations (channel, created_at, locale)
    WHERE status != 'resolved';
CREATE INDEX escalations_created ON escalations (created_at);
