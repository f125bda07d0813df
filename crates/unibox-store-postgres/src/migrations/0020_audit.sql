-- unibox-store-postgres: the audit trail, one hash chain per tenant (as the SQLite store's
-- `audit_log` and `audit_checkpoints`), and the head of each chain.
--
-- Rows of `audit_log` are only ever inserted; `hash` covers the canonical encoding of the other
-- columns and `prev_hash` (unibox_core::audit::record_hash). Nothing here is sealed: an audit
-- record names actors (user ids, automation names), actions and targets (ids), as SQLite's.

CREATE TABLE audit_log (
    tenant     TEXT NOT NULL,
    seq        BIGINT NOT NULL CHECK (seq >= 1),
    at         BIGINT NOT NULL,
    -- 'user' or 'automation'
    actor_type TEXT NOT NULL,
    -- The user id or the automation's name.
    actor      TEXT NOT NULL,
    -- The user's role at the time.
    role       TEXT,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    -- 'success', 'denied' or 'failed'
    outcome    TEXT NOT NULL,
    -- The denial's reason or the error.
    detail     TEXT,
    prev_hash  BYTEA NOT NULL,
    hash       BYTEA NOT NULL,
    PRIMARY KEY (tenant, seq)
);
CREATE INDEX audit_log_by_actor ON audit_log (tenant, actor, seq);
CREATE INDEX audit_log_by_target ON audit_log (tenant, target, seq);
CREATE INDEX audit_log_by_action ON audit_log (tenant, action, seq);
CREATE INDEX audit_log_by_time ON audit_log (tenant, at, seq);

-- One row per tenant with a chain, the lock its appends take (`SELECT ... FOR UPDATE`): appends
-- of one tenant, from any number of processes, read the chain's head and link after it one
-- after the other, and appends of different tenants never wait for each other. The head itself
-- is read from `audit_log` (the last seq, by the primary key), so the lock row holds nothing
-- that could disagree with the chain.
CREATE TABLE audit_heads (
    tenant TEXT NOT NULL PRIMARY KEY
);

-- Signed checkpoints of the chains' heads.
CREATE TABLE audit_checkpoints (
    tenant    TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    hash      BYTEA NOT NULL,
    at        BIGINT NOT NULL,
    key_id    TEXT NOT NULL,
    signature BYTEA NOT NULL,
    PRIMARY KEY (tenant, seq, key_id)
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['audit_log', 'audit_heads', 'audit_checkpoints'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;
