-- Retention: housekeeping deletes old delivered deliveries and old read notifications,
-- oldest first, without scanning the tables. Same step in both dialects.
CREATE INDEX deliveries_delivered_at ON deliveries (delivered_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX notifications_read_at ON notifications (read_at) WHERE read_at IS NOT NULL;
