-- Incidents read by id are cached per server process (see 000062): a statement that
-- changes or removes a ticket or its incident details announces the table. Inserts are
-- not announced: a row that did not exist cannot be held by any cache.
CREATE TRIGGER tickets_cache_notify AFTER UPDATE OR DELETE OR TRUNCATE ON tickets
  FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
CREATE TRIGGER incident_details_cache_notify AFTER UPDATE OR DELETE OR TRUNCATE ON incident_details
  FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
