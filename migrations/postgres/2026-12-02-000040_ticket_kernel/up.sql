-- The ticket kernel (issue 10): incidents become one kind of ticket. One `tickets` table
-- holds what every kind shares, numbered per (organization, kind); `incident_details`
-- holds what only incidents have; comments, tasks and history hang off `ticket_id`.
-- Every row stays where it is (PostgreSQL renames in place); ids, numbers, versions and
-- times do not change. The SQLite folder holds the same step as a table rebuild.

DROP INDEX incidents_id, incidents_queue_created, incidents_queue_updated,
    incidents_queue_priority, incidents_queue_sla, incidents_status, incidents_team,
    incidents_assignee, incidents_requester, incidents_sla_monitor, incidents_status_priority,
    incidents_priority_created, incidents_resolved_at, comments_incident, tasks_incident,
    ticket_history_incident;

ALTER TABLE incidents RENAME TO tickets;
ALTER TABLE tickets RENAME CONSTRAINT incidents_pkey TO tickets_pkey;
ALTER TABLE tickets DROP CONSTRAINT incidents_org_id_number_key;
ALTER TABLE tickets ADD COLUMN kind TEXT NOT NULL DEFAULT 'incident';
ALTER TABLE tickets ALTER COLUMN kind DROP DEFAULT;
ALTER TABLE tickets ADD CONSTRAINT tickets_org_id_kind_number_key UNIQUE (org_id, kind, number);
ALTER TABLE tickets ADD COLUMN status_class TEXT;
UPDATE tickets SET status_class = CASE status WHEN 'on_hold' THEN 'pending' WHEN 'resolved' THEN 'resolved' WHEN 'closed' THEN 'closed' WHEN 'cancelled' THEN 'closed' ELSE 'open' END;
ALTER TABLE tickets ALTER COLUMN status_class SET NOT NULL;
ALTER TABLE tickets ADD COLUMN sla_state TEXT;
UPDATE tickets SET sla_state = CASE
        WHEN sla IS NULL THEN 'none'
        WHEN (sla::json -> 'response' ->> 'breached_at') IS NOT NULL
          OR (sla::json -> 'resolution' ->> 'breached_at') IS NOT NULL THEN 'breached'
        WHEN (sla::json -> 'response' ->> 'warned_at') IS NOT NULL
          OR (sla::json -> 'resolution' ->> 'warned_at') IS NOT NULL THEN 'warning'
        ELSE 'ok'
    END;
ALTER TABLE tickets ALTER COLUMN sla_state SET NOT NULL;

CREATE TABLE incident_details (
    org_id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    escalation_level INTEGER NOT NULL,
    resolution_code TEXT,
    resolution_notes TEXT,
    PRIMARY KEY (org_id, ticket_id),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets(org_id, id)
);

-- Typed links between tickets of any kind (duplicate_of, caused_by, parent_of,
-- relates_to), stored once from the source's side and shown on both ends.
CREATE TABLE ticket_links (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    link_type TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, source_id, target_id, link_type),
    FOREIGN KEY (org_id, source_id) REFERENCES tickets(org_id, id),
    FOREIGN KEY (org_id, target_id) REFERENCES tickets(org_id, id)
);
CREATE INDEX ticket_links_target ON ticket_links (org_id, target_id, link_type);
INSERT INTO incident_details (org_id, ticket_id, escalation_level, resolution_code, resolution_notes)
SELECT org_id, id, escalation_level, resolution_code, resolution_notes FROM tickets;
ALTER TABLE tickets DROP COLUMN escalation_level, DROP COLUMN resolution_code,
    DROP COLUMN resolution_notes;

ALTER TABLE comments RENAME COLUMN incident_id TO ticket_id;
ALTER TABLE ticket_history RENAME COLUMN incident_id TO ticket_id;
ALTER TABLE tasks RENAME COLUMN incident_id TO ticket_id;
-- Tasks gain a team: fulfilment templates route each task, and GET /tasks filters on it.
ALTER TABLE tasks ADD COLUMN team_id TEXT;
ALTER TABLE notifications RENAME COLUMN incident_id TO ticket_id;

CREATE UNIQUE INDEX tickets_id ON tickets (id);
CREATE INDEX tickets_queue_created ON tickets (org_id, kind, created_at, id);
CREATE INDEX tickets_queue_updated ON tickets (org_id, kind, updated_at, id);
CREATE INDEX tickets_queue_priority ON tickets (org_id, kind, priority_rank, created_at, id);
CREATE INDEX tickets_queue_sla ON tickets (org_id, kind, sla_sort_key, id);
CREATE INDEX tickets_status ON tickets (org_id, kind, status, created_at, id);
CREATE INDEX tickets_status_priority ON tickets (org_id, kind, status, priority_rank, created_at, id);
CREATE INDEX tickets_priority_created ON tickets (org_id, kind, priority, created_at, id);
-- The cross-kind queues (GET /tickets): by class, team, assignee, requester.
CREATE INDEX tickets_class ON tickets (org_id, status_class, created_at, id);
CREATE INDEX tickets_team ON tickets (org_id, team_id, created_at, id);
CREATE INDEX tickets_assignee ON tickets (org_id, assignee_id, created_at, id);
CREATE INDEX tickets_requester ON tickets (org_id, requester_id, created_at, id);
-- The SLA monitor scans only tickets with a pending instant.
CREATE INDEX tickets_sla_monitor ON tickets (next_sla_due_at) WHERE next_sla_due_at IS NOT NULL AND deleted_at IS NULL;
-- Auto-close reads resolved tickets of an organization oldest first.
CREATE INDEX tickets_resolved_at ON tickets (org_id, resolved_at) WHERE status_class = 'resolved' AND deleted_at IS NULL;
CREATE INDEX comments_ticket ON comments (org_id, ticket_id, created_at);
CREATE INDEX tasks_ticket ON tasks (org_id, ticket_id, status);
CREATE INDEX tasks_assignee ON tasks (org_id, assignee_id, status, created_at, id);
CREATE INDEX tasks_team ON tasks (org_id, team_id, status, created_at, id);
CREATE INDEX ticket_history_ticket ON ticket_history (org_id, ticket_id, at, id);
