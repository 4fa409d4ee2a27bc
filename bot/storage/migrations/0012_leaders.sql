-- One leader at a time among the instances sharing a database (issue 13): the outreach
-- pacer, so that a campaign's rate holds for the whole deployment. On PostgreSQL a
-- session advisory lock decides who leads and this row only says who (holder,
-- 'host:pid'); on SQLite the row is the lease itself, renewed until lease_until (UTC).
CREATE TABLE leaders (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    since TEXT NOT NULL,
    lease_until TEXT NOT NULL
);
