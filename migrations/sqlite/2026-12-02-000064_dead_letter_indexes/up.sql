-- /metrics counts dead letters on every scrape (docs/operations.md): the outbox is never
-- purged and delivered deliveries stay for weeks, so without these the count read the whole
-- table. Partial: a row enters only once it is given up on, so writes cost nothing more.
CREATE INDEX outbox_dead ON outbox (dead_at) WHERE dead_at IS NOT NULL;
CREATE INDEX deliveries_dead ON deliveries (dead_at) WHERE dead_at IS NOT NULL;
