-- Notifications (NTF-1..NTF-5), the SLA monitor's claim lease, auto-close lookup.
-- Same step in both dialects.

-- The SLA monitor hides claimed incidents from other monitors until this instant.
ALTER TABLE incidents ADD COLUMN sla_claimed_until TIMESTAMP;
-- Auto-close reads resolved incidents of an organization oldest first.
CREATE INDEX incidents_resolved_at ON incidents (org_id, resolved_at)
    WHERE status = 'resolved' AND deleted_at IS NULL;

-- A user's channel choice per event type; no row means both channels on.
CREATE TABLE notification_preferences (
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    event_kind TEXT NOT NULL,
    email BOOLEAN NOT NULL,
    in_app BOOLEAN NOT NULL,
    PRIMARY KEY (org_id, user_id, event_kind)
);

-- The in-app inbox. One row per event and user: routing an event twice adds nothing.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    incident_id TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    UNIQUE (event_id, user_id)
);
CREATE INDEX notifications_inbox ON notifications (org_id, user_id, id);

-- Outgoing webhook endpoints; the secret is sealed with the server's secret key.
CREATE TABLE webhooks (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    format TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);

-- Mails and webhook posts to send, each with its own retries and dead letter. One row
-- per event, channel and recipient: routing an event twice adds nothing.
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    available_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL,
    lease_until TIMESTAMP,
    last_error TEXT,
    delivered_at TIMESTAMP,
    dead_at TIMESTAMP,
    UNIQUE (event_id, channel, target)
);
CREATE INDEX deliveries_pending ON deliveries (available_at)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX deliveries_org ON deliveries (org_id, id);
