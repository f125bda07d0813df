-- unibox-store-sqlite schema version 5: working the inbox as a team, and analytics.
--
-- Same conventions as 0001: 16-byte UUID blobs, INTEGER Unix milliseconds, a `tenant` column
-- on every table, every query filtered by it.

-- How far each agent has read each conversation.
CREATE TABLE read_markers (
    tenant       TEXT NOT NULL,
    conversation BLOB NOT NULL,
    user_id      TEXT NOT NULL,
    read_up_to   INTEGER NOT NULL,
    PRIMARY KEY (tenant, conversation, user_id)
) STRICT, WITHOUT ROWID;

-- Least-open assignment and capacity count each assignee's open and pending conversations.
CREATE INDEX conversations_by_assignee ON conversations (tenant, assignee, status) WHERE assignee IS NOT NULL;
-- A contact's conversations (contact merging, the contact filter of listings).
CREATE INDEX conversations_by_contact ON conversations (tenant, contact);

-- Canned replies, one per shortcut.
CREATE TABLE canned_replies (
    tenant     TEXT NOT NULL,
    shortcut   TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, shortcut)
) STRICT, WITHOUT ROWID;

-- Attributes agents record on contacts (email, phone, customer number ...).
CREATE TABLE contact_attributes (
    tenant  TEXT NOT NULL,
    contact BLOB NOT NULL,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (tenant, contact, name)
) STRICT, WITHOUT ROWID;

-- The agent roster for automatic assignment; `accounts` is a JSON array of account ids (hex),
-- empty for all accounts.
CREATE TABLE agents (
    tenant    TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    available INTEGER NOT NULL,
    capacity  INTEGER NOT NULL,
    accounts  TEXT NOT NULL,
    PRIMARY KEY (tenant, user_id)
) STRICT, WITHOUT ROWID;

-- Whose turn it was last, for round-robin assignment.
CREATE TABLE assignment_turns (
    tenant    TEXT NOT NULL PRIMARY KEY,
    last_user TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Analytics: what is remembered per conversation between observations.
CREATE TABLE analytics_tracks (
    tenant                 TEXT NOT NULL,
    conversation           BLOB NOT NULL,
    assignee               TEXT,
    opened_at              INTEGER,
    awaiting_since         INTEGER,
    first_response_pending INTEGER NOT NULL,
    PRIMARY KEY (tenant, conversation)
) STRICT, WITHOUT ROWID;

-- Analytics: one tally per (tenant, UTC day, account, agent); agent '' is nobody (unassigned
-- conversations, automations). Histograms are LatencyHistogram::to_bytes.
CREATE TABLE analytics_tallies (
    tenant              TEXT NOT NULL,
    day                 INTEGER NOT NULL,
    account             BLOB NOT NULL,
    agent               TEXT NOT NULL,
    messages_in         INTEGER NOT NULL,
    messages_out        INTEGER NOT NULL,
    first_response_n    INTEGER NOT NULL,
    first_response_sum  INTEGER NOT NULL,
    first_response_hist BLOB NOT NULL,
    response_n          INTEGER NOT NULL,
    response_sum        INTEGER NOT NULL,
    response_hist       BLOB NOT NULL,
    resolution_n        INTEGER NOT NULL,
    resolution_sum      INTEGER NOT NULL,
    resolution_hist     BLOB NOT NULL,
    PRIMARY KEY (tenant, day, account, agent)
) STRICT, WITHOUT ROWID;
