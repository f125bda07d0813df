-- Issue 6, the team inbox: sessions, the audit trail and usage counters.

-- Sessions of the embedding application's users. The token itself is never stored: only its
-- SHA-256 (a token has 256 random bits, so the hash cannot be reversed).
CREATE TABLE sessions (
    token_hash      BLOB    NOT NULL PRIMARY KEY,
    id              BLOB    NOT NULL UNIQUE,
    tenant          TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    role            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    last_active_at  INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    -- JSON of unibox_core::session::SecondFactor
    second_factor   TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (tenant, user_id, created_at);
CREATE INDEX sessions_by_tenant ON sessions (tenant, created_at);
CREATE INDEX sessions_by_idle_deadline ON sessions (idle_expires_at);
CREATE INDEX sessions_by_deadline ON sessions (expires_at);

-- The audit trail: one hash chain per tenant. Rows are only ever inserted; `hash` covers the
-- canonical encoding of the other columns and `prev_hash` (unibox_core::audit::record_hash).
CREATE TABLE audit_log (
    tenant     TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    actor_type TEXT    NOT NULL,  -- user | automation
    actor      TEXT    NOT NULL,  -- the user id or the automation's name
    role       TEXT,              -- the user's role at the time
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    outcome    TEXT    NOT NULL,  -- success | denied | failed
    detail     TEXT,              -- the denial's reason or the error kind
    prev_hash  BLOB    NOT NULL,
    hash       BLOB    NOT NULL,
    PRIMARY KEY (tenant, seq)
) WITHOUT ROWID;
CREATE INDEX audit_by_actor ON audit_log (tenant, actor, seq);
CREATE INDEX audit_by_target ON audit_log (tenant, target, seq);
CREATE INDEX audit_by_action ON audit_log (tenant, action, seq);
CREATE INDEX audit_by_time ON audit_log (tenant, at, seq);

-- Signed checkpoints of the chains' heads.
CREATE TABLE audit_checkpoints (
    tenant    TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    hash      BLOB    NOT NULL,
    at        INTEGER NOT NULL,
    key_id    TEXT    NOT NULL,
    signature BLOB    NOT NULL,
    PRIMARY KEY (tenant, seq, key_id)
) WITHOUT ROWID;

-- Usage counters per tenant, day (days since 1970-01-01, UTC), channel ('' for usage outside
-- channels) and metric: one row per combination, summed on every add.
CREATE TABLE usage_counters (
    tenant   TEXT    NOT NULL,
    day      INTEGER NOT NULL,
    channel  TEXT    NOT NULL,
    metric   TEXT    NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (tenant, day, channel, metric)
) WITHOUT ROWID;
