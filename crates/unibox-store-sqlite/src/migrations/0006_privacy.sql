-- Schema version 6: privacy requests (Meta's data-deletion and deauthorize callbacks) and the
-- links from platform user ids (Meta app-scoped ids) to contacts.

CREATE TABLE privacy_user_links (
    id               INTEGER PRIMARY KEY,
    tenant           TEXT NOT NULL,
    platform         TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    contact          BLOB NOT NULL,
    UNIQUE (tenant, platform, platform_user_id, contact)
);

CREATE TABLE privacy_requests (
    tenant            TEXT NOT NULL,
    confirmation_code TEXT NOT NULL,
    kind              TEXT NOT NULL,
    platform          TEXT NOT NULL,
    platform_user_id  TEXT NOT NULL,
    -- The linked contacts' 16-byte ids, concatenated.
    contacts          BLOB NOT NULL,
    -- The DeletionStatus as JSON; its name is repeated for the pending index.
    status            TEXT NOT NULL,
    status_name       TEXT NOT NULL,
    requested_at      INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (tenant, confirmation_code)
) WITHOUT ROWID;

CREATE INDEX privacy_requests_pending ON privacy_requests (tenant, requested_at, confirmation_code)
    WHERE status_name <> 'completed';
