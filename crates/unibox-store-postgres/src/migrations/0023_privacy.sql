-- unibox-store-postgres: privacy requests (Meta's data-deletion and deauthorize callbacks, tenant
-- deletions, contact erasures) and the links from platform user ids to contacts (as the SQLite
-- store's `privacy_user_links` and `privacy_requests`). As in SQLite, the platform user id is
-- not sealed yet (a gap listed in privacy.md).

CREATE TABLE privacy_user_links (
    tenant           TEXT NOT NULL,
    platform         TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    contact          UUID NOT NULL,
    -- Linked contacts are listed in the order they were linked.
    linked           BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (tenant, platform, platform_user_id, contact)
);

CREATE TABLE privacy_requests (
    tenant            TEXT NOT NULL,
    confirmation_code TEXT NOT NULL,
    kind              TEXT NOT NULL,
    platform          TEXT NOT NULL,
    platform_user_id  TEXT NOT NULL,
    -- The linked contacts, in order.
    contacts          UUID[] NOT NULL,
    -- The DeletionStatus as JSON; its name is repeated for the pending index.
    status            TEXT NOT NULL,
    status_name       TEXT NOT NULL,
    requested_at      BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (tenant, confirmation_code)
);
CREATE INDEX privacy_requests_pending ON privacy_requests (tenant, requested_at, confirmation_code)
    WHERE status_name <> 'completed';

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['privacy_user_links', 'privacy_requests'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;
