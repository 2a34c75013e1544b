DROP INDEX tickets_kind_assignee;
DROP INDEX tickets_kind_team;
