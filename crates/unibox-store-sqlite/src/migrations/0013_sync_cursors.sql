-- Positions of history pulls (unibox_core::history): one row per tenant, channel account and
-- stream (`backfill`, `lost_pushes`), so a restart resumes a back-fill where it stopped.
CREATE TABLE IF NOT EXISTS sync_cursors (
    tenant     TEXT    NOT NULL,
    account    BLOB    NOT NULL,
    stream     TEXT    NOT NULL,
    position   TEXT,
    finished   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, account, stream)
) WITHOUT ROWID;
