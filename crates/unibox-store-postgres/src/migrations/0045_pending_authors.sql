-- Who made an edit or unsend that waits for its message: the blind of the customer's id (the
-- "change-author" index), as in SQLite's schema version 20. Its payload does not name the
-- person, so without it a contact erasure could not find the person's waiting changes. Other
-- kinds, and rows written before this migration, keep NULL (they leave with retention, or when
-- their message arrives).
ALTER TABLE pending_actions ADD COLUMN IF NOT EXISTS author TEXT;
