//! Ingest: routed events become contacts, conversations, messages and changes to them.
//!
//! Work is split in two. [`prepare`] runs in the caller's task: it validates the events and
//! encodes their JSON, so a bad event fails the call before anything is written and the writer
//! thread spends its time on SQL only. [`ingest`] runs on the writer thread, inside the call's
//! savepoint: either every event of the call is stored, or none is.

use rusqlite::{Connection, OptionalExtension, params};
use unibox_core::inbox::{IngestOutcome, RoutedEvent};
use unibox_core::ingest::{self, AmendedMessage, PreparedAction, PreparedMessage};
use unibox_core::{Author, ChannelAccountId, ContactId, ConversationId, DeliveryStatus, Direction, Result, TenantId};

use crate::apply::{
    Pending, PendingChange, Target, apply_delivery, apply_edit, apply_pending, apply_reaction, apply_unsend,
    find_target, pend, take_pending,
};
use crate::codec::{ERASED_CONTENT_JSON, direction_key, to_json};
use crate::error::SqlResultExt;
use crate::queries::not_found;
use crate::rows::{identity_lookup, identity_row};
use crate::sealing::cells::{field, index};
use crate::sealing::{self, Sealer, body};
use crate::writer::WriteTx;

const OP: &str = "sqlite.ingest";

/// An event checked and encoded for the writer.
#[derive(Debug)]
pub(crate) struct PreparedEvent {
    tenant: TenantId,
    account: ChannelAccountId,
    event_id: String,
    kind: &'static str,
    occurred_at: i64,
    received_at: i64,
    /// The whole event as JSON, for the event log (events without a table of their own).
    logged: Option<String>,
    action: PreparedAction,
    /// How the tenant's conversation data is stored.
    sealer: Sealer,
}

pub(crate) use unibox_core::ingest::truncated;

/// Checks an event the way preparing it does, without encoding anything
/// ([`unibox_core::ingest::validate_for_storage`]).
pub(crate) fn validate(routed: &RoutedEvent) -> Result<()> {
    ingest::validate_for_storage(routed, OP)
}

/// Validates and encodes a call's events; any invalid event fails the whole call. `sealer`
/// gives each event's tenant's sealer.
pub(crate) fn prepare(
    events: Vec<RoutedEvent>,
    sealer: impl Fn(&TenantId) -> Result<Sealer>,
) -> Result<Vec<PreparedEvent>> {
    events
        .into_iter()
        .map(|event| {
            let sealer = sealer(&event.tenant)?;
            prepare_one(event, sealer)
        })
        .collect()
}

/// Validates and encodes one event ([`unibox_core::ingest::prepare`]) for `sealer`.
pub(crate) fn prepare_one(routed: RoutedEvent, sealer: Sealer) -> Result<PreparedEvent> {
    let tenant = routed.tenant.clone();
    let ingest::PreparedEvent { account, event_id, kind, occurred_at, received_at, logged, action } =
        ingest::prepare(routed, OP)?;
    Ok(PreparedEvent { tenant, account, event_id, kind, occurred_at, received_at, logged, action, sealer })
}

/// Stores prepared events; runs on the writer thread inside the call's savepoint.
pub(crate) fn ingest(tx: &WriteTx<'_>, events: &[PreparedEvent]) -> Result<Vec<IngestOutcome>> {
    let mut checked: Vec<(&TenantId, ChannelAccountId)> = Vec::new();
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        if !checked.iter().any(|(tenant, account)| *tenant == &event.tenant && *account == event.account) {
            check_account(tx, &event.tenant, event.account)
                .map_err(|e| e.with_context("event", truncated(&event.event_id)))?;
            checked.push((&event.tenant, event.account));
        }
        outcomes.push(store_event(tx, event)?);
    }
    Ok(outcomes)
}

/// Fails with `NotFound` unless the tenant has the account.
pub(crate) fn check_account(conn: &Connection, tenant: &TenantId, account: ChannelAccountId) -> Result<()> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM accounts WHERE tenant = ?1 AND id = ?2")
        .during(OP)?
        .exists(params![tenant.as_str(), account.as_bytes()])
        .during(OP)?;
    if exists { Ok(()) } else { Err(not_found("channel account", OP)) }
}

/// Stores one prepared event (the account is known to exist) and logs the change it made.
pub(crate) fn store_event(tx: &WriteTx<'_>, event: &PreparedEvent) -> Result<IngestOutcome> {
    sealing::scope(&event.sealer, || {
        let outcome = ingest_one(tx, event)?;
        crate::changes::log_ingest(tx, &event.tenant, event.received_at, event.kind, &outcome)?;
        Ok(outcome)
    })
}

/// The row id an event's sealed payload is bound to: the account and the event id.
pub(crate) fn event_row(account: ChannelAccountId, event_id: &str) -> Vec<u8> {
    let mut row = account.as_bytes().to_vec();
    row.extend_from_slice(event_id.as_bytes());
    row
}

/// Stores one prepared event (the account is known to exist).
fn ingest_one(tx: &WriteTx<'_>, event: &PreparedEvent) -> Result<IngestOutcome> {
    let tenant = &event.tenant;
    let account = event.account;
    let sealer = &event.sealer;
    let (payload, payload_sealed) =
        sealer.store(field::EVENT_PAYLOAD, &event_row(account, &event.event_id), event.logged.as_deref())?;
    let first_time = tx
        .prepare_cached(
            "INSERT INTO events (tenant, account, event_id, kind, occurred_at, received_at, payload, payload_sealed) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
        )
        .during(OP)?
        .execute(params![
            tenant.as_str(),
            account.as_bytes(),
            event.event_id,
            event.kind,
            event.occurred_at,
            event.received_at,
            payload,
            payload_sealed,
        ])
        .during(OP)?
        > 0;
    if !first_time {
        return Ok(IngestOutcome::Duplicate);
    }
    let pending = |change| Pending { event_id: event.event_id.clone(), at: event.occurred_at, change, author: None };
    // An edit or unsend waiting for its message names its author (by blind in a sealed inbox).
    let pending_by =
        |change, author: &str| Pending { author: Some(sealer.lookup(index::CHANGE_AUTHOR, author)), ..pending(change) };
    // Platform message ids are looked up by their blind in a sealed inbox (see `MessageKeys`).
    let keys = |message_id: &str| sealer.message_keys(message_id);
    match &event.action {
        PreparedAction::Message(message) => store_message(tx, event, message),
        PreparedAction::Edit { message_id, content_json, text, author } => {
            let keys = keys(message_id);
            match find_target(tx, tenant, account, &keys.candidates)? {
                Some(mut target) => {
                    apply_edit(
                        tx,
                        tenant,
                        &mut target,
                        event.occurred_at,
                        &event.event_id,
                        content_json,
                        text.as_deref(),
                    )?;
                    Ok(touched(&target))
                }
                None => {
                    pend(
                        tx,
                        tenant,
                        account,
                        &keys.pending,
                        &pending_by(PendingChange::Edit { content_json: content_json.clone() }, author),
                    )?;
                    Ok(untouched())
                }
            }
        }
        PreparedAction::Unsend { message_id, author } => {
            let keys = keys(message_id);
            match find_target(tx, tenant, account, &keys.candidates)? {
                Some(mut target) => {
                    apply_unsend(tx, tenant, &mut target, event.occurred_at)?;
                    Ok(touched(&target))
                }
                None => {
                    pend(tx, tenant, account, &keys.pending, &pending_by(PendingChange::Unsend, author))?;
                    Ok(untouched())
                }
            }
        }
        PreparedAction::Reaction { message_id, reactor, emoji } => {
            let keys = keys(message_id);
            match find_target(tx, tenant, account, &keys.candidates)? {
                Some(target) => {
                    apply_reaction(
                        tx,
                        tenant,
                        target.id,
                        reactor,
                        emoji.as_deref(),
                        event.occurred_at,
                        &event.event_id,
                    )?;
                    Ok(touched(&target))
                }
                None => {
                    let change = PendingChange::Reaction { reactor: reactor.clone(), emoji: emoji.clone() };
                    pend(tx, tenant, account, &keys.pending, &pending(change))?;
                    Ok(untouched())
                }
            }
        }
        PreparedAction::Delivery { message_ids, status } => {
            let mut outcome = untouched();
            for message_id in message_ids {
                let keys = keys(message_id);
                match find_target(tx, tenant, account, &keys.candidates)? {
                    Some(mut target) => {
                        apply_delivery(tx, tenant, &mut target, status)?;
                        if outcome == untouched() {
                            outcome = touched(&target);
                        }
                    }
                    None => {
                        pend(tx, tenant, account, &keys.pending, &pending(PendingChange::Delivery(status.clone())))?
                    }
                }
            }
            Ok(outcome)
        }
        PreparedAction::Revoke { state_json } => {
            tx.prepare_cached("UPDATE accounts SET state = ?3 WHERE tenant = ?1 AND id = ?2")
                .during(OP)?
                .execute(params![tenant.as_str(), account.as_bytes(), state_json])
                .during(OP)?;
            Ok(untouched())
        }
        PreparedAction::MoveIdentity { kind, previous, current } => {
            let (previous, current_key) =
                (identity_lookup(sealer, kind, previous), identity_lookup(sealer, kind, current));
            let row = identity_row(account.as_bytes(), kind, &current_key);
            let (_, current_sealed) = sealer.store(field::IDENTITY_VALUE, &row, Some(current))?;
            // OR IGNORE: when the new value already belongs to a contact, nothing moves.
            tx.prepare_cached(
                "UPDATE OR IGNORE contact_identities SET value = ?5, value_sealed = ?6 \
                 WHERE tenant = ?1 AND account = ?2 AND kind = ?3 AND value = ?4",
            )
            .during(OP)?
            .execute(params![tenant.as_str(), account.as_bytes(), kind, previous, current_key, current_sealed])
            .during(OP)?;
            Ok(untouched())
        }
        PreparedAction::Log => Ok(untouched()),
    }
}

fn touched(target: &Target) -> IngestOutcome {
    IngestOutcome::Stored { conversation: Some(target.conversation), message: Some(target.id) }
}

fn untouched() -> IngestOutcome {
    IngestOutcome::Stored { conversation: None, message: None }
}

fn store_message(tx: &WriteTx<'_>, event: &PreparedEvent, message: &PreparedMessage) -> Result<IngestOutcome> {
    let tenant = &event.tenant;
    let account = event.account;
    let sealer = &event.sealer;
    // Sealed, a new message's blind is usually in no generation's filter: no probe at all.
    let keys = sealer.message_keys(&message.platform_id);
    for key in &keys.candidates {
        let already = tx
            .prepare_cached("SELECT 1 FROM messages WHERE tenant = ?1 AND account = ?2 AND platform_message_id = ?3")
            .during(OP)?
            .exists(params![tenant.as_str(), account.as_bytes(), key])
            .during(OP)?;
        if already {
            return Ok(IngestOutcome::Duplicate);
        }
    }
    let contact = find_or_create_contact(tx, event, message)?;
    let inbound = message.direction == Direction::Inbound;
    let sent_at = event.occurred_at;
    let conversation: [u8; 16] = tx
        .prepare_cached(
            "INSERT INTO conversations (id, tenant, account, contact, status, snoozed_until, assignee, unread_count, \
               last_inbound_at, last_activity_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, 'open', NULL, NULL, ?5, ?6, ?7, ?7) \
             ON CONFLICT (tenant, account, contact) DO UPDATE SET \
               last_activity_at = max(last_activity_at, excluded.last_activity_at), \
               created_at = min(created_at, excluded.created_at), \
               unread_count = unread_count + excluded.unread_count, \
               last_inbound_at = CASE \
                 WHEN excluded.last_inbound_at IS NULL THEN last_inbound_at \
                 WHEN last_inbound_at IS NULL OR last_inbound_at < excluded.last_inbound_at \
                   THEN excluded.last_inbound_at \
                 ELSE last_inbound_at END, \
               status = CASE WHEN excluded.unread_count > 0 AND status IN ('resolved', 'snoozed') \
                 THEN 'open' ELSE status END, \
               snoozed_until = CASE WHEN excluded.unread_count > 0 AND status IN ('resolved', 'snoozed') \
                 THEN NULL ELSE snoozed_until END \
             RETURNING id",
        )
        .during(OP)?
        .query_row(
            params![
                message.ids.conversation.as_bytes(),
                tenant.as_str(),
                account.as_bytes(),
                contact.as_bytes(),
                i64::from(inbound),
                inbound.then_some(sent_at),
                sent_at,
            ],
            |row| row.get(0),
        )
        .during(OP)?;
    let conversation = ConversationId::from_bytes(conversation);

    // An unsend that arrived first: the content is never written.
    let (unsent_at, pending) = ingest::arrival(take_pending(tx, tenant, account, &keys.pending)?);
    let (content_json, text) = match unsent_at {
        Some(_) => (ERASED_CONTENT_JSON, None),
        None => (message.content_json.as_str(), message.text.as_deref()),
    };
    let (author, delivery) = match message.direction {
        Direction::Inbound => (Author::Contact(contact), DeliveryStatus::Received),
        // An echo of a message the business sent from elsewhere (the platform's own app).
        Direction::Outbound => (Author::System, DeliveryStatus::Sent),
    };
    let id = message.ids.message;
    let row = id.as_bytes();
    // Sealed, a message keeps its parts in one body (one seal); erased content (an unsend that
    // came first) holds nothing personal and stays in the plain column, its ids sealed apart.
    let body = match unsent_at {
        Some(_) => None,
        None => body::seal(sealer, row, &message.platform_id, message.reply_to.as_deref(), content_json)?,
    };
    let ((content_json, content_sealed), (reply_to, reply_to_sealed), platform_id_sealed) = if body.is_some() {
        ((String::new(), None), (None, None), None)
    } else {
        let content = match unsent_at {
            Some(_) => (content_json.to_owned(), None),
            None => sealer.store_required(field::MESSAGE_CONTENT, row, content_json)?,
        };
        let reply_to = sealer.store(field::MESSAGE_REPLY_TO, row, message.reply_to.as_deref())?;
        let (_, platform_id_sealed) = sealer.store(field::MESSAGE_PLATFORM_ID, row, Some(&message.platform_id))?;
        (content, reply_to, platform_id_sealed)
    };
    tx.prepare_cached(
        "INSERT INTO messages (id, tenant, conversation, account, direction, author, content, platform_message_id, \
           reply_to, sent_at, recorded_at, edited_at, edited_by, unsent_at, delivery, \
           content_sealed, reply_to_sealed, platform_message_id_sealed, body_sealed) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, NULL, ?12, ?13, ?14, ?15, ?16, ?17)",
    )
    .during(OP)?
    .execute(params![
        id.as_bytes(),
        tenant.as_str(),
        conversation.as_bytes(),
        account.as_bytes(),
        direction_key(message.direction),
        to_json(&author, "author")?,
        content_json,
        sealer.new_message_key(&keys),
        reply_to,
        sent_at,
        event.received_at,
        unsent_at,
        to_json(&delivery, "delivery status")?,
        content_sealed,
        reply_to_sealed,
        platform_id_sealed,
        body,
    ])
    .during(OP)?;
    let seq = tx.last_insert_rowid();
    tx.add_search_text(seq, text)?;
    if !pending.is_empty() {
        let state = AmendedMessage { direction: message.direction, delivery, edited: None, unsent_at };
        let mut target = Target { seq, id, conversation, state };
        apply_pending(tx, tenant, &mut target, pending)?;
    }
    Ok(IngestOutcome::Stored { conversation: Some(conversation), message: Some(id) })
}

/// The contact with the customer's identity on this account, created on first sight. The name
/// of the newest event (by time, then event id) wins, and `created_at` is the earliest event.
fn find_or_create_contact(conn: &Connection, event: &PreparedEvent, message: &PreparedMessage) -> Result<ContactId> {
    let tenant = event.tenant.as_str();
    let account = event.account.as_bytes();
    let sealer = &event.sealer;
    let identity_key = identity_lookup(sealer, &message.customer_kind, &message.customer_id);
    let existing: Option<[u8; 16]> = conn
        .prepare_cached(
            "SELECT contact FROM contact_identities WHERE tenant = ?1 AND account = ?2 AND kind = ?3 AND value = ?4",
        )
        .during(OP)?
        .query_row(params![tenant, account, message.customer_kind, identity_key], |row| row.get(0))
        .optional()
        .during(OP)?;
    let name = message.customer_name.as_deref();
    let at = event.occurred_at;
    if let Some(id) = existing {
        let (plain_name, sealed_name) = sealer.store(field::CONTACT_NAME, &id, name)?;
        // Every SET expression sees the row as it was, so the "newer name" test is the same in each.
        conn.prepare_cached(
            "UPDATE contacts SET \
               created_at = min(created_at, ?3), \
               display_name = CASE WHEN \
                 ?6 AND (named_at IS NULL OR named_at < ?3 OR (named_at = ?3 AND named_by < ?5)) \
                 THEN ?4 ELSE display_name END, \
               display_name_sealed = CASE WHEN \
                 ?6 AND (named_at IS NULL OR named_at < ?3 OR (named_at = ?3 AND named_by < ?5)) \
                 THEN ?7 ELSE display_name_sealed END, \
               named_by = CASE WHEN \
                 ?6 AND (named_at IS NULL OR named_at < ?3 OR (named_at = ?3 AND named_by < ?5)) \
                 THEN ?5 ELSE named_by END, \
               named_at = CASE WHEN \
                 ?6 AND (named_at IS NULL OR named_at < ?3 OR (named_at = ?3 AND named_by < ?5)) \
                 THEN ?3 ELSE named_at END \
             WHERE tenant = ?1 AND id = ?2 AND (created_at > ?3 OR \
               (?6 AND (named_at IS NULL OR named_at < ?3 OR (named_at = ?3 AND named_by < ?5))))",
        )
        .during(OP)?
        .execute(params![tenant, id, at, plain_name, event.event_id, name.is_some(), sealed_name])
        .during(OP)?;
        return Ok(ContactId::from_bytes(id));
    }
    let id = message.ids.contact;
    let (plain_name, sealed_name) = sealer.store(field::CONTACT_NAME, id.as_bytes(), name)?;
    conn.prepare_cached(
        "INSERT INTO contacts (id, tenant, display_name, named_at, named_by, created_at, display_name_sealed) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .during(OP)?
    .execute(params![
        id.as_bytes(),
        tenant,
        plain_name,
        name.map(|_| at),
        name.map(|_| event.event_id.as_str()),
        at,
        sealed_name
    ])
    .during(OP)?;
    let row = identity_row(account, &message.customer_kind, &identity_key);
    let (_, value_sealed) = sealer.store(field::IDENTITY_VALUE, &row, Some(&message.customer_id))?;
    conn.prepare_cached(
        "INSERT INTO contact_identities (tenant, account, kind, value, contact, value_sealed) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .during(OP)?
    .execute(params![tenant, account, message.customer_kind, identity_key, id.as_bytes(), value_sealed])
    .during(OP)?;
    Ok(id)
}
