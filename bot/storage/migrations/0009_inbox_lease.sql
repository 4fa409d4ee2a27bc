-- Inbox rows are claimed before a turn handles them: a lease held by one worker
-- (claimed_by, a random id per process) until claimed_until (ISO-8601 UTC), renewed
-- while the row is in hand. Another worker takes a row over only once its lease has
-- expired (its process died), so no row is handled by two workers at once.
ALTER TABLE inbox ADD COLUMN claimed_by TEXT;
ALTER TABLE inbox ADD COLUMN claimed_until TEXT;
