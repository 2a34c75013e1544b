-- The PostgreSQL migration of this version adds the triggers that tell other server
-- processes to flush their caches; an embedded SQLite database has one process and no
-- caches. This keeps both backends at the same schema version.
SELECT 1;
