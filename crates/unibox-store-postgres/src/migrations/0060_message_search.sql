-- unibox-store-postgres migration: the blind search index as one row per message.
--
-- `message_terms` held one row per (message, trigram term): about 100 rows, 400 WAL records and
-- 13 KB per message, which made indexing the largest part of storing a message. Now each
-- message's terms (the keyed 64-bit PRFs of its trigrams, `unibox_core::privacy::search_terms`)
-- are one BIGINT[] on one row, and a GIN index maps each term to its messages: storing a
-- message writes one row and appends its terms to the index's pending list, and a search asks
-- the index for the messages holding every term of the query (`terms @> query`). Terms are
-- keyed per tenant, so one tenant's terms do not match another's (and rows still carry the
-- tenant, under row-level security).

CREATE TABLE message_search (
    tenant  TEXT NOT NULL,
    message UUID NOT NULL,
    terms   BIGINT[] NOT NULL,
    PRIMARY KEY (tenant, message)
);
CREATE INDEX message_search_terms ON message_search USING gin (terms);

ALTER TABLE message_search ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_search FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_search USING (tenant = current_setting('unibox.tenant', true))
    WITH CHECK (tenant = current_setting('unibox.tenant', true));

-- Searching: `@>` is not leakproof, so under the tenant policy PostgreSQL does not use the GIN
-- index for it (it would read every row of every tenant instead). A search therefore asks
-- `unibox_search_hits`, which runs as the owner (who may read every row of this table, as it may
-- read every wrapped data key for rotation) and returns only the transaction's tenant's messages
-- holding every term; the application role reads the table itself only under the policy.
CREATE POLICY owner_search ON message_search FOR SELECT TO CURRENT_USER USING (true);
CREATE FUNCTION unibox_search_hits(p_terms BIGINT[])
RETURNS TABLE (message UUID) LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT s.message FROM message_search s
    WHERE s.tenant = current_setting('unibox.tenant', true) AND s.terms @> p_terms
$$;

-- The owner runs migrations and is subject to the policies (FORCE): lift them for the copy.
ALTER TABLE message_terms NO FORCE ROW LEVEL SECURITY;
ALTER TABLE message_search NO FORCE ROW LEVEL SECURITY;
INSERT INTO message_search (tenant, message, terms)
    SELECT tenant, message, array_agg(term ORDER BY term) FROM message_terms GROUP BY tenant, message;
ALTER TABLE message_search FORCE ROW LEVEL SECURITY;
DROP TABLE message_terms;
