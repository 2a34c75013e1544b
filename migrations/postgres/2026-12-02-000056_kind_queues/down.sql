DROP INDEX tickets_kind_team;
