-- The product catalog (unibox_core::catalog): one row per product of a tenant's channel
-- account; the product is serde_json text in `body`, the title a column for search.
CREATE TABLE IF NOT EXISTS products (
    tenant     TEXT    NOT NULL,
    account    BLOB    NOT NULL,
    product_id TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    PRIMARY KEY (tenant, account, product_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS products_by_title ON products (tenant, title);
