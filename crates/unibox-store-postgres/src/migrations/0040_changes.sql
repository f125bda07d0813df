-- unibox-store-postgres: the change log (as the SQLite store's `changes`).
--
-- Positions are per tenant and come from the tenant's `change_heads` row, which an append
-- increments (and so locks) in the transaction of the change: a tenant's appends commit one
-- after the other, in position order, so a reader never sees position n+1 while position n can
-- still commit later. Appends lock the head last in their transaction (after every other lock),
-- tenants in name order, so the head lock takes part in no deadlock.

CREATE TABLE change_heads (
    tenant          TEXT NOT NULL PRIMARY KEY,
    -- The last position handed out.
    last            BIGINT NOT NULL,
    -- Changes up to this position were trimmed (0: none).
    trimmed_through BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE changes (
    tenant       TEXT NOT NULL,
    position     BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    conversation UUID,
    message      UUID,
    detail       TEXT,
    PRIMARY KEY (tenant, position)
);
CREATE INDEX changes_by_time ON changes (tenant, at);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['change_heads', 'changes'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;
