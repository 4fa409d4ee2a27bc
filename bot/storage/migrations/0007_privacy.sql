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
