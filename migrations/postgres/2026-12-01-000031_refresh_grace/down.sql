DROP INDEX refresh_tokens_successor;
ALTER TABLE refresh_tokens DROP COLUMN successor_sealed;
