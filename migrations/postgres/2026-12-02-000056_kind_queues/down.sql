DROP INDEX tickets_any_created;
DROP INDEX tickets_any_sla;
DROP INDEX tickets_any_priority;
DROP INDEX tickets_kind_team;
