-- unibox-store-sqlite schema version 8: the audit trail's query indexes, filled in blocks.
--
-- Version 4 indexed every audit record four times (actor, target, action, time) as it was
-- appended. The actor and target indexes are scattered (tens of agents, thousands of
-- conversations), so each group commit rewrote a page of them per distinct actor and target:
-- most of an append's disk writes. Now `audit_log` has only its primary key, and the fields
-- queries filter on are copied into `audit_index` a block of records at a time (by the append
-- that completes the block, in its transaction), where a page of an index is rewritten once per
-- block instead of once per commit. A query reads the indexed records through `audit_index` and
-- the few records after its last block (the unindexed tail) from `audit_log` directly.
DROP INDEX audit_by_actor;
DROP INDEX audit_by_target;
DROP INDEX audit_by_action;
DROP INDEX audit_by_time;

CREATE TABLE audit_index (
    tenant TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    target TEXT    NOT NULL,
    PRIMARY KEY (tenant, seq)
) WITHOUT ROWID;
CREATE INDEX audit_index_by_actor ON audit_index (tenant, actor, seq);
CREATE INDEX audit_index_by_target ON audit_index (tenant, target, seq);
CREATE INDEX audit_index_by_action ON audit_index (tenant, action, seq);
CREATE INDEX audit_index_by_time ON audit_index (tenant, at, seq);

-- The records of existing chains are indexed at once.
INSERT INTO audit_index (tenant, seq, at, actor, action, target)
    SELECT tenant, seq, at, actor, action, target FROM audit_log;
