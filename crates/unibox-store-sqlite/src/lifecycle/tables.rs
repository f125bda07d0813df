//! Which tables each lifecycle operation covers: the one list to extend when a migration adds
//! a table with a `tenant` column. `tests::every_tenant_table_is_covered` reads the schema and
//! fails naming any table with a `tenant` column that is in neither list below.

/// A table with tenant rows, and the columns that (with `tenant`) pick one row: tenant deletion
/// deletes `WHERE tenant = ? AND (key) IN (SELECT key ... LIMIT n)`, a batch at a time.
pub(crate) struct TenantTable {
    pub(crate) name: &'static str,
    pub(crate) key: &'static str,
}

const fn table(name: &'static str, key: &'static str) -> TenantTable {
    TenantTable { name, key }
}

/// Every table tenant deletion empties of the tenant's rows, in this order (dependent rows
/// first). `messages` is special: its search text in `message_search` and its blind terms in
/// `message_terms` (FTS tables without a tenant column, keyed by `messages.seq`) go in the same
/// batch.
pub(crate) const TENANT_DELETION: &[TenantTable] = &[
    table("messages", "seq"),
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
    table("change_trims", "tenant"),
    table("conversations", "id"),
    table("contact_attributes", "contact, name"),
    table("contact_identities", "account, kind, value"),
    table("privacy_user_links", "id"),
    table("contacts", "id"),
    table("orders", "account, order_id"),
    table("products", "account, product_id"),
    table("sync_cursors", "account, stream"),
    table("credit_entries", "sequence"),
    table("usage_counters", "day, channel, metric"),
    table("sessions", "token_hash"),
    table("agents", "user_id"),
    table("assignment_turns", "tenant"),
    table("canned_replies", "shortcut"),
    table("audit_index", "seq"),
    table("audit_checkpoints", "seq, key_id"),
    table("audit_log", "seq"),
    table("vault_tokens", "account"),
    table("vault_leases", "account"),
    table("vault_data_keys", "generation"),
    table("accounts", "id"),
];

/// Tables with a `tenant` column that tenant deletion keeps, and why.
// Read by the tests (the list documents a decision; nothing deletes by it).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const KEPT_BY_TENANT_DELETION: &[(&str, &str)] = &[(
    "privacy_requests",
    "the deletion request itself: its status and completion time are the record that the deletion happened",
)];

/// What a contact erasure deletes (see `erasure.rs`), for the documentation and the test that
/// checks nothing of the contact is left: rows of the contact's conversations, rows keyed by
/// the contact, and rows naming one of its identities.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const CONTACT_ERASURE: &[&str] = &[
    // Of its conversations:
    "messages",
    "message_search",
    "message_terms",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tenant_table_is_covered() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let mut statement = conn
            .prepare(
                "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND c.name = 'tenant' ORDER BY m.name",
            )
            .unwrap();
        let tables: Vec<String> = statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect();
        assert!(tables.len() > 30, "the schema query found the tenant tables: {tables:?}");
        let uncovered: Vec<&String> = tables
            .iter()
            .filter(|name| {
                !TENANT_DELETION.iter().any(|t| t.name == name.as_str())
                    && !KEPT_BY_TENANT_DELETION.iter().any(|(kept, _)| kept == name)
            })
            .collect();
        assert!(
            uncovered.is_empty(),
            "tables with a tenant column that tenant deletion neither deletes nor keeps on purpose: {uncovered:?}; \
             add them to TENANT_DELETION (or KEPT_BY_TENANT_DELETION with the reason) in src/lifecycle/tables.rs"
        );
        for listed in TENANT_DELETION {
            assert!(tables.iter().any(|t| t == listed.name), "{} is listed but has no tenant column", listed.name);
        }
    }

    #[test]
    fn every_contact_erasure_table_exists() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        for name in CONTACT_ERASURE {
            let found: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |row| {
                    row.get(0)
                })
                .unwrap();
            assert_eq!(found, 1, "{name}");
        }
    }
}
