-- A user's time zone (the console's administration pages): an IANA name such as
-- 'Europe/Berlin', checked by the use case against chrono-tz's list; NULL means UTC. Only
-- presentation follows it: every time stays stored in UTC.
ALTER TABLE users ADD COLUMN time_zone TEXT;
