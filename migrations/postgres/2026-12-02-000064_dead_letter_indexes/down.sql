DROP INDEX deliveries_dead;
DROP INDEX outbox_dead;
