-- The console shows every case the bot disclosed to a person (and flags a sender who
-- was shown several people's cases): found by person and action in the audit trail.
-- It replaces 0007's index on person_id alone, which "forget me" also uses.
DROP INDEX IF EXISTS audit_person;
CREATE INDEX audit_person ON audit (person_id, action) WHERE person_id IS NOT NULL;
