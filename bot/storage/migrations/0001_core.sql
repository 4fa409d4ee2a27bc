-- casecheck core schema: registry, people and their channels, dialogue state,
-- escalations, audit, durable inbox and outbox, opt-outs.

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    docket_number TEXT NOT NULL,          -- normalised: upper case, no spaces or dashes
    docket_display TEXT NOT NULL,         -- as imported, for staff
    court TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL,
    last_name_key TEXT NOT NULL,          -- casefolded, accents and spaces removed
    first_name TEXT NOT NULL DEFAULT '',
    first_name_key TEXT NOT NULL DEFAULT '',
    date_of_birth TEXT NOT NULL,          -- YYYY-MM-DD
    lab TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('dismissed','pending','not_dismissed','under_review')),
    status_date TEXT,                     -- YYYY-MM-DD
    phone TEXT,                           -- E.164
    phone_wrong INTEGER NOT NULL DEFAULT 0,
    language TEXT,
    notice_code_hash TEXT,
    row_hash TEXT NOT NULL,               -- detects changed rows on re-import
    imported_at TEXT NOT NULL,
    UNIQUE (docket_number, court)
);
CREATE INDEX cases_name_dob ON cases (last_name_key, date_of_birth);
CREATE INDEX cases_dob ON cases (date_of_birth);
CREATE INDEX cases_notice ON cases (notice_code_hash) WHERE notice_code_hash IS NOT NULL;
CREATE INDEX cases_phone ON cases (phone) WHERE phone IS NOT NULL;

-- A person, whatever channels they use. Locale is theirs, across channels.
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    locale TEXT,
    locale_chosen INTEGER NOT NULL DEFAULT 0,   -- an explicit choice always wins
    verified_case_id INTEGER REFERENCES cases(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- How to reach a person: (channel, address) is unique.
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    unreachable INTEGER NOT NULL DEFAULT 0,     -- e.g. Telegram user blocked the bot
    created_at TEXT NOT NULL,
    UNIQUE (channel, address)
);
CREATE INDEX contacts_person ON contacts (person_id);

-- Dialogue state per person: survives restarts.
CREATE TABLE conversations (
    person_id INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    step TEXT,
    awaiting TEXT,
    slots TEXT NOT NULL DEFAULT '{}',           -- JSON
    last_channel TEXT,
    updated_at TEXT NOT NULL
);

-- Transcript: message bodies, deleted after the retention period.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('in','out')),
    channel TEXT NOT NULL,
    body TEXT NOT NULL,
    author TEXT,                                -- 'bot', 'staff:<id>' or NULL for the person
    created_at TEXT NOT NULL
);
CREATE INDEX messages_person ON messages (person_id, id);
CREATE INDEX messages_created ON messages (created_at);

-- Who saw or did what. No personal data in 'detail'.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,                        -- 'bot', 'cli', 'staff:<id>'
    action TEXT NOT NULL,                       -- lookup, disclosure, escalation, import, ...
    outcome TEXT,
    person_id INTEGER,
    case_id INTEGER,
    detail TEXT
);
CREATE INDEX audit_at ON audit (at);

-- Failed (and successful) verification attempts, for the rate limit.
CREATE TABLE lookup_attempts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,                          -- 'sender:<channel>:<address>' or 'docket:<docket>'
    success INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX lookup_attempts_key ON lookup_attempts (key, at);

CREATE TABLE escalations (
    id INTEGER PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,                   -- short reference the person can quote
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    locale TEXT NOT NULL,
    reason TEXT NOT NULL,                       -- 'asked', 'name_only', 'locked_out', ...
    case_id INTEGER REFERENCES cases(id) ON DELETE SET NULL,
    candidates TEXT NOT NULL DEFAULT '[]',      -- JSON list of case ids (name-only lookups)
    summary TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open','claimed','waiting','resolved')),
    claimed_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX escalations_status ON escalations (status, created_at);
CREATE INDEX escalations_person ON escalations (person_id);

-- Opt-outs govern every channel and outreach.
CREATE TABLE optouts (
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    reason TEXT NOT NULL,                       -- 'stop', 'wrong_number', 'provider'
    at TEXT NOT NULL,
    PRIMARY KEY (channel, address)
);

-- Durable inbox: stored (deduplicated) before the provider is acknowledged.
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    address TEXT NOT NULL,
    body TEXT NOT NULL,
    language_hint TEXT,
    media_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','done','failed')),
    received_at TEXT NOT NULL,
    processed_at TEXT,
    UNIQUE (channel, provider_id)
);
CREATE INDEX inbox_pending ON inbox (status, id);

-- Durable outbox: every outbound message, whatever the channel.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    body TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '[]',         -- JSON [{"key","label"}], rendered per channel
    status TEXT NOT NULL DEFAULT 'pending',     -- pending, sending, sent, delivered, undelivered, failed, cancelled
    provider_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    error_code TEXT,
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    inbox_id INTEGER,
    campaign_id INTEGER,
    author TEXT,                                -- 'bot' or 'staff:<id>'
    kind TEXT NOT NULL DEFAULT 'reply',         -- reply, compliance (sent even after opt-out), staff, outreach, alert
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, channel, next_attempt_at);
CREATE INDEX outbox_provider ON outbox (provider_id) WHERE provider_id IS NOT NULL;
