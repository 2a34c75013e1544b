-- A team's queue within one kind (/incidents?team_id=…, a kind's own listing) walks only
-- that kind's entries of the team; the cross-kind tickets_team stays for GET /tickets.
-- (An assignee index of the same shape was measured and left out: it gave the planner a
-- way to sort a requester's whole history instead of walking the requester index.)
CREATE INDEX tickets_kind_team ON tickets (org_id, kind, team_id, created_at, id);
