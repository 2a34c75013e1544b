DROP TABLE approvals;
DROP TABLE request_details;
