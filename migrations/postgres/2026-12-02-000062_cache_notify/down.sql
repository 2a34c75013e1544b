DROP TRIGGER calendars_cache_notify ON calendars;
DROP TRIGGER sla_policies_cache_notify ON sla_policies;
DROP TRIGGER refresh_token_families_cache_notify ON refresh_token_families;
DROP TRIGGER revoked_tokens_cache_notify ON revoked_tokens;
DROP TRIGGER roles_cache_notify ON roles;
DROP TRIGGER team_members_cache_notify ON team_members;
DROP TRIGGER users_cache_notify ON users;
DROP FUNCTION servicedesk_cache_notify();
