-- Marketplace orders beside conversations (unibox_core::orders). One row per order of a
-- tenant's channel account; the order itself (items, totals, history) is serde_json text in
-- `body`, the buyer and update time are columns so "orders of this contact" is an index range.
CREATE TABLE IF NOT EXISTS orders (
    tenant     TEXT    NOT NULL,
    account    BLOB    NOT NULL,
    order_id   TEXT    NOT NULL,
    buyer_kind TEXT,
    buyer_id   TEXT,
    updated_at INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    PRIMARY KEY (tenant, account, order_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS orders_by_buyer ON orders (tenant, account, buyer_kind, buyer_id, updated_at);
