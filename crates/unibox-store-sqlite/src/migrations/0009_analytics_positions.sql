-- unibox-store-sqlite schema version 9: analytics follow the change log.
--
-- Each tenant's analytics remember the last change-log position they reflect; the position
-- moves in the same transaction as the tallies, so a change is counted once, even across a
-- crash.
CREATE TABLE analytics_positions (
    tenant   TEXT NOT NULL PRIMARY KEY,
    position INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The tallies of an existing database were fed up to now by the earlier in-process feed:
-- analytics go on from each tenant's latest change instead of counting the log again.
INSERT INTO analytics_positions (tenant, position)
SELECT tenant, max(position) FROM (
    SELECT tenant, max(position) AS position FROM changes GROUP BY tenant
    UNION ALL
    SELECT tenant, through AS position FROM change_trims
)
GROUP BY tenant;
