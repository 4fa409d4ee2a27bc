-- Indexes for queries that otherwise read a whole table that grows with every message
-- (checked with EXPLAIN QUERY PLAN on 200k people, 1M messages, 400k inbox and 600k
-- outbox rows).

-- Retention: the hourly purge finds the bodies still to blank by age. Partial indexes:
-- a blanked row leaves them, so each purge reads only what it changes (it used to scan
-- both tables, holding the write lock that every webhook waits for).
CREATE INDEX inbox_purge ON inbox (received_at) WHERE body <> '';
CREATE INDEX outbox_purge ON outbox (created_at) WHERE body <> '';

-- "Forget me" blanks the inbox rows of the person's contacts, found by address.
CREATE INDEX inbox_address ON inbox (channel, address);

-- Linking a Telegram chat to the SMS contact of a case moves the SMS person's outbox
-- rows to the Telegram person, inside a conversation turn (like their contacts,
-- transcript and escalations, which have their person index already).
CREATE INDEX outbox_person ON outbox (person_id);
