-- unibox-store-postgres migration 1: channel accounts, their routing registry, and the token
-- vault's storage.
--
-- Conventions: ids are UUIDs; times are BIGINT Unix milliseconds; structured values are JSON
-- text written by serde_json; sealed values are BYTEA. Every tenant table has `tenant` first in
-- its primary key, row-level security ENABLEd and FORCEd, and the policy `tenant_isolation`:
-- a row is visible and writable only inside a transaction that set `unibox.tenant` to its
-- tenant (`SELECT set_config('unibox.tenant', $1, true)`, what every unit of work starts with).

CREATE TABLE accounts (
    tenant              TEXT NOT NULL,
    id                  UUID NOT NULL,
    channel             TEXT NOT NULL,
    kind                TEXT NOT NULL,
    platform_account_id TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    state               TEXT NOT NULL,
    connected_at        BIGINT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX accounts_by_connection ON accounts (tenant, connected_at, id);

-- The token vault: only ciphertext (sealed token sets, wrapped data keys). `expires_at` stays
-- in the clear so refreshes can be planned without decrypting.
CREATE TABLE vault_tokens (
    tenant     TEXT NOT NULL,
    account    UUID NOT NULL,
    -- NULL once revoked: revoking forgets the ciphertext.
    sealed     BYTEA,
    expires_at BIGINT,
    revoked_at BIGINT,
    -- Bumped by every write; a refresh stores its result only if it is unchanged.
    revision   BIGINT NOT NULL,
    PRIMARY KEY (tenant, account)
);

-- One refresher per account across every process sharing the database.
CREATE TABLE vault_leases (
    tenant  TEXT NOT NULL,
    account UUID NOT NULL,
    holder  TEXT NOT NULL,
    until   BIGINT NOT NULL,
    PRIMARY KEY (tenant, account)
);

CREATE TABLE vault_data_keys (
    tenant      TEXT NOT NULL,
    generation  BIGINT NOT NULL,
    kek_version BIGINT NOT NULL,
    wrapped     BYTEA NOT NULL,
    PRIMARY KEY (tenant, generation)
);
CREATE INDEX vault_data_keys_by_kek ON vault_data_keys (kek_version);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['accounts', 'vault_tokens', 'vault_leases', 'vault_data_keys'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant = current_setting(''unibox.tenant'', true)) '
            'WITH CHECK (tenant = current_setting(''unibox.tenant'', true))', t);
    END LOOP;
END $$;

-- The one cross-tenant lookup: which tenant's account a webhook event belongs to. Account ids
-- and (channel, platform account id) pairs are unique across tenants. The application role has
-- no privilege on this table: it registers its own tenant's accounts and routes events only
-- through the two SECURITY DEFINER functions below, which see nothing else.
CREATE TABLE account_registry (
    account             UUID NOT NULL PRIMARY KEY,
    tenant              TEXT NOT NULL,
    channel             TEXT NOT NULL,
    platform_account_id TEXT NOT NULL,
    UNIQUE (channel, platform_account_id)
);

-- Registers (or moves) `p_account` of the transaction's tenant under a channel and platform id.
-- 'ok', or 'taken' (another account has that platform id on that channel), or 'foreign' (the
-- account id is another tenant's).
CREATE FUNCTION unibox_register_account(p_account UUID, p_channel TEXT, p_platform_account_id TEXT)
RETURNS TEXT LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    v_tenant TEXT := current_setting('unibox.tenant', true);
    v_owner  TEXT;
    v_rows   BIGINT;
BEGIN
    IF v_tenant IS NULL OR v_tenant = '' THEN
        RAISE EXCEPTION 'no tenant is set for this transaction' USING ERRCODE = '42501';
    END IF;
    SELECT r.tenant INTO v_owner FROM account_registry r WHERE r.account = p_account;
    IF v_owner IS NOT NULL AND v_owner <> v_tenant THEN
        RETURN 'foreign';
    END IF;
    IF EXISTS (SELECT 1 FROM account_registry r WHERE r.channel = p_channel
               AND r.platform_account_id = p_platform_account_id AND r.account <> p_account) THEN
        RETURN 'taken';
    END IF;
    INSERT INTO account_registry AS r (account, tenant, channel, platform_account_id)
    VALUES (p_account, v_tenant, p_channel, p_platform_account_id)
    ON CONFLICT (account) DO UPDATE SET channel = excluded.channel,
        platform_account_id = excluded.platform_account_id
    WHERE r.tenant = excluded.tenant;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    IF v_rows = 0 THEN
        RETURN 'foreign';
    END IF;
    RETURN 'ok';
END $$;

-- The tenant and account id an event arriving on `p_channel` for `p_platform_account_id`
-- belongs to (no row: no such account).
CREATE FUNCTION unibox_route(p_channel TEXT, p_platform_account_id TEXT)
RETURNS TABLE (tenant TEXT, account UUID) LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT r.tenant, r.account FROM account_registry r
    WHERE r.channel = p_channel AND r.platform_account_id = p_platform_account_id
$$;

-- A key rotation is an operator's job over every tenant: the wrapped data keys (ciphertext
-- under the key-encryption key) not yet wrapped with `p_kek_version`, tenant by tenant. The
-- owner role (the one migrating, CURRENT_USER here) may read every tenant's wrapped keys; the
-- function runs as it, and the application role reaches them only through it.
CREATE POLICY owner_rotation ON vault_data_keys FOR SELECT TO CURRENT_USER USING (true);
CREATE FUNCTION unibox_stale_data_keys(p_kek_version BIGINT, p_limit BIGINT)
RETURNS TABLE (tenant TEXT, generation BIGINT, kek_version BIGINT, wrapped BYTEA)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT k.tenant, k.generation, k.kek_version, k.wrapped FROM vault_data_keys k
    WHERE k.kek_version <> p_kek_version ORDER BY k.tenant, k.generation LIMIT p_limit
$$;
