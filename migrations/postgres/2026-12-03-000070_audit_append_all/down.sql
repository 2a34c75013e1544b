DROP FUNCTION servicedesk_audit_append_all(TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TIMESTAMP[], TEXT[], TEXT);
CREATE OR REPLACE FUNCTION servicedesk_hash_part(t TEXT) RETURNS BYTEA LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT int8send(octet_length(convert_to(t, 'UTF8'))::BIGINT) || convert_to(t, 'UTF8')
$$;
