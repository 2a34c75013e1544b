-- Refresh rotation grace (issue 9 point 11): for 30 s after a rotation the used token is
-- answered with the same successor, kept sealed (secret box) until then; the housekeeping
-- worker forgets it afterwards.
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed TEXT;
CREATE INDEX refresh_tokens_successor ON refresh_tokens (used_at) WHERE successor_sealed IS NOT NULL;
