-- Queues filtered by status and sorted by priority (the agent's "open work, most urgent
-- first" view) read only matching rows instead of walking the whole priority index.
CREATE INDEX incidents_status_priority ON incidents (org_id, status, priority_rank, created_at, id);
CREATE INDEX incidents_priority_created ON incidents (org_id, priority, created_at, id);
