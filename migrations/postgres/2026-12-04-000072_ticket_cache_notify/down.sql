DROP TRIGGER IF EXISTS incident_details_cache_notify ON incident_details;
DROP TRIGGER IF EXISTS tickets_removed_cache_notify ON tickets;
DROP TRIGGER IF EXISTS tickets_cache_notify ON tickets;
