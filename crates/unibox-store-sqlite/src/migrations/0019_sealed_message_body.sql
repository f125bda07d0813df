-- Schema version 19: a message's platform id, reply-to and content sealed as one value
-- (src/sealing/body.rs). The column messages.body_sealed is added by the migration code when
-- missing (schema.rs, ADDED_COLUMNS), so this migration replays.
--
-- In a sealed inbox, ingest stores a message's three sealed parts as one body: one AEAD call
-- per stored message instead of three. Rows written part by part (outbound messages, restored
-- exports, earlier builds, and any message after an edit or unsend splits its body) keep
-- content_sealed, reply_to_sealed and platform_message_id_sealed; a row never holds both.
-- Existing rows are not rewritten. Plain inboxes are unchanged.
SELECT 1;
