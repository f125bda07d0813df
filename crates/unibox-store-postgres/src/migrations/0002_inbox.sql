-- unibox-store-postgres migration 2: contacts, conversations, messages, reactions, the amendments
-- waiting for their message, and the event log.
--
-- Conversation data is always sealed at rest under the tenant's data key (the vault's
-- `DataKeys`): every column holding personal data has a `*_sealed` BYTEA column, bound to its
-- row; a looked-up value (a platform message id, an identity value, a reactor) is stored as
-- its blind (a keyed PRF, in hex) for equality lookups, with its sealed copy beside it.

CREATE TABLE contacts (
    tenant              TEXT NOT NULL,
    id                  UUID NOT NULL,
    display_name_sealed BYTEA,
    -- The event that last named the contact: the newest name wins, whatever the arrival order.
    named_at            BIGINT,
    named_by            TEXT,
    created_at          BIGINT NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE contact_identities (
    tenant       TEXT NOT NULL,
    account      UUID NOT NULL,
    kind         TEXT NOT NULL,
    -- The blind of the platform user id.
    value        TEXT NOT NULL,
    contact      UUID NOT NULL,
    value_sealed BYTEA NOT NULL,
    PRIMARY KEY (tenant, account, kind, value)
);
CREATE INDEX contact_identities_by_contact ON contact_identities (tenant, contact);

CREATE TABLE conversations (
    tenant           TEXT NOT NULL,
    id               UUID NOT NULL,
    account          UUID NOT NULL,
    contact          UUID NOT NULL,
    status           TEXT NOT NULL,
    snoozed_until    BIGINT,
    assignee         TEXT,
    unread_count     BIGINT NOT NULL,
    last_inbound_at  BIGINT,
    last_activity_at BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, account, contact)
);
CREATE INDEX conversations_by_activity ON conversations (tenant, last_activity_at, id);

CREATE TABLE conversation_tags (
    tenant       TEXT NOT NULL,
    conversation UUID NOT NULL,
    tag          TEXT NOT NULL,
    PRIMARY KEY (tenant, conversation, tag)
);

CREATE TABLE messages (
    tenant                     TEXT NOT NULL,
    id                         UUID NOT NULL,
    conversation               UUID NOT NULL,
    account                    UUID NOT NULL,
    direction                  TEXT NOT NULL,
    author                     TEXT NOT NULL,
    -- '' while the content is sealed; the erased content's JSON once the message is unsent.
    content                    TEXT NOT NULL,
    content_sealed             BYTEA,
    -- The blind of the platform's id; NULL until an outbound message is accepted (NULLs never
    -- collide), so deduplication across processes is this unique constraint.
    platform_message_id        TEXT,
    platform_message_id_sealed BYTEA,
    reply_to_sealed            BYTEA,
    sent_at                    BIGINT NOT NULL,
    recorded_at                BIGINT NOT NULL,
    edited_at                  BIGINT,
    -- The event id of the winning edit: ties on edited_at are broken by it.
    edited_by                  TEXT,
    unsent_at                  BIGINT,
    delivery                   TEXT NOT NULL,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, account, platform_message_id)
);
CREATE INDEX messages_by_conversation ON messages (tenant, conversation, sent_at, id);
CREATE INDEX messages_by_time ON messages (tenant, sent_at, id);

-- The blind full-text index: per message, the keyed 64-bit PRF of each trigram of its text
-- (`unibox_core::privacy::search_terms`). A search intersects its terms' trigrams, then opens
-- each candidate and checks it exactly.
CREATE TABLE message_terms (
    tenant  TEXT NOT NULL,
    term    BIGINT NOT NULL,
    message UUID NOT NULL,
    PRIMARY KEY (tenant, term, message)
);
CREATE INDEX message_terms_by_message ON message_terms (tenant, message);

CREATE TABLE reactions (
    tenant         TEXT NOT NULL,
    message        UUID NOT NULL,
    -- The blind of the reacting user's platform id.
    reactor        TEXT NOT NULL,
    reactor_sealed BYTEA NOT NULL,
    -- NULL: the reaction was removed. The row stays so an older event cannot bring it back.
    emoji_sealed   BYTEA,
    at             BIGINT NOT NULL,
    event_id       TEXT NOT NULL,
    PRIMARY KEY (tenant, message, reactor)
);

-- Edits, unsends, reactions and receipts for messages not stored yet; applied (and deleted)
-- when the message arrives.
CREATE TABLE pending_actions (
    tenant              TEXT NOT NULL,
    account             UUID NOT NULL,
    -- The blind of the platform message id.
    platform_message_id TEXT NOT NULL,
    event_id            TEXT NOT NULL,
    kind                TEXT NOT NULL,
    at                  BIGINT NOT NULL,
    -- '' while sealed; the erased content's JSON for an edit of an unsent message.
    payload             TEXT NOT NULL,
    payload_sealed      BYTEA,
    PRIMARY KEY (tenant, account, platform_message_id, event_id)
);

-- Every ingested event id (redeliveries are recognised by it, across processes: the primary
-- key) and, for events without a table of their own, the whole event, sealed.
CREATE TABLE events (
    tenant         TEXT NOT NULL,
    account        UUID NOT NULL,
    event_id       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    occurred_at    BIGINT NOT NULL,
    received_at    BIGINT NOT NULL,
    payload_sealed BYTEA,
    PRIMARY KEY (tenant, account, event_id)
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['contacts', 'contact_identities', 'conversations', 'conversation_tags', 'messages',
                             'message_terms', 'reactions', 'pending_actions', 'events'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;

-- Internal notes on conversations (written by the team workflow, read by the inbox reads).
CREATE TABLE notes (
    tenant       TEXT NOT NULL,
    id           UUID NOT NULL,
    conversation UUID NOT NULL,
    author       TEXT NOT NULL,
    body_sealed  BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX notes_by_conversation ON notes (tenant, conversation, created_at, id);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notes USING (tenant = current_setting('unibox.tenant', true))
    WITH CHECK (tenant = current_setting('unibox.tenant', true));
