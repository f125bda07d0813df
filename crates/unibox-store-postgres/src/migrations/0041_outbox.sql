-- unibox-store-postgres: the outbox (as the SQLite store's `outbox`): one delivery job per
-- outbound message, written in the message's transaction, claimed by workers under leases.

CREATE TABLE outbox (
    tenant       TEXT NOT NULL,
    message      UUID NOT NULL,
    conversation UUID NOT NULL,
    account      UUID NOT NULL,
    state        TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    due_at       BIGINT NOT NULL,
    lease_id     UUID,
    lease_until  BIGINT,
    human_agent  BOOLEAN NOT NULL,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant, message)
);
CREATE INDEX outbox_due ON outbox (due_at, message) WHERE state IN ('queued', 'in_flight');
CREATE INDEX outbox_by_state ON outbox (tenant, state, created_at, message);
CREATE INDEX outbox_by_account ON outbox (tenant, account) WHERE state = 'queued';

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox USING (tenant = current_setting('unibox.tenant', true))
    WITH CHECK (tenant = current_setting('unibox.tenant', true));

-- A claim crosses tenants (a worker serves them all), and the application role makes it only
-- through the owner's SECURITY DEFINER function below; the owner role (CURRENT_USER here) may
-- read and lease every tenant's jobs, and the function does nothing else.
CREATE POLICY owner_claim_read ON outbox FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY owner_claim_lease ON outbox FOR UPDATE TO CURRENT_USER USING (true) WITH CHECK (true);

-- Leases up to `p_limit` due jobs (queued, or in flight with an expired lease) to `p_lease`
-- until `p_until`, oldest due first. Rows another claim holds are skipped (FOR UPDATE SKIP
-- LOCKED), so two concurrent claims never lease the same job.
CREATE FUNCTION unibox_outbox_claim(p_now BIGINT, p_lease UUID, p_until BIGINT, p_limit BIGINT)
RETURNS TABLE (message UUID, tenant TEXT, conversation UUID, account UUID, state TEXT, attempts BIGINT,
               due_at BIGINT, lease_id UUID, lease_until BIGINT, human_agent BOOLEAN, last_error TEXT,
               created_at BIGINT)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    WITH due AS (
        SELECT o.tenant, o.message FROM outbox o
        WHERE o.state IN ('queued', 'in_flight') AND o.due_at <= p_now
          AND (o.lease_until IS NULL OR o.lease_until <= p_now)
        ORDER BY o.due_at, o.message
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox o SET lease_id = p_lease, lease_until = p_until
    FROM due WHERE o.tenant = due.tenant AND o.message = due.message
    RETURNING o.message, o.tenant, o.conversation, o.account, o.state, o.attempts, o.due_at, o.lease_id,
              o.lease_until, o.human_agent, o.last_error, o.created_at
$$;
