-- The per-kind queues (/incidents, and each kind's own listing) filter on team or assignee
-- within one kind: indexes that lead with the kind walk only that kind's entries (the
-- cross-kind tickets_team / tickets_assignee stay for GET /tickets across kinds).
CREATE INDEX tickets_kind_team ON tickets (org_id, kind, team_id, created_at, id);
CREATE INDEX tickets_kind_assignee ON tickets (org_id, kind, assignee_id, created_at, id);
