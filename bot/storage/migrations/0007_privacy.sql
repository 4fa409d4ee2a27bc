-- Privacy (issue 17): the registry's own person record, and no raw keys or codes.

-- The registry's identifier of a person (CSV column person_id): "other cases" are
-- only the cases the registry files under the same person, never namesakes.
ALTER TABLE cases ADD COLUMN person_ref TEXT;
CREATE INDEX cases_person ON cases (person_ref) WHERE person_ref IS NOT NULL;

-- Attempt keys are now stored hashed; the raw ones (phone numbers, dockets, emails,
-- addresses) cannot be hashed in SQL, and they only matter inside a short window.
DELETE FROM lookup_attempts;
DELETE FROM login_attempts;

-- Deep-link notice codes are now stored as their hash; raw codes are dropped.
UPDATE inbox SET notice_code = NULL WHERE notice_code IS NOT NULL;

-- Retention erases every copy; each purge reads only rows it still has to change
-- (a changed row leaves these partial indexes), as the body purges already do.
CREATE INDEX inbox_erase ON inbox (received_at) WHERE address <> '';
CREATE INDEX outbox_erase ON outbox (created_at) WHERE address <> '';
CREATE INDEX conversations_erase ON conversations (updated_at)
    WHERE slots <> '{}' OR step IS NOT NULL;
CREATE INDEX escalations_erase ON escalations (updated_at)
    WHERE status = 'resolved' AND address <> '';
CREATE INDEX outreach_recipients_erase ON outreach_recipients (campaign_id)
    WHERE address NOT LIKE 'erased:%';
CREATE INDEX lookup_attempts_at ON lookup_attempts (at);
CREATE INDEX login_attempts_at ON login_attempts (at);
-- "Forget me" unlinks the person from their audit rows.
CREATE INDEX audit_person ON audit (person_id) WHERE person_id IS NOT NULL;
