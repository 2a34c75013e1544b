-- The dashboards' "resolved in the last 30 days" (time to resolve, SLA compliance, daily
-- volume): without it every dashboard read walked the organization's whole history. Partial:
-- a ticket enters it only once resolved, so creating tickets costs nothing more.
CREATE INDEX tickets_resolved_since ON tickets (org_id, resolved_at, id) WHERE resolved_at IS NOT NULL;
