-- Schema version 11: who holds each conversation, the AI assistant or a person (the handoff
-- state machine of unibox_core::ai). Only the state is kept: no prompt, no completion.

CREATE TABLE IF NOT EXISTS ai_control (
    tenant       TEXT NOT NULL,
    conversation BLOB NOT NULL,
    -- 'bot' or 'human'.
    control      TEXT NOT NULL,
    -- Grows with every change of hands; a bot reply names the version it was generated at.
    version      INTEGER NOT NULL,
    bot_replies  INTEGER NOT NULL,
    -- The HandoffReason's code while a person holds it ('assigned', 'topic:refund', ...).
    reason       TEXT,
    changed_at   INTEGER,
    PRIMARY KEY (tenant, conversation)
) WITHOUT ROWID;
