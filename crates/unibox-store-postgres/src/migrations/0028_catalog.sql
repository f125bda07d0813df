-- unibox-store-postgres: the product catalog (unibox_core::catalog), as the SQLite store's
-- `products`: one row per product of a tenant's channel account; the product is serde_json text
-- in `body`, the title a column searches walk in order. Product data is the shop's, not
-- personal data: not sealed, as in SQLite.

CREATE TABLE products (
    tenant     TEXT NOT NULL,
    account    UUID NOT NULL,
    product_id TEXT NOT NULL,
    title      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (tenant, account, product_id)
);
CREATE INDEX products_by_title ON products (tenant, title COLLATE "C", product_id COLLATE "C");

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['products'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;
