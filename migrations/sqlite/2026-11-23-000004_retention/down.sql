DROP INDEX notifications_read_at;
DROP INDEX deliveries_delivered_at;
