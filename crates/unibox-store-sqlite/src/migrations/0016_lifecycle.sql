-- Schema version 16: retention and erasure (unibox_core::lifecycle; the statements are in
-- src/lifecycle/).

-- Retention lists expired notes and event-log rows by time. Both indexes grow at their right
-- edge (times increase), so ingest pays little for them.
CREATE INDEX IF NOT EXISTS notes_by_time ON notes (tenant, created_at, id);
CREATE INDEX IF NOT EXISTS events_by_time ON events (tenant, received_at);

-- Credit entries stay append-only, except for a tenant being deleted (a tenant_deletion
-- request recorded for it): deleting the tenant deletes its ledger too.
DROP TRIGGER IF EXISTS credit_entries_are_never_deleted;
CREATE TRIGGER IF NOT EXISTS credit_entries_are_never_deleted BEFORE DELETE ON credit_entries
WHEN NOT EXISTS (
    SELECT 1 FROM privacy_requests WHERE tenant = OLD.tenant AND kind = 'tenant_deletion'
)
BEGIN
    SELECT RAISE(ABORT, 'credit entries are append-only');
END;
