-- Attempt counters of sign-in, MFA, reset and registration (issue 9 points 4 and 5): one row
-- per counter, checked and counted in one transaction, shared by every server process.
CREATE TABLE auth_attempts (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    next_allowed_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX auth_attempts_updated_at ON auth_attempts (updated_at);

-- Failed sign-ins against existing accounts, for the organization's admins.
CREATE TABLE failed_logins (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    email TEXT NOT NULL,
    client TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX failed_logins_org ON failed_logins (org_id, id);
CREATE INDEX failed_logins_at ON failed_logins (at);
