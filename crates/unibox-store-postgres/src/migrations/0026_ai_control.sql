-- unibox-store-postgres: who holds each conversation, the AI assistant or a person (the handoff
-- state machine of unibox_core::ai), as the SQLite store's `ai_control`. Only the state is kept:
-- no prompt, no completion. A transition reads and writes the row under the conversation's
-- advisory lock, so it is atomic across every process sharing the database.

CREATE TABLE ai_control (
    tenant       TEXT NOT NULL,
    conversation UUID NOT NULL,
    -- 'bot' or 'human'.
    control      TEXT NOT NULL,
    -- Grows with every change of hands; a bot reply names the version it was generated at.
    version      BIGINT NOT NULL,
    bot_replies  BIGINT NOT NULL,
    -- The HandoffReason's code while a person holds it ('assigned', 'topic:refund', ...).
    reason       TEXT,
    changed_at   BIGINT,
    PRIMARY KEY (tenant, conversation)
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['ai_control'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;
