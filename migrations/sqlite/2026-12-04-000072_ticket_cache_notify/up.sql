-- The PostgreSQL migration of this version announces ticket changes to other server
-- processes' caches; an embedded SQLite database has one process and no caches. This keeps
-- both backends at the same schema version.
SELECT 1;
