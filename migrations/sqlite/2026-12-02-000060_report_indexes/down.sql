DROP INDEX tickets_resolved_since;
