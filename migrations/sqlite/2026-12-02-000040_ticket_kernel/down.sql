-- The kernel cannot be taken apart once other kinds exist; going back means restoring the
-- backup taken before the upgrade (docs/operations.md). Calling a function that does not
-- exist makes the revert fail with its name as the message.
SELECT the_ticket_kernel_migration_is_not_reversible_restore_a_backup();
