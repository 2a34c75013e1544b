-- The PostgreSQL migration of this version declares the keys of a ticket's detail,
-- comment and history rows deferred; SQLite defers its foreign keys for a create's
-- transaction with PRAGMA defer_foreign_keys (store::writes::defer_foreign_keys). This
-- keeps both backends at the same schema version.
SELECT 1;
