-- Schema version 17: reactions sealed in a sealed inbox (src/apply.rs). The columns
-- reactions.reactor_sealed and reactions.emoji_sealed are added by the migration code when
-- missing (schema.rs, ADDED_COLUMNS), so this migration replays.
--
-- In a sealed inbox, `reactor` holds the blind of the reacting user's platform id (the
-- "reactor" index) and `emoji` is NULL; the reactor id and the emoji are sealed beside them,
-- bound to the row (the message id and the blind). A removed reaction keeps its sealed reactor
-- and has no emoji, sealed or not. Plain inboxes are unchanged.
--
-- Existing rows are not rewritten: a plain file stays plain, and the reactions a sealed file
-- got from an earlier build keep their plaintext reactor and emoji and are read as they are
-- (a value is opened only when its sealed column is set). The next reaction by the same
-- reactor to the same message that wins replaces such a row with a sealed one.

-- A contact erasure deletes the reactions of the contact's identities on messages of other
-- conversations (src/lifecycle/erasure.rs): found by reactor (its blind in a sealed inbox).
CREATE INDEX IF NOT EXISTS reactions_by_reactor ON reactions (tenant, reactor);
