//! How a reaction row is stored: in a plain inbox as it is; in a sealed inbox with the reacting
//! user's platform id replaced by its blind (the [`REACTOR`](index::REACTOR) index, so a
//! reactor's row is found and replaced without opening anything) and the reactor id and emoji
//! sealed beside it, bound to the row (the message and the blind).
//!
//! Which reaction wins is decided in [`apply`](crate::apply::apply_reaction); this module only
//! writes and reads one row.

use rusqlite::{Connection, Row, params};
use unibox_core::{MessageId, Reaction, Result, TenantId, Timestamp};

use crate::error::SqlResultExt;
use crate::sealing::Sealer;
use crate::sealing::cells::{field, index};

/// The columns [`StoredReaction::from_row`] reads, in its order.
pub(crate) const REACTION_COLUMNS: &str = "message, reactor, reactor_sealed, emoji, emoji_sealed, at, event_id";

/// What `reactions.reactor` holds for a reactor: the id (plain) or its blind (sealed).
pub(crate) fn reactor_lookup(sealer: &Sealer, reactor: &str) -> String {
    sealer.lookup(index::REACTOR, reactor)
}

/// The row id a reaction's sealed values are bound to: the message and the reactor's lookup
/// key, which together (with the tenant) are the row's primary key.
pub(crate) fn reaction_row(message: &[u8; 16], lookup: &str) -> Vec<u8> {
    let mut row = Vec::with_capacity(16 + lookup.len());
    row.extend_from_slice(message);
    row.extend_from_slice(lookup.as_bytes());
    row
}

/// A reaction (or its removal) to write.
pub(crate) struct NewReaction<'a> {
    pub(crate) message: MessageId,
    /// The reacting user's platform id.
    pub(crate) reactor: &'a str,
    /// `None`: the reaction was removed.
    pub(crate) emoji: Option<&'a str>,
    /// When, Unix ms.
    pub(crate) at: i64,
    /// The event that set it (`""` for a restored one: it loses every tie).
    pub(crate) event_id: &'a str,
}

/// Writes (or replaces) the row of a reactor's reaction to a message. `lookup` is
/// [`reactor_lookup`] of the reactor.
pub(crate) fn write(
    conn: &Connection,
    sealer: &Sealer,
    tenant: &TenantId,
    lookup: &str,
    reaction: &NewReaction<'_>,
    operation: &'static str,
) -> Result<()> {
    let NewReaction { message, reactor, emoji, at, event_id } = *reaction;
    let row = reaction_row(message.as_bytes(), lookup);
    let (_, reactor_sealed) = sealer.store(field::REACTION_REACTOR, &row, Some(reactor))?;
    let (emoji, emoji_sealed) = sealer.store(field::REACTION_EMOJI, &row, emoji)?;
    conn.prepare_cached(
        "INSERT INTO reactions (tenant, message, reactor, emoji, at, event_id, reactor_sealed, emoji_sealed) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         ON CONFLICT (tenant, message, reactor) DO UPDATE SET \
           emoji = excluded.emoji, at = excluded.at, event_id = excluded.event_id, \
           reactor_sealed = excluded.reactor_sealed, emoji_sealed = excluded.emoji_sealed",
    )
    .during(operation)?
    .execute(params![tenant.as_str(), message.as_bytes(), lookup, emoji, at, event_id, reactor_sealed, emoji_sealed])
    .during(operation)?;
    Ok(())
}

/// A reaction row as read, its sealed columns not opened yet ([`open`](Self::open)).
pub(crate) struct StoredReaction {
    message: [u8; 16],
    /// The reactor's lookup key: its id (a plain inbox, or a row an earlier build, schema
    /// version 16 or before, wrote to a sealed inbox: read as it is) or its blind.
    lookup: String,
    reactor_sealed: Option<Vec<u8>>,
    emoji: Option<String>,
    emoji_sealed: Option<Vec<u8>>,
    /// When the reaction (or its removal) happened, Unix ms.
    pub(crate) at: i64,
    /// The event that set the row (`""` for a restored one).
    pub(crate) event_id: String,
}

/// A reaction row opened: who reacted, and the emoji (`None`: the reaction was removed).
pub(crate) struct OpenedReaction {
    pub(crate) reactor: String,
    pub(crate) emoji: Option<String>,
}

impl StoredReaction {
    /// A row selected with [`REACTION_COLUMNS`] first.
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(StoredReaction {
            message: row.get(0)?,
            lookup: row.get(1)?,
            reactor_sealed: row.get(2)?,
            emoji: row.get(3)?,
            emoji_sealed: row.get(4)?,
            at: row.get(5)?,
            event_id: row.get(6)?,
        })
    }

    /// The row's values, opened with `sealer` where they are sealed.
    pub(crate) fn open(&self, sealer: &Sealer) -> Result<OpenedReaction> {
        let row = reaction_row(&self.message, &self.lookup);
        let reactor =
            sealer.open_required(field::REACTION_REACTOR, &row, self.lookup.clone(), self.reactor_sealed.clone())?;
        let emoji = sealer.open(field::REACTION_EMOJI, &row, self.emoji.clone(), self.emoji_sealed.clone())?;
        Ok(OpenedReaction { reactor, emoji })
    }
}

/// The current reactions (removed ones are not returned) to a message, oldest first (ties by
/// reactor id, compared once opened: a sealed row's key is a blind).
pub(crate) fn current(
    conn: &Connection,
    sealer: &Sealer,
    tenant: &TenantId,
    message: MessageId,
    operation: &'static str,
) -> Result<Vec<Reaction>> {
    let stored = conn
        .prepare_cached(&format!(
            "SELECT {REACTION_COLUMNS} FROM reactions WHERE tenant = ?1 AND message = ?2 \
             AND (emoji IS NOT NULL OR emoji_sealed IS NOT NULL)"
        ))
        .during(operation)?
        .query_map(params![tenant.as_str(), message.as_bytes()], StoredReaction::from_row)
        .during(operation)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .during(operation)?;
    let mut reactions = Vec::with_capacity(stored.len());
    for found in stored {
        let OpenedReaction { reactor, emoji } = found.open(sealer)?;
        if let Some(emoji) = emoji {
            reactions.push(Reaction { by: reactor, emoji, at: Timestamp::from_unix_millis(found.at) });
        }
    }
    reactions.sort_by(|a, b| (a.at, &a.by).cmp(&(b.at, &b.by)));
    Ok(reactions)
}

/// Every row (removed reactions too) of a message, as stored.
pub(crate) fn all_rows(
    conn: &Connection,
    tenant: &TenantId,
    message: MessageId,
    operation: &'static str,
) -> Result<Vec<StoredReaction>> {
    conn.prepare_cached(&format!("SELECT {REACTION_COLUMNS} FROM reactions WHERE tenant = ?1 AND message = ?2"))
        .during(operation)?
        .query_map(params![tenant.as_str(), message.as_bytes()], StoredReaction::from_row)
        .during(operation)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .during(operation)
}

/// Deletes the reactions `reactor` placed on messages of `account` (a contact erasure: rows
/// naming one of the contact's identities, on messages of other conversations too). A sealed
/// row is found by the reactor's blind, a row an earlier build stored in a sealed file by the id.
pub(crate) fn delete_by_reactor(
    conn: &Connection,
    sealer: &Sealer,
    tenant: &str,
    account: &[u8; 16],
    reactor: &str,
    operation: &'static str,
) -> Result<u64> {
    let lookup = reactor_lookup(sealer, reactor);
    let deleted = conn
        .prepare_cached(
            "DELETE FROM reactions WHERE tenant = ?1 AND (reactor = ?2 OR (reactor = ?3 AND reactor_sealed IS NULL)) \
             AND EXISTS (SELECT 1 FROM messages m WHERE m.tenant = ?1 AND m.id = reactions.message AND m.account = ?4)",
        )
        .during(operation)?
        .execute(params![tenant, lookup, reactor, account.as_slice()])
        .during(operation)?;
    Ok(deleted as u64)
}
