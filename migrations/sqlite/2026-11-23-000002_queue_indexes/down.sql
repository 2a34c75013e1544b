DROP INDEX incidents_priority_created;
DROP INDEX incidents_status_priority;
