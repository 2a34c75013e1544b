-- An audit record is appended in one round trip: the organization's audit counter row is
-- the lock every writer of the organization queues on until commit, so each statement
-- between taking it and committing is paid once per write by all of them. This does what
-- store::audit::append does on SQLite — the next sequence number, the previous entry's
-- hash, the new entry and its hash — inside the database. Each statement of a volatile
-- function takes its own snapshot, so the previous entry read after the counter's lock is
-- granted is the one its holder committed. The hash is the one AuditRow::expected_hash
-- computes: SHA-256 over the length-prefixed (8-byte big-endian) UTF-8 of each field; the
-- store's conformance tests verify chains written here with the Rust definition.
CREATE FUNCTION servicedesk_hash_part(t TEXT) RETURNS BYTEA LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT int8send(octet_length(convert_to(t, 'UTF8'))::BIGINT) || convert_to(t, 'UTF8')
$$;

CREATE FUNCTION servicedesk_audit_append(
  p_org TEXT, p_actor TEXT, p_action TEXT, p_target_kind TEXT, p_target_id TEXT,
  p_at TIMESTAMP, p_detail TEXT, p_genesis TEXT
) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  v_seq BIGINT;
  v_prev TEXT;
BEGIN
  UPDATE counters SET value = value + 1 WHERE org_id = p_org AND kind = 'audit'
    RETURNING value INTO v_seq;
  IF NOT FOUND THEN
    INSERT INTO counters (org_id, kind, value) VALUES (p_org, 'audit', 0) ON CONFLICT DO NOTHING;
    UPDATE counters SET value = value + 1 WHERE org_id = p_org AND kind = 'audit'
      RETURNING value INTO v_seq;
  END IF;
  SELECT hash INTO v_prev FROM audit_events WHERE org_id = p_org AND seq = v_seq - 1;
  v_prev := COALESCE(v_prev, p_genesis);
  INSERT INTO audit_events (org_id, seq, actor_id, action, target_kind, target_id, at, detail, prev_hash, hash)
  VALUES (p_org, v_seq, p_actor, p_action, p_target_kind, p_target_id, p_at, p_detail, v_prev,
    encode(sha256(
      servicedesk_hash_part(v_prev) || servicedesk_hash_part(p_org) || servicedesk_hash_part(v_seq::TEXT)
      || servicedesk_hash_part(COALESCE(p_actor, '')) || servicedesk_hash_part(p_action)
      || servicedesk_hash_part(p_target_kind) || servicedesk_hash_part(p_target_id)
      || servicedesk_hash_part(to_char(p_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
      || servicedesk_hash_part(p_detail)), 'hex'));
  RETURN v_seq;
END;
$$;
