-- unibox-store-sqlite schema version 7: how far the inbound journal is applied.
--
-- Events accepted by `Inbox::accept` (the webhook fast path) are committed to a journal file of
-- their own (`<inbox file>.inbound`) and applied to this inbox in large batches. Applying a
-- batch and moving `seq` happen in one transaction, so every accepted event is applied once.
-- `journal` is the identity of the journal file the position belongs to: a replaced journal
-- file starts over from its beginning.
CREATE TABLE journal_applied (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    journal BLOB NOT NULL,
    seq     INTEGER NOT NULL
) STRICT;
