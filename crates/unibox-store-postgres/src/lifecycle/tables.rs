//! Which tables each lifecycle operation covers: the one list to extend when a migration adds
//! a table with a `tenant` column. `every_tenant_table_is_covered` (in `tests.rs`) reads the
//! schema and fails naming any table with a `tenant` column that is in neither list below.

/// A table with tenant rows, and the columns that (with `tenant`) pick one row: tenant deletion
/// deletes `WHERE tenant = $1 AND (key) IN (SELECT key ... LIMIT n)`, a batch at a time.
pub(crate) struct TenantTable {
    pub(crate) name: &'static str,
    pub(crate) key: &'static str,
}

const fn table(name: &'static str, key: &'static str) -> TenantTable {
    TenantTable { name, key }
}

/// The table tenant deletion empties through the owner's `unibox_delete_tenant_credits`
/// (append-only for every other write).
pub(crate) const CREDITS: &str = "credit_entries";

/// Every table tenant deletion empties of the tenant's rows, in this order (dependent rows
/// first). [`CREDITS`] goes through its function; after `accounts`, the routing registry
/// forgets the deleted accounts (`unibox_unregister_deleted_accounts`).
pub(crate) const TENANT_DELETION: &[TenantTable] = &[
    table("message_search", "message"),
    table("messages", "id"),
    table("reactions", "message, reactor"),
    table("pending_actions", "account, platform_message_id, event_id"),
    table("events", "account, event_id"),
    table("notes", "id"),
    table("conversation_tags", "conversation, tag"),
    table("read_markers", "conversation, user_id"),
    table("ai_control", "conversation"),
    table("analytics_tracks", "conversation"),
    table("analytics_tallies", "day, account, agent"),
    table("analytics_positions", "tenant"),
    table("outbox", "message"),
    table("changes", "position"),
    table("change_heads", "tenant"),
    table("conversations", "id"),
    table("contact_attributes", "contact, name"),
    table("contact_identities", "account, kind, value"),
    table("privacy_user_links", "platform, platform_user_id, contact"),
    table("contacts", "id"),
    table("orders", "account, order_id"),
    table("products", "account, product_id"),
    table("sync_cursors", "account, stream"),
    table(CREDITS, "sequence"),
    table("usage_counters", "day, channel, metric"),
    table("sessions", "id"),
    table("agents", "user_id"),
    table("assignment_turns", "tenant"),
    table("canned_replies", "shortcut"),
    table("audit_checkpoints", "seq, key_id"),
    table("audit_log", "seq"),
    table("audit_heads", "tenant"),
    table("vault_tokens", "account"),
    table("vault_leases", "account"),
    table("vault_data_keys", "generation"),
    table("accounts", "id"),
];

/// Tables with a `tenant` column that tenant deletion keeps, and why.
// Read by the tests (the list documents a decision; nothing deletes by it).
#[cfg_attr(not(all(test, feature = "testing")), allow(dead_code))]
pub(crate) const KEPT_BY_TENANT_DELETION: &[(&str, &str)] = &[(
    "privacy_requests",
    "the deletion request itself: its status and completion time are the record that the deletion happened",
)];

/// What a contact erasure deletes (see `erasure.rs`), for the documentation and the test that
/// checks each exists: rows of the contact's conversations, rows keyed by the contact, and rows
/// naming one of its identities.
#[cfg_attr(not(all(test, feature = "testing")), allow(dead_code))]
pub(crate) const CONTACT_ERASURE: &[&str] = &[
    // Of its conversations:
    "messages",
    "message_search",
    "reactions",
    "pending_actions",
    "outbox",
    "changes",
    "notes",
    "conversation_tags",
    "read_markers",
    "ai_control",
    "analytics_tracks",
    "conversations",
    // Of the contact:
    "contact_attributes",
    "privacy_user_links",
    "contact_identities",
    "contacts",
    // Naming one of its identities (the buyer of an order, the sender of a logged event):
    "orders",
    "events",
];
