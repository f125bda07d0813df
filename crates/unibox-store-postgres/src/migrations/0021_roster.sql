-- unibox-store-postgres: the agent roster automatic assignment chooses from, and whose turn it
-- was last (as the SQLite store's `agents` and `assignment_turns`).

CREATE TABLE agents (
    tenant    TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    available BOOLEAN NOT NULL,
    capacity  BIGINT NOT NULL,
    -- The accounts the agent answers, a JSON array of ids (sorted, without repeats).
    accounts  TEXT NOT NULL,
    PRIMARY KEY (tenant, user_id)
);

-- Whose turn it was last, for round-robin assignment. A turn is taken under the tenant's row
-- lock, so two assignments at once never get the same turn.
CREATE TABLE assignment_turns (
    tenant    TEXT NOT NULL PRIMARY KEY,
    last_user TEXT NOT NULL
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['agents', 'assignment_turns'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;
