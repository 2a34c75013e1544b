-- The ticket kernel (issue 10): incidents become one kind of ticket. One `tickets` table
-- holds what every kind shares, numbered per (organization, kind); `incident_details`
-- holds what only incidents have; comments, tasks and history hang off `ticket_id`.
-- Every row of the old tables moves; ids, numbers, versions and times stay as they were.
-- SQLite cannot drop a table constraint, so the tables are rebuilt: new table, copy,
-- drop the old one (children first, so no foreign key ever points nowhere), rename.

CREATE TABLE tickets (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    impact TEXT NOT NULL,
    urgency TEXT NOT NULL,
    priority TEXT NOT NULL,
    priority_rank INTEGER NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    status_class TEXT NOT NULL,
    requester_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    team_id TEXT,
    assignee_id TEXT,
    resolved_at TIMESTAMP,
    closed_at TIMESTAMP,
    first_responded_at TIMESTAMP,
    sla_policy_id TEXT,
    sla TEXT,
    sla_state TEXT NOT NULL,
    next_sla_due_at TIMESTAMP,
    sla_sort_key TIMESTAMP NOT NULL,
    sla_claimed_until TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, kind, number)
);
INSERT INTO tickets (org_id, id, kind, number, title, description, impact, urgency, priority,
    priority_rank, category, status, status_class, requester_id, created_by, team_id, assignee_id,
    resolved_at, closed_at, first_responded_at, sla_policy_id, sla, sla_state, next_sla_due_at,
    sla_sort_key, sla_claimed_until, version, created_at, updated_at, deleted_at)
SELECT org_id, id, 'incident', number, title, description, impact, urgency, priority,
    priority_rank, category, status, CASE status WHEN 'on_hold' THEN 'pending' WHEN 'resolved' THEN 'resolved' WHEN 'closed' THEN 'closed' WHEN 'cancelled' THEN 'closed' ELSE 'open' END, requester_id, created_by, team_id, assignee_id,
    resolved_at, closed_at, first_responded_at, sla_policy_id, sla,
    CASE
        WHEN sla IS NULL THEN 'none'
        WHEN json_extract(sla, '$.response.breached_at') IS NOT NULL
          OR json_extract(sla, '$.resolution.breached_at') IS NOT NULL THEN 'breached'
        WHEN json_extract(sla, '$.response.warned_at') IS NOT NULL
          OR json_extract(sla, '$.resolution.warned_at') IS NOT NULL THEN 'warning'
        ELSE 'ok'
    END,
    next_sla_due_at, sla_sort_key, sla_claimed_until, version, created_at, updated_at, deleted_at
FROM incidents;

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
SELECT org_id, id, escalation_level, resolution_code, resolution_notes FROM incidents;

CREATE TABLE comments_new (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    body TEXT NOT NULL,
    internal BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets(org_id, id)
);
INSERT INTO comments_new (org_id, id, ticket_id, author_id, body, internal, created_at)
SELECT org_id, id, incident_id, author_id, body, internal, created_at FROM comments;

-- Tasks gain a team: fulfilment templates route each task, and GET /tasks filters on it.
CREATE TABLE tasks_new (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    team_id TEXT,
    assignee_id TEXT,
    deadline TIMESTAMP,
    priority TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, number),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets(org_id, id)
);
INSERT INTO tasks_new (org_id, id, ticket_id, number, title, status, team_id, assignee_id, deadline,
    priority, version, created_at, updated_at)
SELECT t.org_id, t.id, t.incident_id, t.number, t.title, t.status, NULL, t.assignee_id, t.deadline,
    t.priority, t.version, t.created_at, t.updated_at FROM tasks t;

CREATE TABLE ticket_history_new (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    actor_id TEXT,
    at TIMESTAMP NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets(org_id, id)
);
INSERT INTO ticket_history_new (org_id, id, ticket_id, actor_id, at, field, old_value, new_value)
SELECT org_id, id, incident_id, actor_id, at, field, old_value, new_value FROM ticket_history;

DROP TABLE comments;
DROP TABLE tasks;
DROP TABLE ticket_history;
DROP TABLE incidents;
ALTER TABLE comments_new RENAME TO comments;
ALTER TABLE tasks_new RENAME TO tasks;
ALTER TABLE ticket_history_new RENAME TO ticket_history;

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
