-- Schema version 20: who made an edit or unsend that waits for its message. The column
-- pending_actions.author is added by the migration code when missing (schema.rs,
-- ADDED_COLUMNS), so this migration replays.
--
-- An edit's or unsend's payload does not name the customer who made it, so a contact erasure
-- could not find the person's changes waiting for a message that had not arrived. New rows of
-- kind 'edit' and 'unsend' hold the customer's id in `author` (in a sealed inbox its blind, the
-- "change-author" index); other kinds leave it NULL. Rows an earlier build wrote keep NULL and
-- are not matched by an erasure; they leave with retention, or when their message arrives.
SELECT 1;
