-- Incidents read by id are cached per server process (see 000062): a statement that
-- changes or removes a ticket or its incident details announces the table. Inserts are
-- not announced: a row that did not exist cannot be held by any cache. The SLA monitor's
-- claim (`UPDATE tickets SET sla_claimed_until`, about once a second per process) is
-- not announced either: the lease is not part of any read. Every other column is listed;
-- a column added to `tickets` must be added here (a store test compares the two lists).
CREATE TRIGGER tickets_cache_notify AFTER UPDATE OF
    org_id, id, kind, number, title, description, impact, urgency, priority, priority_rank,
    category, status, status_class, requester_id, created_by, team_id, assignee_id,
    resolved_at, closed_at, first_responded_at, sla_policy_id, sla, sla_state,
    next_sla_due_at, sla_sort_key, version, created_at, updated_at, deleted_at
  ON tickets FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
CREATE TRIGGER tickets_removed_cache_notify AFTER DELETE OR TRUNCATE ON tickets
  FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
CREATE TRIGGER incident_details_cache_notify AFTER UPDATE OR DELETE OR TRUNCATE ON incident_details
  FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
