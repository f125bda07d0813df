//! Sealing a plaintext inbox file in place ([`SqliteStore::seal_plaintext_file`](crate::SqliteStore::seal_plaintext_file)).
//!
//! A file created with conversation sealing off holds conversation data in plaintext. This
//! turns it into exactly what a sealed file holds, as if every row had been written by a sealed
//! store: each sealed cell is sealed into its `*_sealed` column with the row id the writers bind
//! it to, its plain column cleared; looked-up columns hold the blind the writers compute; the
//! plaintext search index is replaced by the blind one; the file's mode becomes sealed. Then the
//! file and its inbound journal are vacuumed and their logs truncated, so no page, free page or
//! log frame keeps the plaintext.
//!
//! The steps:
//!
//! 1. The file is opened as a plain store with the caller's keys: its schema is brought up to
//!    date and the events waiting in its inbound journal are applied (then deleted from the
//!    journal). The tenants that hold conversation data get their seal for writing from the
//!    vault (created when a tenant has no data key yet). The store is closed.
//! 2. The file's store lock is taken (no store may open the file until step 3 ends), and one
//!    connection takes the inbox file and its journal exclusively (`locking_mode = EXCLUSIVE`,
//!    an exclusive transaction on each): anything else using the file makes this fail instead
//!    of writing plaintext beside sealed values. The journal must hold no
//!    event. Every cell is rewritten and the mode recorded in one transaction: a failure leaves
//!    the file plaintext and usable.
//! 3. `VACUUM` and `PRAGMA wal_checkpoint(TRUNCATE)` on the inbox file and on the journal.
//!
//! On a file already sealed there is nothing to seal; only step 3 runs, and only when the file or
//! its journal has free pages or a log to truncate (what a sealing interrupted after its commit
//! leaves).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use unibox_core::privacy::{DataKeys, TenantSeal};
use unibox_core::{ChannelAccountId, ContactId, Error, ErrorKind, Result, TenantId};
use unibox_vault::StoreKeys;

use super::Sealer;
use super::cells::{field, index};
use crate::codec::ERASED_CONTENT_JSON;
use crate::error::SqlResultExt;
use crate::file_lock::StoreLock;
use crate::journal::journal_path;
use crate::options::SqliteOptions;
use crate::{SqliteStore, apply, contacts, ingest, orders, privacy, reactions, rows};

const OP: &str = "sqlite.seal_plaintext_file";

/// What [`SqliteStore::seal_plaintext_file`](crate::SqliteStore::seal_plaintext_file) did.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_store_sqlite::{SqliteOptions, SqliteStore};
/// use unibox_vault::{Keyring, StoreKeys};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("inbox.db");
/// let entry = Keyring::generate_entry(1);
/// let keys = || StoreKeys::try_from(Keyring::parse(&entry).unwrap()).unwrap();
/// // A sealed file (the default): nothing to seal.
/// drop(SqliteStore::open(&path, keys()).await?);
/// let report = SqliteStore::seal_plaintext_file(&path, keys(), SqliteOptions::new()).await?;
/// assert!(report.nothing_to_do());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealReport {
    /// The file was sealed already: no value was sealed by this call.
    pub already_sealed: bool,
    /// Events that waited in the inbound journal and were applied (in plaintext) before sealing.
    pub applied_journal_events: u64,
    /// The tenants whose conversation data was sealed.
    pub tenants: usize,
    /// The rows rewritten, over every table.
    pub rows: u64,
    /// The messages whose searchable text went into the blind search index.
    pub indexed_messages: u64,
    /// Whether the files were vacuumed and their logs truncated by this call.
    pub scrubbed: bool,
}

impl SealReport {
    /// Whether the file was sealed already (nothing was sealed by this call).
    pub fn nothing_to_do(&self) -> bool {
        self.already_sealed
    }
}

/// The tenants that hold conversation data a sealed store would seal.
const TENANTS_WITH_DATA: &str = "SELECT tenant FROM messages UNION SELECT tenant FROM contacts \
     UNION SELECT tenant FROM contact_identities UNION SELECT tenant FROM contact_attributes \
     UNION SELECT tenant FROM notes UNION SELECT tenant FROM events WHERE payload IS NOT NULL \
     UNION SELECT tenant FROM pending_actions UNION SELECT tenant FROM orders \
     UNION SELECT tenant FROM reactions UNION SELECT tenant FROM privacy_user_links \
     UNION SELECT tenant FROM privacy_requests WHERE platform_user_id <> ''";

pub(crate) async fn seal_plaintext_file(path: &Path, keys: StoreKeys, options: SqliteOptions) -> Result<SealReport> {
    if !path.is_file() {
        return Err(Error::new(ErrorKind::NotFound, "there is no inbox file at this path")
            .with_operation(OP)
            .with_context("path", path.display()));
    }
    let (checked, busy_timeout) = (path.to_path_buf(), options.busy_timeout);
    if blocking(move || recorded_sealed(&checked, busy_timeout)).await? {
        let scrubbed_path = path.to_path_buf();
        let scrubbed = blocking(move || {
            let _lock = StoreLock::acquire(&scrubbed_path, busy_timeout, OP)?;
            scrub_if_needed(&scrubbed_path, busy_timeout)
        })
        .await?;
        return Ok(SealReport { already_sealed: true, scrubbed, ..SealReport::default() });
    }

    // 1. Migrate, apply the journal, and get each tenant's seal.
    let store = SqliteStore::open_with(path, options.clone().conversation_sealing(false), keys).await?;
    let prepared = prepare(&store).await;
    let inbox = Arc::clone(store.inbox());
    drop(store);
    match Arc::try_unwrap(inbox) {
        Ok(inbox) => inbox.close().await,
        Err(_) => {
            return Err(Error::new(ErrorKind::Unexpected, "the plain store opened for sealing is still in use")
                .with_operation(OP));
        }
    }
    let (applied_journal_events, seals) = prepared?;

    // 2. and 3.
    let path = path.to_path_buf();
    blocking(move || {
        // No store may open the file until it is sealed and scrubbed.
        let _lock = StoreLock::acquire(&path, busy_timeout, OP)?;
        let (tenants, rows, indexed_messages) = seal_file(&path, busy_timeout, &seals)?;
        scrub(&path, busy_timeout)?;
        Ok(SealReport {
            already_sealed: false,
            applied_journal_events,
            tenants,
            rows,
            indexed_messages,
            scrubbed: true,
        })
    })
    .await
}

/// Applies the journal and loads the seal for writing of every tenant with conversation data.
async fn prepare(store: &SqliteStore) -> Result<(u64, HashMap<String, Arc<dyn TenantSeal>>)> {
    let inbox = store.inbox();
    // Counted from the open: the journal may have been applied already.
    let waiting = inbox.events_waiting_at_open();
    inbox.scrub_journal(OP).await?;
    let tenants: Vec<String> = inbox
        .read(OP, |conn| {
            let mut statement = conn.prepare(TENANTS_WITH_DATA).during(OP)?;
            let tenants = statement.query_map([], |row| row.get(0)).during(OP)?;
            tenants.collect::<rusqlite::Result<Vec<String>>>().during(OP)
        })
        .await?;
    let mut seals = HashMap::with_capacity(tenants.len());
    for name in tenants {
        let tenant: TenantId = name.parse().map_err(|_| {
            Error::new(ErrorKind::Storage, "the inbox file holds a tenant id that is not valid").with_operation(OP)
        })?;
        let seal = DataKeys::for_writing(store.vault(), &tenant)
            .await
            .map_err(|error| error.with_operation(OP).with_context("tenant", &tenant))?;
        seals.insert(name, seal);
    }
    Ok((waiting, seals))
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Error::new(ErrorKind::Unexpected, "sealing the inbox file panicked").with_operation(OP))?
}

/// A read-write connection to an existing file, holding it exclusively from its first access.
fn open_exclusive(path: &Path, busy_timeout: std::time::Duration) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|err| crate::error::storage(OP, err).with_context("path", path.display()))?;
    conn.busy_timeout(busy_timeout).during(OP)?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE").during(OP)?;
    conn.pragma_update(None, "secure_delete", "ON").during(OP)?;
    // VACUUM's copy stays in memory, not in a temporary file.
    conn.pragma_update(None, "temp_store", "MEMORY").during(OP)?;
    Ok(conn)
}

/// Whether the file records the sealed mode. A file that cannot be read here is left to the
/// store's open, which reports what is wrong with it.
fn recorded_sealed(path: &Path, busy_timeout: std::time::Duration) -> Result<bool> {
    let Ok(conn) =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
    else {
        return Ok(false);
    };
    conn.busy_timeout(busy_timeout).during(OP)?;
    let recorded = conn
        .query_row("SELECT sealed FROM conversation_sealing WHERE id = 1", [], |row| row.get::<_, i64>(0))
        .optional()
        .unwrap_or(None);
    Ok(recorded == Some(1))
}

/// Steps 2: every cell of the file sealed, in one transaction. Returns (tenants, rows
/// rewritten, messages indexed).
fn seal_file(
    path: &Path,
    busy_timeout: std::time::Duration,
    seals: &HashMap<String, Arc<dyn TenantSeal>>,
) -> Result<(usize, u64, u64)> {
    // The journal first, held until the inbox file's transaction ends: no event may arrive.
    let mut journal = open_exclusive(&journal_path(path), busy_timeout)?;
    let journal_tx = journal.transaction_with_behavior(TransactionBehavior::Exclusive).map_err(in_use)?;
    let waiting: i64 = journal_tx.query_row("SELECT count(*) FROM inbound", [], |row| row.get(0)).map_err(in_use)?;
    if waiting > 0 {
        return Err(Error::new(
            ErrorKind::Conflict,
            "events arrived in the inbound journal while sealing: stop every process using the inbox file, then seal it",
        )
        .with_operation(OP));
    }
    let mut conn = open_exclusive(path, busy_timeout)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive).map_err(in_use)?;
    let sealed: Option<i64> = tx
        .query_row("SELECT sealed FROM conversation_sealing WHERE id = 1", [], |row| row.get(0))
        .optional()
        .map_err(in_use)?;
    if sealed == Some(1) {
        return Err(Error::new(ErrorKind::Conflict, "the inbox file was sealed by another process meanwhile")
            .with_operation(OP));
    }
    let sealers = Sealers::new(&tx, seals)?;
    let mut rows = 0;
    rows += seal_messages(&tx, &sealers)?;
    rows += seal_contacts(&tx, &sealers)?;
    rows += seal_identities(&tx, &sealers)?;
    rows += seal_attributes(&tx, &sealers)?;
    rows += seal_notes(&tx, &sealers)?;
    rows += seal_events(&tx, &sealers)?;
    rows += seal_pending(&tx, &sealers)?;
    rows += seal_orders(&tx, &sealers)?;
    rows += seal_reactions(&tx, &sealers)?;
    rows += seal_privacy_links(&tx, &sealers)?;
    rows += seal_privacy_requests(&tx, &sealers)?;
    let indexed = reindex(&tx, &sealers)?;
    tx.execute(
        "INSERT INTO conversation_sealing (id, sealed) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET sealed = 1",
        [],
    )
    .during(OP)?;
    tx.commit().during(OP)?;
    journal_tx.commit().during(OP)?;
    Ok((seals.len(), rows, indexed))
}

/// A failure to take a file: busy means another process (or another store in this one) uses it.
fn in_use(err: rusqlite::Error) -> Error {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => Error::new(
            ErrorKind::Storage,
            "the inbox file is in use by another process (or another store): stop every process using it, then seal it",
        )
        .with_operation(OP)
        .with_source(err)
        .temporary(),
        _ => crate::error::storage(OP, err),
    }
}

/// The sealer of each tenant with data.
struct Sealers(HashMap<String, Sealer>);

impl Sealers {
    /// Checks that every tenant with data in the file (read inside the sealing transaction) has
    /// its seal: a tenant that appeared since the seals were loaded was written by another process.
    fn new(conn: &Connection, seals: &HashMap<String, Arc<dyn TenantSeal>>) -> Result<Self> {
        let mut statement = conn.prepare(TENANTS_WITH_DATA).during(OP)?;
        let tenants = statement
            .query_map([], |row| row.get::<_, String>(0))
            .during(OP)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .during(OP)?;
        if tenants.iter().any(|tenant| !seals.contains_key(tenant)) {
            return Err(Error::new(
                ErrorKind::Conflict,
                "another process wrote to the inbox file while sealing: stop every process using it, then seal it",
            )
            .with_operation(OP));
        }
        Ok(Sealers(
            seals.iter().map(|(tenant, seal)| (tenant.clone(), Sealer::Sealed(Arc::clone(seal), None))).collect(),
        ))
    }

    fn of(&self, tenant: &str) -> Result<&Sealer> {
        self.0.get(tenant).ok_or_else(|| {
            Error::new(ErrorKind::Unexpected, "a row of a tenant without a loaded seal").with_operation(OP).permanent()
        })
    }
}

/// Reads every row of `sql` first (the updates change the columns it selects).
fn all<T>(conn: &Connection, sql: &str, map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>) -> Result<Vec<T>> {
    let mut statement = conn.prepare(sql).during(OP)?;
    statement.query_map([], map).during(OP)?.collect::<rusqlite::Result<Vec<T>>>().during(OP)
}

fn count(changed: usize) -> u64 {
    u64::try_from(changed).unwrap_or(u64::MAX)
}

/// Messages: ingested ones not edited nor unsent as one body (as ingest writes them), the
/// others part by part (as outbound messages, edits and unsends leave them); erased content
/// stays in the plain column, as it holds nothing personal. The platform id becomes its blind.
fn seal_messages(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    struct Row {
        seq: i64,
        id: [u8; 16],
        tenant: String,
        content: String,
        platform_id: Option<String>,
        reply_to: Option<String>,
        unsent: bool,
        edited: bool,
    }
    let found = all(
        conn,
        "SELECT seq, id, tenant, content, platform_message_id, reply_to, unsent_at IS NOT NULL, \
         edited_at IS NOT NULL FROM messages",
        |row| {
            Ok(Row {
                seq: row.get(0)?,
                id: row.get(1)?,
                tenant: row.get(2)?,
                content: row.get(3)?,
                platform_id: row.get(4)?,
                reply_to: row.get(5)?,
                unsent: row.get(6)?,
                edited: row.get(7)?,
            })
        },
    )?;
    let mut update = conn
        .prepare(
            "UPDATE messages SET content = ?2, platform_message_id = ?3, reply_to = ?4, content_sealed = ?5, \
             reply_to_sealed = ?6, platform_message_id_sealed = ?7, body_sealed = ?8 WHERE seq = ?1",
        )
        .during(OP)?;
    let mut rows = 0;
    for message in found {
        let sealer = sealers.of(&message.tenant)?;
        let row = &message.id;
        let key = message.platform_id.as_deref().map(|id| sealer.lookup(index::PLATFORM_MESSAGE_ID, id));
        let erased = message.unsent && message.content == ERASED_CONTENT_JSON;
        let body = match (&message.platform_id, erased || message.edited) {
            (Some(platform_id), false) => {
                super::body::seal(sealer, row, platform_id, message.reply_to.as_deref(), &message.content)?
            }
            _ => None,
        };
        let changed = if body.is_some() {
            update.execute(params![
                message.seq,
                "",
                key,
                None::<String>,
                None::<Vec<u8>>,
                None::<Vec<u8>>,
                None::<Vec<u8>>,
                body
            ])
        } else {
            let (content, content_sealed) = if erased {
                (message.content.clone(), None)
            } else {
                sealer.store_required(field::MESSAGE_CONTENT, row, &message.content)?
            };
            let (reply_to, reply_to_sealed) =
                sealer.store(field::MESSAGE_REPLY_TO, row, message.reply_to.as_deref())?;
            let (_, platform_id_sealed) =
                sealer.store(field::MESSAGE_PLATFORM_ID, row, message.platform_id.as_deref())?;
            update.execute(params![
                message.seq,
                content,
                key,
                reply_to,
                content_sealed,
                reply_to_sealed,
                platform_id_sealed,
                None::<Vec<u8>>
            ])
        };
        rows += count(changed.during(OP)?);
    }
    Ok(rows)
}

fn seal_contacts(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    let found = all(conn, "SELECT id, tenant, display_name FROM contacts WHERE display_name IS NOT NULL", |row| {
        Ok((row.get::<_, [u8; 16]>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?))
    })?;
    let mut update =
        conn.prepare("UPDATE contacts SET display_name = ?2, display_name_sealed = ?3 WHERE id = ?1").during(OP)?;
    let mut rows = 0;
    for (id, tenant, name) in found {
        let (name, sealed) = sealers.of(&tenant)?.store(field::CONTACT_NAME, &id, Some(&name))?;
        rows += count(update.execute(params![id, name, sealed]).during(OP)?);
    }
    Ok(rows)
}

/// Identities: the value becomes the blind of kind and value, sealed beside it bound to the
/// identity's new key.
fn seal_identities(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    let found = all(conn, "SELECT tenant, account, kind, value FROM contact_identities", |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, [u8; 16]>(1)?, row.get::<_, String>(2)?, row.get::<_, String>(3)?))
    })?;
    let mut update = conn
        .prepare(
            "UPDATE contact_identities SET value = ?5, value_sealed = ?6 \
             WHERE tenant = ?1 AND account = ?2 AND kind = ?3 AND value = ?4",
        )
        .during(OP)?;
    let mut rows = 0;
    for (tenant, account, kind, value) in found {
        let sealer = sealers.of(&tenant)?;
        let key = rows::identity_lookup(sealer, &kind, &value);
        let (_, sealed) =
            sealer.store(field::IDENTITY_VALUE, &rows::identity_row(&account, &kind, &key), Some(&value))?;
        rows += count(update.execute(params![tenant, account, kind, value, key, sealed]).during(OP)?);
    }
    Ok(rows)
}

fn seal_attributes(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    let found = all(conn, "SELECT tenant, contact, name, value FROM contact_attributes", |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, [u8; 16]>(1)?, row.get::<_, String>(2)?, row.get::<_, String>(3)?))
    })?;
    let mut update = conn
        .prepare(
            "UPDATE contact_attributes SET value = ?4, value_sealed = ?5 WHERE tenant = ?1 AND contact = ?2 AND name = ?3",
        )
        .during(OP)?;
    let mut rows = 0;
    for (tenant, contact, name, value) in found {
        let row = contacts::attribute_row(ContactId::from_bytes(contact), &name);
        let (value, sealed) = sealers.of(&tenant)?.store_required(field::ATTRIBUTE_VALUE, &row, &value)?;
        rows += count(update.execute(params![tenant, contact, name, value, sealed]).during(OP)?);
    }
    Ok(rows)
}

fn seal_notes(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    let found = all(conn, "SELECT id, tenant, body FROM notes", |row| {
        Ok((row.get::<_, [u8; 16]>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?))
    })?;
    let mut update = conn.prepare("UPDATE notes SET body = ?2, body_sealed = ?3 WHERE id = ?1").during(OP)?;
    let mut rows = 0;
    for (id, tenant, body) in found {
        let (body, sealed) = sealers.of(&tenant)?.store_required(field::NOTE_BODY, &id, &body)?;
        rows += count(update.execute(params![id, body, sealed]).during(OP)?);
    }
    Ok(rows)
}

fn seal_events(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    let found = all(conn, "SELECT tenant, account, event_id, payload FROM events WHERE payload IS NOT NULL", |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, [u8; 16]>(1)?, row.get::<_, String>(2)?, row.get::<_, String>(3)?))
    })?;
    let mut update = conn
        .prepare(
            "UPDATE events SET payload = ?4, payload_sealed = ?5 WHERE tenant = ?1 AND account = ?2 AND event_id = ?3",
        )
        .during(OP)?;
    let mut rows = 0;
    for (tenant, account, event_id, payload) in found {
        let row = ingest::event_row(ChannelAccountId::from_bytes(account), &event_id);
        let (payload, sealed) = sealers.of(&tenant)?.store(field::EVENT_PAYLOAD, &row, Some(&payload))?;
        rows += count(update.execute(params![tenant, account, event_id, payload, sealed]).during(OP)?);
    }
    Ok(rows)
}

/// Changes waiting for their message: found by the blind of the platform message id, the
/// payload sealed (an edit erased by a pending unsend keeps its erased content in plaintext),
/// the author of an edit or unsend by its blind.
fn seal_pending(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    type Pending = (String, [u8; 16], String, String, String, String, Option<String>);
    let found: Vec<Pending> = all(
        conn,
        "SELECT tenant, account, platform_message_id, event_id, kind, payload, author FROM pending_actions",
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?)),
    )?;
    let mut update = conn
        .prepare(
            "UPDATE pending_actions SET platform_message_id = ?5, payload = ?6, payload_sealed = ?7, author = ?8 \
             WHERE tenant = ?1 AND account = ?2 AND platform_message_id = ?3 AND event_id = ?4",
        )
        .during(OP)?;
    let mut rows = 0;
    for (tenant, account, platform_id, event_id, kind, payload, author) in found {
        let sealer = sealers.of(&tenant)?;
        let key = sealer.lookup(index::PLATFORM_MESSAGE_ID, &platform_id);
        let row = apply::pending_row(ChannelAccountId::from_bytes(account), &key, &event_id);
        let (sealed_payload, sealed) = if kind == "edit" && payload == ERASED_CONTENT_JSON {
            (payload, None)
        } else {
            sealer.store_required(field::PENDING_PAYLOAD, &row, &payload)?
        };
        let author = author.map(|author| sealer.lookup(index::CHANGE_AUTHOR, &author));
        rows += count(
            update
                .execute(params![tenant, account, platform_id, event_id, key, sealed_payload, sealed, author])
                .during(OP)?,
        );
    }
    Ok(rows)
}

fn seal_orders(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    type Order = (String, [u8; 16], String, Option<String>, Option<String>, String);
    let found: Vec<Order> =
        all(conn, "SELECT tenant, account, order_id, buyer_kind, buyer_id, body FROM orders", |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
        })?;
    let mut update = conn
        .prepare(
            "UPDATE orders SET buyer_id = ?4, body = ?5, body_sealed = ?6 \
             WHERE tenant = ?1 AND account = ?2 AND order_id = ?3",
        )
        .during(OP)?;
    let mut rows = 0;
    for (tenant, account, order_id, buyer_kind, buyer_id, body) in found {
        let sealer = sealers.of(&tenant)?;
        let buyer = match (&buyer_kind, buyer_id) {
            (Some(kind), Some(id)) => Some(orders::buyer_lookup(sealer, kind, &id)),
            (_, id) => id,
        };
        let (body, sealed) =
            sealer.store_required(field::ORDER_BODY, &orders::order_row(&account, &order_id), &body)?;
        rows += count(update.execute(params![tenant, account, order_id, buyer, body, sealed]).during(OP)?);
    }
    Ok(rows)
}

/// Reactions: the reactor becomes its blind, the reactor and the emoji sealed beside it.
fn seal_reactions(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    let found = all(conn, "SELECT tenant, message, reactor, emoji FROM reactions", |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, [u8; 16]>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut update = conn
        .prepare(
            "UPDATE reactions SET reactor = ?4, emoji = ?5, reactor_sealed = ?6, emoji_sealed = ?7 \
             WHERE tenant = ?1 AND message = ?2 AND reactor = ?3",
        )
        .during(OP)?;
    let mut rows = 0;
    for (tenant, message, reactor, emoji) in found {
        let sealer = sealers.of(&tenant)?;
        let lookup = reactions::reactor_lookup(sealer, &reactor);
        let row = reactions::reaction_row(&message, &lookup);
        let (_, reactor_sealed) = sealer.store(field::REACTION_REACTOR, &row, Some(&reactor))?;
        let (emoji, emoji_sealed) = sealer.store(field::REACTION_EMOJI, &row, emoji.as_deref())?;
        rows += count(
            update
                .execute(params![tenant, message, reactor, lookup, emoji, reactor_sealed, emoji_sealed])
                .during(OP)?,
        );
    }
    Ok(rows)
}

fn seal_privacy_links(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    let found = all(conn, "SELECT id, tenant, platform, platform_user_id, contact FROM privacy_user_links", |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, [u8; 16]>(4)?,
        ))
    })?;
    let mut update = conn
        .prepare("UPDATE privacy_user_links SET platform_user_id = ?2, platform_user_id_sealed = ?3 WHERE id = ?1")
        .during(OP)?;
    let mut rows = 0;
    for (id, tenant, platform, user, contact) in found {
        let sealer = sealers.of(&tenant)?;
        let lookup = privacy::users::user_lookup(sealer, &platform, &user);
        let row = privacy::users::link_row(ContactId::from_bytes(contact), &platform, &lookup);
        let (_, sealed) = sealer.store(field::PRIVACY_LINK_USER, &row, Some(&user))?;
        rows += count(update.execute(params![id, lookup, sealed]).during(OP)?);
    }
    Ok(rows)
}

fn seal_privacy_requests(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    let found = all(
        conn,
        "SELECT tenant, confirmation_code, platform_user_id FROM privacy_requests WHERE platform_user_id <> ''",
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?)),
    )?;
    let mut update = conn
        .prepare(
            "UPDATE privacy_requests SET platform_user_id = ?3, platform_user_id_sealed = ?4 \
             WHERE tenant = ?1 AND confirmation_code = ?2",
        )
        .during(OP)?;
    let mut rows = 0;
    for (tenant, code, user) in found {
        let (user, sealed) = privacy::users::store_request_user(sealers.of(&tenant)?, &code, &user)?;
        rows += count(update.execute(params![tenant, code, user, sealed]).during(OP)?);
    }
    Ok(rows)
}

/// The search index: each message's searchable text (what the plaintext index holds) indexed
/// by its blind terms, then the plaintext index emptied.
fn reindex(conn: &Connection, sealers: &Sealers) -> Result<u64> {
    let found = all(
        conn,
        "SELECT s.rowid, s.text, m.tenant FROM message_search s JOIN messages m ON m.seq = s.rowid",
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?)),
    )?;
    let mut insert = conn.prepare("INSERT INTO message_terms (rowid, terms) VALUES (?1, ?2)").during(OP)?;
    let mut indexed = 0;
    for (seq, text, tenant) in found {
        let Sealer::Sealed(seal, _) = sealers.of(&tenant)? else {
            continue;
        };
        let terms = super::terms::index_row(seal.as_ref(), &text);
        if !text.is_empty() && !terms.is_empty() {
            insert.execute(params![seq, terms]).during(OP)?;
            indexed += 1;
        }
    }
    conn.execute("DELETE FROM message_search", []).during(OP)?;
    Ok(indexed)
}

/// The files that hold the inbox: the file, its journal, and each one's log.
fn log_of(file: &Path) -> PathBuf {
    let mut log = file.as_os_str().to_owned();
    log.push("-wal");
    PathBuf::from(log)
}

/// Step 3 on a sealed file, when the file or its journal has free pages or a log left.
fn scrub_if_needed(path: &Path, busy_timeout: std::time::Duration) -> Result<bool> {
    let journal = journal_path(path);
    let mut needed = false;
    for file in [path, journal.as_path()] {
        if !file.is_file() {
            continue;
        }
        let log = std::fs::metadata(log_of(file)).map(|meta| meta.len()).unwrap_or(0);
        let conn = open_exclusive(file, busy_timeout)?;
        let free: i64 = conn.pragma_query_value(None, "freelist_count", |row| row.get(0)).during(OP)?;
        needed |= log > 0 || free > 0;
    }
    if needed {
        scrub(path, busy_timeout)?;
    }
    Ok(needed)
}

/// Step 3: the inbox file and its journal vacuumed (every page rewritten, no free page left)
/// and their logs checkpointed and truncated.
fn scrub(path: &Path, busy_timeout: std::time::Duration) -> Result<()> {
    for file in [path.to_path_buf(), journal_path(path)] {
        if !file.is_file() {
            continue;
        }
        let conn = open_exclusive(&file, busy_timeout)?;
        conn.execute_batch("VACUUM").during(OP)?;
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0)).during(OP)?;
        if busy != 0 {
            return Err(Error::new(
                ErrorKind::Storage,
                "the inbox file is sealed, but its log could not be truncated (another process is using it): \
                 stop it and seal again to finish",
            )
            .with_operation(OP)
            .temporary());
        }
        drop(conn);
    }
    Ok(())
}
