-- Several instances on one database (issue 13).

-- One leader at a time among them: the outreach pacer, so that a campaign's rate holds for the whole deployment. On PostgreSQL a
-- session advisory lock decides who leads and this row only says who (holder,
-- 'host:pid'); on SQLite the row is the lease itself, renewed until lease_until (UTC).
CREATE TABLE leaders (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    since TEXT NOT NULL,
    lease_until TEXT NOT NULL
);

-- A send rate of the whole deployment (``bot/shared_rates.py``), e.g. 'outbox:sms': the
-- pacer's schedule and its window of recent starts (JSON), taken and written back by
-- whichever instance sends next, one at a time.
CREATE TABLE send_rates (
    name TEXT PRIMARY KEY,
    state TEXT NOT NULL
);
