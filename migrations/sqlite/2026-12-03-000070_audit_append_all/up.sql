-- The PostgreSQL migration of this version lets its audit hash be inlined and appends a
-- batch's audit entries in one round trip; an embedded SQLite database has neither
-- (store::audit::append runs in the process). This keeps both backends at the same
-- schema version.
SELECT 1;
