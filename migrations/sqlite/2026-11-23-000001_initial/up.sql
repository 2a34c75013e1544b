-- Servicedesk schema, SQLite dialect. The PostgreSQL folder holds the same step.
-- Ids are UUID text, times are TIMESTAMP holding UTC, JSON is TEXT. Rows that belong to an
-- organization carry org_id first in their keys and indexes.

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    platform_admin BOOLEAN NOT NULL DEFAULT 0,
    password_hash TEXT,
    email_verified_at TIMESTAMP,
    mfa_secret_enc TEXT,
    mfa_enabled BOOLEAN NOT NULL DEFAULT 0,
    mfa_last_step BIGINT,
    recovery_codes TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_org ON users (org_id, id);

CREATE TABLE roles (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    grants TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name)
);

CREATE TABLE teams (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    manager_id TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name)
);

CREATE TABLE team_members (
    org_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (org_id, team_id, user_id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams(org_id, id)
);
CREATE INDEX team_members_user ON team_members (org_id, user_id);

CREATE TABLE calendars (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    hours TEXT NOT NULL,
    holidays TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE sla_policies (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    rank INTEGER NOT NULL,
    conditions TEXT NOT NULL,
    first_response_minutes BIGINT NOT NULL,
    resolution_minutes BIGINT NOT NULL,
    warn_percent INTEGER NOT NULL,
    pause_statuses TEXT NOT NULL,
    escalations TEXT NOT NULL DEFAULT '[]',
    calendar_id TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, calendar_id) REFERENCES calendars(org_id, id)
);

CREATE TABLE counters (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    kind TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (org_id, kind)
);

CREATE TABLE incidents (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    id TEXT NOT NULL,
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    impact TEXT NOT NULL,
    urgency TEXT NOT NULL,
    priority TEXT NOT NULL,
    priority_rank INTEGER NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    requester_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    team_id TEXT,
    assignee_id TEXT,
    escalation_level INTEGER NOT NULL,
    resolution_code TEXT,
    resolution_notes TEXT,
    resolved_at TIMESTAMP,
    closed_at TIMESTAMP,
    first_responded_at TIMESTAMP,
    sla_policy_id TEXT,
    sla TEXT,
    next_sla_due_at TIMESTAMP,
    sla_sort_key TIMESTAMP NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, number)
);
CREATE UNIQUE INDEX incidents_id ON incidents (id);
CREATE INDEX incidents_queue_created ON incidents (org_id, created_at, id);
CREATE INDEX incidents_queue_updated ON incidents (org_id, updated_at, id);
CREATE INDEX incidents_queue_priority ON incidents (org_id, priority_rank, created_at, id);
CREATE INDEX incidents_queue_sla ON incidents (org_id, sla_sort_key, id);
CREATE INDEX incidents_status ON incidents (org_id, status, created_at, id);
CREATE INDEX incidents_team ON incidents (org_id, team_id, created_at, id);
CREATE INDEX incidents_assignee ON incidents (org_id, assignee_id, created_at, id);
CREATE INDEX incidents_requester ON incidents (org_id, requester_id, created_at, id);
-- The SLA monitor scans only tickets with a pending instant.
CREATE INDEX incidents_sla_monitor ON incidents (next_sla_due_at) WHERE next_sla_due_at IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE comments (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    body TEXT NOT NULL,
    internal BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents(org_id, id)
);
CREATE INDEX comments_incident ON comments (org_id, incident_id, created_at);

CREATE TABLE tasks (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee_id TEXT,
    deadline TIMESTAMP,
    priority TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, number),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents(org_id, id)
);
CREATE INDEX tasks_incident ON tasks (org_id, incident_id, status);

CREATE TABLE ticket_history (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    actor_id TEXT,
    at TIMESTAMP NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, incident_id) REFERENCES incidents(org_id, id)
);
CREATE INDEX ticket_history_incident ON ticket_history (org_id, incident_id, at, id);

-- Append-only, hash-chained per organization (AUD-1).
CREATE TABLE audit_events (
    org_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (org_id, seq)
);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    available_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL,
    lease_until TIMESTAMP,
    last_error TEXT,
    delivered_at TIMESTAMP,
    dead_at TIMESTAMP
);
CREATE INDEX outbox_pending ON outbox (available_at) WHERE delivered_at IS NULL AND dead_at IS NULL;

CREATE TABLE idempotency_keys (
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    resource_kind TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, user_id, key)
);

CREATE TABLE refresh_token_families (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_token_families_user ON refresh_token_families (org_id, user_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES refresh_token_families(id),
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);

-- Single-use tokens for password reset and e-mail verification, stored hashed.
CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    purpose TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
