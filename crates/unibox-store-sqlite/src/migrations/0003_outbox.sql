-- unibox-store-sqlite schema version 3: the outbox and the change log.

-- One delivery job per outbound message, written in the same transaction as the message.
CREATE TABLE outbox (
    message      BLOB NOT NULL PRIMARY KEY,
    tenant       TEXT NOT NULL,
    conversation BLOB NOT NULL,
    account      BLOB NOT NULL,
    -- queued | in_flight | sent | failed | unknown
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    -- The claim: who holds the job and until when (NULL: nobody).
    lease_id     BLOB,
    lease_until  INTEGER,
    human_agent  INTEGER NOT NULL,
    last_error   TEXT,
    created_at   INTEGER NOT NULL
) STRICT;
-- Workers look for due jobs among the unfinished ones only, so finished jobs cost the claim nothing.
CREATE INDEX outbox_due ON outbox (due_at, message) WHERE state IN ('queued', 'in_flight');
CREATE INDEX outbox_by_state ON outbox (tenant, state, created_at, message);

-- The change log: one small row per change, no content. AUTOINCREMENT, so a position is never
-- reused after a trim deleted the newest rows (a reader resuming there would miss changes).
CREATE TABLE changes (
    position     INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    conversation BLOB,
    message      BLOB,
    detail       TEXT
) STRICT;
CREATE INDEX changes_by_tenant ON changes (tenant, position);

-- Per tenant, the last position a trim deleted: readers behind it are told they missed changes.
CREATE TABLE change_trims (
    tenant  TEXT NOT NULL PRIMARY KEY,
    through INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
