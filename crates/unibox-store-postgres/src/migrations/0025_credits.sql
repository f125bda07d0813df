-- unibox-store-postgres: message credits, as the SQLite store's `credit_entries`.
--
-- One append-only ledger per tenant: entries numbered 1, 2, 3, ... with the balance each one
-- left, so the balance is the last entry's. An append takes the tenant's ledger lock (a
-- transaction-level advisory lock), reads the last entry and inserts the next in one
-- transaction, so concurrent debits from any number of processes are serialised and a floor
-- holds. Entries are never changed or deleted: the triggers refuse it.

CREATE TABLE credit_entries (
    tenant    TEXT NOT NULL,
    sequence  BIGINT NOT NULL CHECK (sequence >= 1),
    kind      TEXT NOT NULL CHECK (kind IN ('purchase', 'adjustment', 'debit', 'refund')),
    amount    BIGINT NOT NULL CHECK (amount <> 0),
    balance   BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    reference TEXT,
    PRIMARY KEY (tenant, sequence)
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['credit_entries'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;

CREATE FUNCTION unibox_credit_entries_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'credit entries are append-only' USING ERRCODE = '23514';
END $$;
CREATE TRIGGER credit_entries_are_never_updated BEFORE UPDATE ON credit_entries
    FOR EACH ROW EXECUTE FUNCTION unibox_credit_entries_are_append_only();
CREATE TRIGGER credit_entries_are_never_deleted BEFORE DELETE ON credit_entries
    FOR EACH ROW EXECUTE FUNCTION unibox_credit_entries_are_append_only();
