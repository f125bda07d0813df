-- unibox-store-postgres: positions of history pulls (unibox_core::history), as the SQLite
-- store's `sync_cursors`: one row per tenant, channel account and stream (`backfill`,
-- `lost_pushes`), so a restart resumes a back-fill where it stopped.

CREATE TABLE sync_cursors (
    tenant     TEXT NOT NULL,
    account    UUID NOT NULL,
    stream     TEXT NOT NULL,
    position   TEXT,
    finished   BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant, account, stream)
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['sync_cursors'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;
