-- unibox-store-sqlite schema version 1.
--
-- Conventions: ids are 16-byte UUID blobs; times are INTEGER Unix milliseconds; structured
-- values (content, author, delivery status, account state) are JSON text written by serde_json.
-- Every table holding tenant data has a `tenant` column, and every query filters by it.

CREATE TABLE accounts (
    id                  BLOB NOT NULL PRIMARY KEY,
    tenant              TEXT NOT NULL,
    channel             TEXT NOT NULL,
    kind                TEXT NOT NULL,
    platform_account_id TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    state               TEXT NOT NULL,
    connected_at        INTEGER NOT NULL,
    -- Routing looks accounts up by the channel an event arrived on and the platform's id.
    UNIQUE (channel, platform_account_id)
) STRICT;
CREATE INDEX accounts_by_tenant ON accounts (tenant, connected_at, id);

CREATE TABLE contacts (
    id           BLOB NOT NULL PRIMARY KEY,
    tenant       TEXT NOT NULL,
    display_name TEXT,
    -- The event that last named the contact: the newest name wins, whatever the arrival order.
    named_at     INTEGER,
    named_by     TEXT,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE contact_identities (
    tenant  TEXT NOT NULL,
    account BLOB NOT NULL,
    kind    TEXT NOT NULL,
    value   TEXT NOT NULL,
    contact BLOB NOT NULL,
    PRIMARY KEY (tenant, account, kind, value)
) STRICT, WITHOUT ROWID;
CREATE INDEX contact_identities_by_contact ON contact_identities (tenant, contact);

CREATE TABLE conversations (
    id               BLOB NOT NULL PRIMARY KEY,
    tenant           TEXT NOT NULL,
    account          BLOB NOT NULL,
    contact          BLOB NOT NULL,
    status           TEXT NOT NULL,
    snoozed_until    INTEGER,
    assignee         TEXT,
    unread_count     INTEGER NOT NULL,
    last_inbound_at  INTEGER,
    last_activity_at INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (tenant, account, contact)
) STRICT;
-- Listings are ordered by (last_activity_at DESC, id DESC) and paged by keyset on the same pair.
CREATE INDEX conversations_by_activity ON conversations (tenant, last_activity_at, id);

CREATE TABLE conversation_tags (
    tenant       TEXT NOT NULL,
    conversation BLOB NOT NULL,
    tag          TEXT NOT NULL,
    PRIMARY KEY (tenant, conversation, tag)
) STRICT, WITHOUT ROWID;

CREATE TABLE messages (
    -- The rowid; message_search rows share it.
    seq                 INTEGER PRIMARY KEY,
    id                  BLOB NOT NULL UNIQUE,
    tenant              TEXT NOT NULL,
    conversation        BLOB NOT NULL,
    account             BLOB NOT NULL,
    direction           TEXT NOT NULL,
    author              TEXT NOT NULL,
    content             TEXT NOT NULL,
    -- NULL until an outbound message is accepted by the platform (NULLs never collide).
    platform_message_id TEXT,
    reply_to            TEXT,
    sent_at             INTEGER NOT NULL,
    recorded_at         INTEGER NOT NULL,
    edited_at           INTEGER,
    -- The event id of the winning edit: ties on edited_at are broken by it.
    edited_by           TEXT,
    unsent_at           INTEGER,
    delivery            TEXT NOT NULL,
    UNIQUE (tenant, account, platform_message_id)
) STRICT;
CREATE INDEX messages_by_conversation ON messages (tenant, conversation, sent_at, id);
CREATE INDEX messages_by_time ON messages (tenant, sent_at, id);

CREATE TABLE reactions (
    tenant   TEXT NOT NULL,
    message  BLOB NOT NULL,
    reactor  TEXT NOT NULL,
    -- NULL: the reaction was removed. The row stays so an older event cannot bring it back.
    emoji    TEXT,
    at       INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (tenant, message, reactor)
) STRICT, WITHOUT ROWID;

-- Edits, unsends, reactions and receipts for messages not stored yet; applied (and deleted)
-- when the message arrives or an outbound message learns its platform id.
CREATE TABLE pending_actions (
    tenant              TEXT NOT NULL,
    account             BLOB NOT NULL,
    platform_message_id TEXT NOT NULL,
    event_id            TEXT NOT NULL,
    kind                TEXT NOT NULL,
    at                  INTEGER NOT NULL,
    payload             TEXT NOT NULL,
    PRIMARY KEY (tenant, account, platform_message_id, event_id)
) STRICT, WITHOUT ROWID;

-- Every ingested event id (redeliveries are recognised by it) and, for events the inbox has no
-- table of its own for (follows, referrals, order updates, ...), the whole event: the event log.
CREATE TABLE events (
    tenant      TEXT NOT NULL,
    account     BLOB NOT NULL,
    event_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    payload     TEXT,
    PRIMARY KEY (tenant, account, event_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE notes (
    id           BLOB NOT NULL PRIMARY KEY,
    tenant       TEXT NOT NULL,
    conversation BLOB NOT NULL,
    author       TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX notes_by_conversation ON notes (tenant, conversation, created_at, id);

-- The searchable text of each message (Content::searchable_text), rowid = messages.seq.
-- Trigrams make every substring of three or more characters searchable, which is what
-- languages written without spaces (Thai, Chinese, Japanese) need. A search looks up the
-- trigrams of its terms and then checks every candidate exactly, so the index needs no
-- positions (detail = none) and no ranking data (columnsize = 0): both make writes cheaper.
CREATE VIRTUAL TABLE message_search USING fts5(
    text,
    tokenize = 'trigram case_sensitive 0',
    detail = none,
    columnsize = 0
);
-- Remove deleted text from the index at once, so an unsent message leaves no trace in it.
INSERT INTO message_search (message_search, rank) VALUES ('secure-delete', 1);
-- Merge index segments eight at a time instead of four: each batch writes one segment, and
-- wider merges rewrite the index less often (measured: about 20% more ingest throughput).
INSERT INTO message_search (message_search, rank) VALUES ('automerge', 8);
