-- The PostgreSQL migration of this version adds servicedesk_audit_append, which appends an
-- audit entry in one round trip; an embedded SQLite database has no round trips to save
-- (store::audit::append does the same in the process). This keeps both backends at the
-- same schema version.
SELECT 1;
