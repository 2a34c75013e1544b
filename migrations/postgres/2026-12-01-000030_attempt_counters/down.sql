DROP TABLE failed_logins;
DROP TABLE auth_attempts;
