-- unibox-store-postgres: marketplace orders beside conversations (unibox_core::orders), as the
-- SQLite store's `orders`, sealed as a sealed SQLite store seals them: the order (items, totals,
-- history, the buyer) is serde_json sealed under the tenant's data key in `body_sealed`, bound
-- to its account and order id; the buyer is a column only as its blind (a keyed PRF, in hex),
-- so "orders of this contact" is an index range without the buyer's id in the clear.

CREATE TABLE orders (
    tenant      TEXT NOT NULL,
    account     UUID NOT NULL,
    order_id    TEXT NOT NULL,
    -- The buyer's identity kind (its serde_json text) and the blind of kind and id.
    buyer_kind  TEXT,
    buyer_id    TEXT,
    updated_at  BIGINT NOT NULL,
    body_sealed BYTEA NOT NULL,
    PRIMARY KEY (tenant, account, order_id)
);
CREATE INDEX orders_by_buyer ON orders (tenant, account, buyer_kind, buyer_id, updated_at);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['orders'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;
