-- servicedesk_hash_part was declared IMMUTABLE while convert_to is only STABLE, so the
-- planner would not inline it: each of the nine calls per audit entry ran as an SQL
-- function, parsed and planned again at every call (a tenth of the database's CPU under a
-- burst of creates). Declared STABLE, its body is inlined into the caller's plan; the
-- hash is the same expression.
CREATE OR REPLACE FUNCTION servicedesk_hash_part(t TEXT) RETURNS BYTEA LANGUAGE sql STABLE STRICT AS $$
  SELECT int8send(octet_length(convert_to(t, 'UTF8'))::BIGINT) || convert_to(t, 'UTF8')
$$;

-- The audit entries of a batch of creates in one round trip: each is appended in array
-- order exactly as servicedesk_audit_append appends one (the caller orders them so that
-- every transaction takes organizations' counter rows in one order).
CREATE FUNCTION servicedesk_audit_append_all(
  p_org TEXT[], p_actor TEXT[], p_action TEXT[], p_target_kind TEXT[], p_target_id TEXT[],
  p_at TIMESTAMP[], p_detail TEXT[], p_genesis TEXT
) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  n INT := COALESCE(array_length(p_org, 1), 0);
BEGIN
  IF array_length(p_actor, 1) IS DISTINCT FROM array_length(p_org, 1)
     OR array_length(p_action, 1) IS DISTINCT FROM array_length(p_org, 1)
     OR array_length(p_target_kind, 1) IS DISTINCT FROM array_length(p_org, 1)
     OR array_length(p_target_id, 1) IS DISTINCT FROM array_length(p_org, 1)
     OR array_length(p_at, 1) IS DISTINCT FROM array_length(p_org, 1)
     OR array_length(p_detail, 1) IS DISTINCT FROM array_length(p_org, 1) THEN
    RAISE EXCEPTION 'servicedesk_audit_append_all: arrays of different lengths';
  END IF;
  FOR i IN 1..n LOOP
    PERFORM servicedesk_audit_append(p_org[i], p_actor[i], p_action[i], p_target_kind[i],
      p_target_id[i], p_at[i], p_detail[i], p_genesis);
  END LOOP;
  RETURN n;
END;
$$;
