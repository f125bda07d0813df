-- unibox-store-postgres: usage counters per tenant, day (days since 1970-01-01, UTC), channel
-- ('' for usage outside channels) and metric, as the SQLite store's `usage_counters`: one row per
-- combination, summed on every add.

CREATE TABLE usage_counters (
    tenant   TEXT NOT NULL,
    day      BIGINT NOT NULL,
    channel  TEXT NOT NULL,
    metric   TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (tenant, day, channel, metric)
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['usage_counters'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;
