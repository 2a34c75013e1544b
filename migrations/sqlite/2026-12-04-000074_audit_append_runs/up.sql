-- The PostgreSQL migration of this version appends a batch's audit entries per
-- organization rather than one by one; SQLite appends them in the store's code. This keeps
-- both backends at the same schema version.
SELECT 1;
