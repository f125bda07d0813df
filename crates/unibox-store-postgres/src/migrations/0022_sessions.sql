-- unibox-store-postgres: sessions of the embedding application's users (as the SQLite store's
-- `sessions`). The token itself is never stored: only its SHA-256 (a token has 256 random bits,
-- so the hash cannot be reversed).

CREATE TABLE sessions (
    tenant          TEXT NOT NULL,
    id              UUID NOT NULL,
    token_hash      BYTEA NOT NULL UNIQUE,
    user_id         TEXT NOT NULL,
    role            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_active_at  BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    -- JSON of unibox_core::session::SecondFactor
    second_factor   TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX sessions_by_user ON sessions (tenant, user_id, created_at);
CREATE INDEX sessions_by_tenant ON sessions (tenant, created_at);
CREATE INDEX sessions_by_idle_deadline ON sessions (idle_expires_at);
CREATE INDEX sessions_by_deadline ON sessions (expires_at);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['sessions'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;

-- Two lookups cross tenants, and the application role makes them only through the owner's
-- SECURITY DEFINER functions below: finding a session by its token's hash (a request carries
-- only the token) and removing every expired session (a periodic job over all tenants). The
-- owner role (the one migrating, CURRENT_USER here) may read and delete every tenant's sessions;
-- the functions run as it and do nothing else.
CREATE POLICY owner_lookup ON sessions FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY owner_expiry ON sessions FOR DELETE TO CURRENT_USER USING (true);

-- The session whose token hashes to `p_token_hash`, in any tenant (no row: none).
CREATE FUNCTION unibox_find_session(p_token_hash BYTEA)
RETURNS TABLE (id UUID, tenant TEXT, user_id TEXT, role TEXT, created_at BIGINT, last_active_at BIGINT,
               idle_expires_at BIGINT, expires_at BIGINT, second_factor TEXT)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT s.id, s.tenant, s.user_id, s.role, s.created_at, s.last_active_at, s.idle_expires_at, s.expires_at,
           s.second_factor
    FROM sessions s WHERE s.token_hash = p_token_hash
$$;

-- Removes the sessions of every tenant whose idle or absolute deadline is at or before `p_now`;
-- returns how many.
CREATE FUNCTION unibox_remove_expired_sessions(p_now BIGINT)
RETURNS BIGINT LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    v_rows BIGINT;
BEGIN
    DELETE FROM sessions s WHERE s.idle_expires_at <= p_now OR s.expires_at <= p_now;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END $$;
