-- The import compares a case's columns with the file's row instead of a hash of them
-- (issue 19): the hash cost the parser a second of a million-row file and each case
-- 33 bytes. Dropping a column rewrites the table on SQLite: a moment for a registry of
-- this size.
ALTER TABLE cases DROP COLUMN row_hash;
