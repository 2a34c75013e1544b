-- The kernel cannot be taken apart once other kinds exist; going back means restoring the
-- backup taken before the upgrade (docs/operations.md).
DO $$ BEGIN RAISE EXCEPTION 'the ticket kernel migration is not reversible; restore a backup'; END $$;
