-- A team's queue within one kind (/incidents?team_id=…, a kind's own listing) walks only
-- that kind's entries of the team; the cross-kind tickets_team stays for GET /tickets.
-- (An assignee index of the same shape was measured and left out: it gave the planner a
-- way to sort a requester's whole history instead of walking the requester index.)
CREATE INDEX tickets_kind_team ON tickets (org_id, kind, team_id, created_at, id);
-- The cross-kind queues (GET /tickets, the console's queue) sorted by priority, SLA due or
-- age: without these, "all I can see, most urgent first" sorted every ticket of the
-- organization for each page (1.1 s a page on a million tickets; 0.3 ms with the index).
CREATE INDEX tickets_any_priority ON tickets (org_id, priority_rank, created_at, id);
CREATE INDEX tickets_any_sla ON tickets (org_id, sla_sort_key, id);
CREATE INDEX tickets_any_created ON tickets (org_id, created_at, id);
-- Statistics for the new indexes now: a planner that sees an index without them may take it
-- for selective and sort a whole organization for one page (docs/operations.md).
ANALYZE tickets;
