-- Service requests (issue 10): the request kind's extension and its approvals. Same step
-- in both dialects.

CREATE TABLE request_details (
    org_id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    catalog_item_id TEXT NOT NULL,
    item_version BIGINT NOT NULL,
    answers TEXT NOT NULL,
    stages TEXT NOT NULL,
    approval_state TEXT NOT NULL,
    current_stage INTEGER NOT NULL,
    task_template TEXT,
    PRIMARY KEY (org_id, ticket_id),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets(org_id, id)
);
CREATE INDEX request_details_item ON request_details (org_id, catalog_item_id);

-- One approver's approval of one stage; a decision names the version it read, so one
-- decision wins.
CREATE TABLE approvals (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    stage_index INTEGER NOT NULL,
    stage_name TEXT NOT NULL,
    approver_id TEXT NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT,
    comment TEXT,
    decided_at TIMESTAMP,
    due_at TIMESTAMP NOT NULL,
    remind_at TIMESTAMP,
    reminded_at TIMESTAMP,
    timed_out_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets(org_id, id)
);
CREATE INDEX approvals_ticket ON approvals (org_id, ticket_id, stage_index, created_at);
CREATE INDEX approvals_approver ON approvals (org_id, approver_id, state, created_at);
-- The approval sweeper reads pending approvals by their next instant.
CREATE INDEX approvals_due ON approvals (due_at) WHERE state = 'pending';
CREATE INDEX approvals_remind ON approvals (remind_at) WHERE state = 'pending' AND reminded_at IS NULL;
