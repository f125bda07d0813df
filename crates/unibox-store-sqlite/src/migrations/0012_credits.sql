-- unibox-store-sqlite schema version 12: message credits.
--
-- One append-only ledger per tenant: entries numbered 1, 2, 3, ... with the balance each one
-- left, so the balance is the last entry's and a debit reads it and appends in one write
-- transaction. Entries are never changed or deleted: the triggers refuse it.
CREATE TABLE IF NOT EXISTS credit_entries (
    tenant    TEXT NOT NULL,
    sequence  INTEGER NOT NULL CHECK (sequence >= 1),
    kind      TEXT NOT NULL CHECK (kind IN ('purchase', 'adjustment', 'debit', 'refund')),
    amount    INTEGER NOT NULL CHECK (amount <> 0),
    balance   INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    reference TEXT,
    PRIMARY KEY (tenant, sequence)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS credit_entries_are_never_updated BEFORE UPDATE ON credit_entries
BEGIN
    SELECT RAISE(ABORT, 'credit entries are append-only');
END;

CREATE TRIGGER IF NOT EXISTS credit_entries_are_never_deleted BEFORE DELETE ON credit_entries
BEGIN
    SELECT RAISE(ABORT, 'credit entries are append-only');
END;
