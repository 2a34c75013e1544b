-- Back to appending each entry through servicedesk_audit_append (migration 000070).
CREATE OR REPLACE FUNCTION servicedesk_audit_append_all(
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
