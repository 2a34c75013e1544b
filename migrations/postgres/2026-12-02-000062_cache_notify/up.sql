-- Each server process caches the reads nearly every request repeats (authentication,
-- SLA catalog) and flushes them when one of these tables changes: a statement that
-- changes one announces the table's name on the cache channel. PostgreSQL delivers the
-- notification at commit (not at all on rollback) and folds repeats within a transaction.
CREATE FUNCTION servicedesk_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('servicedesk_cache', TG_TABLE_NAME);
  RETURN NULL;
END;
$$;

CREATE TRIGGER users_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
CREATE TRIGGER team_members_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON team_members
  FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
CREATE TRIGGER roles_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roles
  FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
CREATE TRIGGER revoked_tokens_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON revoked_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
-- New sessions are never cached before they exist; only a revocation (or removal) matters.
CREATE TRIGGER refresh_token_families_cache_notify AFTER UPDATE OR DELETE OR TRUNCATE ON refresh_token_families
  FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
CREATE TRIGGER sla_policies_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sla_policies
  FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
CREATE TRIGGER calendars_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendars
  FOR EACH STATEMENT EXECUTE FUNCTION servicedesk_cache_notify();
