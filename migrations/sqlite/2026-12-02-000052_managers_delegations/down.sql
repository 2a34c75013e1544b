DROP INDEX delegations_delegate;
DROP INDEX delegations_user;
DROP TABLE delegations;
ALTER TABLE users DROP COLUMN manager_id;
