-- unibox-store-postgres: the team workflow's tables (as the SQLite store's): per-agent read
-- markers, canned replies, and the attributes agents record on contacts (values sealed under
-- the tenant's data key, bound to the contact and the attribute's name).

CREATE TABLE read_markers (
    tenant       TEXT NOT NULL,
    conversation UUID NOT NULL,
    user_id      TEXT NOT NULL,
    read_up_to   BIGINT NOT NULL,
    PRIMARY KEY (tenant, conversation, user_id)
);

CREATE TABLE canned_replies (
    tenant     TEXT NOT NULL,
    shortcut   TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant, shortcut)
);

CREATE TABLE contact_attributes (
    tenant       TEXT NOT NULL,
    contact      UUID NOT NULL,
    name         TEXT NOT NULL,
    value_sealed BYTEA NOT NULL,
    PRIMARY KEY (tenant, contact, name)
);

CREATE INDEX conversations_by_assignee ON conversations (tenant, assignee, status) WHERE assignee IS NOT NULL;

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['read_markers', 'canned_replies', 'contact_attributes'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;
