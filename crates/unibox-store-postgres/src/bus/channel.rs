//! The store's notification channel, and the one way a change is announced on it: in the
//! committing transaction, [`NOTIFY_TENANT_SQL`] inside the change log's append statement
//! (`crate::changes::append_all`), or [`notify_in`] on its own (tests).
//!
//! One channel per schema, whatever the tenant; the payload is the tenant id. Why not one
//! channel per tenant: channel names are identifiers (at most 63 bytes) and tenant ids are up to
//! 128, so they would have to be hashed (and a hash collision checked against a payload
//! anyway), and every process would `LISTEN`/`UNLISTEN` as its subscribers come and go. With
//! one channel, a process listens once, on one connection, and hands each notification to the
//! subscribers of the tenant its payload names (an exact match on the whole id). Every listener
//! hears every tenant's notifications, a few bytes each, and learns nothing but that the tenant
//! changed: no event, no content. The payload (a tenant id, at most 128 bytes) stays far below
//! PostgreSQL's 8000-byte limit.
//!
//! `NOTIFY` is per database, not per schema: the channel is named after the schema
//! (`unibox_changes_` and a 64-bit hash of `current_schema()`), so deployments in other
//! schemas of the same database do not wake each other. The name is computed by the server,
//! from the connection's own search path, on the store's connections and the bus's alike.

use tokio_postgres::Client;
use unibox_core::{Error, ErrorKind, Result};

use crate::error::PgResultExt;

/// The SQL expression of the channel's name, written once for both sides.
macro_rules! channel_sql {
    () => {
        "'unibox_changes_' || to_hex(hashtextextended(current_schema(), 0))"
    };
}

/// The SQL call that notifies the channel with the payload `$1` (a tenant id), for a statement
/// that notifies as it writes ([`notify_in`]'s, inside a larger statement).
pub(crate) const NOTIFY_TENANT_SQL: &str = concat!("pg_notify(", channel_sql!(), ", $1)");

/// Announces, in the caller's transaction, that `tenant`'s change log changed: the
/// notification is delivered to every listening process when the transaction commits, and to
/// none when it rolls back. PostgreSQL sends a transaction's identical notifications once, so
/// calling it for every change of a tenant costs one notification per commit.
///
/// A transaction that notifies takes a database-wide lock briefly at commit (PostgreSQL orders
/// the notification queue that way): notifying commits run one after the other.
#[cfg(test)]
pub(crate) async fn notify_in(tx: &crate::pool::Tx<'_>, tenant: &unibox_core::TenantId) -> Result<()> {
    const OP: &str = "postgres.bus.notify";
    let statement = tx.prepare_cached(concat!("SELECT pg_notify(", channel_sql!(), ", $1)")).await.during(OP)?;
    tx.execute(&statement, &[&tenant.as_str()]).await.during(OP)?;
    Ok(())
}

/// The channel's name on `client`'s search path (the bus listens on it).
///
/// A `Configuration` error when the search path names no existing schema.
pub(crate) async fn channel_name(client: &Client, operation: &'static str) -> Result<String> {
    let row = client.query_one(concat!("SELECT ", channel_sql!()), &[]).await.during(operation)?;
    row.get::<_, Option<String>>(0).ok_or_else(|| {
        Error::new(
            ErrorKind::Configuration,
            "the bus connection's search_path names no existing schema: connect with the store's options",
        )
        .with_operation(operation)
    })
}
