-- unibox-store-postgres: analytics (as the SQLite store's): each tenant's change-log position
-- the tallies reflect, each conversation's track, and the tallies per day, account and agent.

CREATE TABLE analytics_positions (
    tenant   TEXT NOT NULL PRIMARY KEY,
    position BIGINT NOT NULL
);

CREATE TABLE analytics_tracks (
    tenant                 TEXT NOT NULL,
    conversation           UUID NOT NULL,
    assignee               TEXT,
    opened_at              BIGINT,
    awaiting_since         BIGINT,
    first_response_pending BOOLEAN NOT NULL,
    PRIMARY KEY (tenant, conversation)
);

CREATE TABLE analytics_tallies (
    tenant              TEXT NOT NULL,
    day                 BIGINT NOT NULL,
    account             UUID NOT NULL,
    -- '' for the tally of no agent.
    agent               TEXT NOT NULL,
    messages_in         BIGINT NOT NULL,
    messages_out        BIGINT NOT NULL,
    first_response_n    BIGINT NOT NULL,
    first_response_sum  BIGINT NOT NULL,
    first_response_hist BYTEA NOT NULL,
    response_n          BIGINT NOT NULL,
    response_sum        BIGINT NOT NULL,
    response_hist       BYTEA NOT NULL,
    resolution_n        BIGINT NOT NULL,
    resolution_sum      BIGINT NOT NULL,
    resolution_hist     BYTEA NOT NULL,
    PRIMARY KEY (tenant, day, account, agent)
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['analytics_positions', 'analytics_tracks', 'analytics_tallies'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;
