-- Conversation data sealed at rest (src/sealing). Each sealed column gets a `*_sealed` BLOB
-- column beside it, added by the migration code when missing (ALTER TABLE ADD COLUMN has no
-- IF NOT EXISTS): messages.content, reply_to and platform_message_id, contacts.display_name,
-- contact_identities.value, contact_attributes.value, notes.body, events.payload,
-- pending_actions.payload and orders.body.

-- Which mode the file is in: 1 sealed, 0 plain. Decided by the first open, checked by every
-- later one, so a file never mixes sealed and plaintext conversation data.
CREATE TABLE IF NOT EXISTS conversation_sealing (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed INTEGER NOT NULL
) STRICT;

-- The blind full-text index of a sealed inbox (rowid = messages.seq): per message, the keyed
-- PRF of each trigram of its text, in hex. Contentless: only the index is stored.
CREATE VIRTUAL TABLE IF NOT EXISTS message_terms USING fts5(
    terms,
    tokenize = 'ascii',
    content = '',
    contentless_delete = 1,
    detail = none
);
-- As for message_search: merge index segments eight at a time (fewer rewrites while ingesting).
INSERT INTO message_terms (message_terms, rank) VALUES ('automerge', 8);
-- As for message_search: a deleted message's terms leave the index at once (a purge or erasure
-- leaves no blind term of it behind in a segment).
INSERT INTO message_terms (message_terms, rank) VALUES ('secure-delete', 1);
