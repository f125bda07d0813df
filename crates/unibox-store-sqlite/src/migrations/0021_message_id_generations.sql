-- Schema version 21: a sealed inbox stores the blind of a platform message id prefixed by its
-- insertion generation (src/sealing/message_ids.rs), so new entries of the unique index on
-- messages(tenant, account, platform_message_id) land together instead of at random pages.
--
-- Nothing changes in the tables: keys stored before (bare blinds, 32 hex digits) stay as they
-- are and are still found, beside the new ones (40 hex digits). The version exists so that an
-- earlier build, which looks ids up by the bare blind only and would store a redelivered
-- message twice, refuses a file this one has written instead of using it.
SELECT 1;
