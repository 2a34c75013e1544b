DROP FUNCTION servicedesk_audit_append(TEXT, TEXT, TEXT, TEXT, TEXT, TIMESTAMP, TEXT, TEXT);
DROP FUNCTION servicedesk_hash_part(TEXT);
