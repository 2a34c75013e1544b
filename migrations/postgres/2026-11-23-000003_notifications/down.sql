DROP TABLE deliveries;
DROP TABLE webhooks;
DROP TABLE notifications;
DROP TABLE notification_preferences;
DROP INDEX incidents_resolved_at;
ALTER TABLE incidents DROP COLUMN sla_claimed_until;
