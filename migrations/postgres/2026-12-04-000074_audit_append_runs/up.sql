-- A batch's audit entries, appended per run of one organization instead of one by one: the
-- run takes its block of sequence numbers with one counter update and reads the chain's
-- previous hash once, hashes each entry from the one before (the same expression as
-- servicedesk_audit_append, which the store's verify recomputes), and inserts the run in
-- one statement. Each entry of a batch otherwise updated its organization's counter row
-- again (a new row version per entry), looked up the hash it had just written, and ran
-- its own insert. Runs are appended in array order, each after the previous run's rows
-- are inserted, so an organization met twice continues its own chain; the caller orders
-- the entries by organization, the one order in which every transaction takes the
-- counter rows.
CREATE OR REPLACE FUNCTION servicedesk_audit_append_all(
  p_org TEXT[], p_actor TEXT[], p_action TEXT[], p_target_kind TEXT[], p_target_id TEXT[],
  p_at TIMESTAMP[], p_detail TEXT[], p_genesis TEXT
) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  n INT := COALESCE(array_length(p_org, 1), 0);
  run_start INT := 1;
  run_end INT;
  run_len INT;
  v_last BIGINT;
  v_seq BIGINT;
  v_prev TEXT;
  v_hash TEXT;
  seqs BIGINT[];
  prevs TEXT[];
  hashes TEXT[];
BEGIN
  IF array_length(p_actor, 1) IS DISTINCT FROM array_length(p_org, 1)
     OR array_length(p_action, 1) IS DISTINCT FROM array_length(p_org, 1)
     OR array_length(p_target_kind, 1) IS DISTINCT FROM array_length(p_org, 1)
     OR array_length(p_target_id, 1) IS DISTINCT FROM array_length(p_org, 1)
     OR array_length(p_at, 1) IS DISTINCT FROM array_length(p_org, 1)
     OR array_length(p_detail, 1) IS DISTINCT FROM array_length(p_org, 1) THEN
    RAISE EXCEPTION 'servicedesk_audit_append_all: arrays of different lengths';
  END IF;
  WHILE run_start <= n LOOP
    run_end := run_start;
    WHILE run_end < n AND p_org[run_end + 1] = p_org[run_start] LOOP
      run_end := run_end + 1;
    END LOOP;
    run_len := run_end - run_start + 1;
    UPDATE counters SET value = value + run_len
      WHERE org_id = p_org[run_start] AND kind = 'audit' RETURNING value INTO v_last;
    IF NOT FOUND THEN
      INSERT INTO counters (org_id, kind, value) VALUES (p_org[run_start], 'audit', 0)
        ON CONFLICT DO NOTHING;
      UPDATE counters SET value = value + run_len
        WHERE org_id = p_org[run_start] AND kind = 'audit' RETURNING value INTO v_last;
    END IF;
    v_seq := v_last - run_len;
    SELECT hash INTO v_prev FROM audit_events WHERE org_id = p_org[run_start] AND seq = v_seq;
    v_prev := COALESCE(v_prev, p_genesis);
    seqs := '{}';
    prevs := '{}';
    hashes := '{}';
    FOR i IN run_start..run_end LOOP
      v_seq := v_seq + 1;
      v_hash := encode(sha256(
        servicedesk_hash_part(v_prev) || servicedesk_hash_part(p_org[i])
        || servicedesk_hash_part(v_seq::TEXT)
        || servicedesk_hash_part(COALESCE(p_actor[i], '')) || servicedesk_hash_part(p_action[i])
        || servicedesk_hash_part(p_target_kind[i]) || servicedesk_hash_part(p_target_id[i])
        || servicedesk_hash_part(to_char(p_at[i], 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || servicedesk_hash_part(p_detail[i])), 'hex');
      seqs := seqs || v_seq;
      prevs := prevs || v_prev;
      hashes := hashes || v_hash;
      v_prev := v_hash;
    END LOOP;
    INSERT INTO audit_events
      (org_id, seq, actor_id, action, target_kind, target_id, at, detail, prev_hash, hash)
    SELECT * FROM unnest(p_org[run_start:run_end], seqs, p_actor[run_start:run_end],
      p_action[run_start:run_end], p_target_kind[run_start:run_end],
      p_target_id[run_start:run_end], p_at[run_start:run_end], p_detail[run_start:run_end],
      prevs, hashes);
    run_start := run_end + 1;
  END LOOP;
  RETURN n;
END;
$$;
