-- unibox-store-postgres migration 17: retention and erasure (unibox_core::lifecycle), and the
-- platform user id of privacy requests sealed.
--
-- What the lifecycle part needs beyond the tenant's own rows, each through an owner's SECURITY
-- DEFINER function that does nothing else:
-- - listing the tenants a pass visits (`unibox_lifecycle_tenants`);
-- - deleting a tenant's message credits, which are append-only for every other write
--   (`unibox_delete_tenant_credits`, only while a tenant deletion of the tenant is pending);
-- - forgetting the routing of a deleted tenant's accounts (`unibox_unregister_deleted_accounts`).

-- Keyset listings and purges by time, and erasure by conversation and reactor.
CREATE INDEX notes_by_time ON notes (tenant, created_at, id);
CREATE INDEX events_by_receipt ON events (tenant, received_at);
CREATE INDEX pending_actions_by_time ON pending_actions (tenant, at);
CREATE INDEX outbox_by_conversation ON outbox (tenant, conversation);
CREATE INDEX changes_by_conversation ON changes (tenant, conversation) WHERE conversation IS NOT NULL;
CREATE INDEX reactions_by_reactor ON reactions (tenant, reactor);

-- The platform user id of links and requests, sealed (as the SQLite store's schema 18): a link
-- keeps in `platform_user_id` the blind of the platform and the id (the `privacy-user` index)
-- with the sealed id beside it; a request keeps '' there and the sealed id beside it (a request
-- naming no user keeps '' and nothing sealed). Rows written before this migration keep their
-- plaintext id and read as they are: a value is opened only where its sealed column is set.
ALTER TABLE privacy_user_links ADD COLUMN platform_user_id_sealed BYTEA;
ALTER TABLE privacy_requests ADD COLUMN platform_user_id_sealed BYTEA;

-- The tenants with a registered account or a pending privacy request. The owner role (the one
-- migrating, CURRENT_USER here) may read every tenant's requests; the function runs as it.
CREATE POLICY owner_lifecycle ON privacy_requests FOR SELECT TO CURRENT_USER USING (true);
CREATE FUNCTION unibox_lifecycle_tenants()
RETURNS TABLE (tenant TEXT) LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT r.tenant FROM account_registry r
    UNION
    SELECT p.tenant FROM privacy_requests p WHERE p.status_name <> 'completed'
    ORDER BY 1
$$;

-- Credit entries stay append-only: the trigger refuses every update, and every delete except
-- one made by the table's owner while `unibox.credit_erasure` names the row's tenant, which only
-- the function below sets (the application role is never the owner, so it cannot delete even
-- if it sets the variable itself).
CREATE OR REPLACE FUNCTION unibox_credit_entries_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND OLD.tenant = current_setting('unibox.credit_erasure', true)
       AND current_user = (SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = TG_RELID) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'credit entries are append-only' USING ERRCODE = '23514';
END $$;

-- Deletes up to `p_limit` credit entries of the transaction's tenant, oldest first, and returns
-- how many; refused (when there is any) unless a tenant deletion of the tenant is pending
-- (tenant deletion is the one documented path that removes a ledger).
CREATE FUNCTION unibox_delete_tenant_credits(p_limit BIGINT)
RETURNS BIGINT LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    v_tenant TEXT := current_setting('unibox.tenant', true);
    v_rows   BIGINT;
BEGIN
    IF v_tenant IS NULL OR v_tenant = '' THEN
        RAISE EXCEPTION 'no tenant is set for this transaction' USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM credit_entries e WHERE e.tenant = v_tenant) THEN
        RETURN 0;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM privacy_requests p WHERE p.tenant = v_tenant AND p.kind = 'tenant_deletion'
                   AND p.status_name <> 'completed') THEN
        RAISE EXCEPTION 'credit entries are deleted only with their tenant, and no tenant deletion is pending'
            USING ERRCODE = '42501';
    END IF;
    PERFORM set_config('unibox.credit_erasure', v_tenant, true);
    DELETE FROM credit_entries c WHERE c.tenant = v_tenant AND c.sequence IN
        (SELECT e.sequence FROM credit_entries e WHERE e.tenant = v_tenant ORDER BY e.sequence LIMIT p_limit);
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    PERFORM set_config('unibox.credit_erasure', '', true);
    RETURN v_rows;
END $$;

-- Removes from the routing registry the accounts of the transaction's tenant that no longer
-- exist (the tenant's accounts were deleted); returns how many.
CREATE FUNCTION unibox_unregister_deleted_accounts()
RETURNS BIGINT LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    v_tenant TEXT := current_setting('unibox.tenant', true);
    v_rows   BIGINT;
BEGIN
    IF v_tenant IS NULL OR v_tenant = '' THEN
        RAISE EXCEPTION 'no tenant is set for this transaction' USING ERRCODE = '42501';
    END IF;
    DELETE FROM account_registry r WHERE r.tenant = v_tenant
        AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.tenant = v_tenant AND a.id = r.account);
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END $$;
