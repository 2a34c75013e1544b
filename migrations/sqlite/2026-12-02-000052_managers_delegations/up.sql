-- Managers and delegations (issue 10, point 7): a user's line manager, whom the
-- `requester_manager` approval rule and timeout escalations route to; and delegations, by
-- which an approver lets someone decide for them over a date range. Dates are
-- 'YYYY-MM-DD' text (inclusive), so they compare as text; the use case keeps them near
-- today (four-digit years).
ALTER TABLE users ADD COLUMN manager_id TEXT;

CREATE TABLE delegations (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    delegate_id TEXT NOT NULL REFERENCES users(id),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX delegations_user ON delegations (org_id, user_id);
-- The approval path asks who stands in for whom today, by delegate.
CREATE INDEX delegations_delegate ON delegations (org_id, delegate_id, ends_on);
