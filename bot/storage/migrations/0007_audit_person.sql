-- The console shows every case the bot disclosed to a person (and flags a sender who
-- was shown several people's cases): found by person in the audit trail.
CREATE INDEX audit_person ON audit (person_id, action) WHERE person_id IS NOT NULL;
