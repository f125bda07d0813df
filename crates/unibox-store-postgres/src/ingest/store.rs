//! Storing prepared events inside the call's transaction.

use unibox_core::inbox::IngestOutcome;
use unibox_core::ingest::{AmendedMessage, PreparedAction, PreparedEvent, PreparedMessage, arrival};
use unibox_core::{
    Author, ChannelAccountId, ContactId, ConversationId, DeliveryStatus, Direction, Error, ErrorKind, Result, TenantId,
};

use super::OP;
use super::apply::{self, Pending, PendingChange, Target};
use crate::codec::{ERASED_CONTENT_JSON, direction_key, to_json};
use crate::error::PgResultExt;
use crate::pool::{Tx, lock_key};
use crate::rows::{event_row, identity_lookup, identity_row};
use crate::sealing::{Seal, field, index};

/// Stores one tenant's prepared events (the transaction is scoped to `tenant`).
pub(crate) async fn store_all(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    events: &[&PreparedEvent],
) -> Result<Vec<IngestOutcome>> {
    let mut checked: Vec<ChannelAccountId> = Vec::new();
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        if !checked.contains(&event.account) {
            check_account(tx, tenant, event.account)
                .await
                .map_err(|e| e.with_context("event", unibox_core::ingest::truncated(&event.event_id)))?;
            checked.push(event.account);
        }
        outcomes.push(store_event(tx, tenant, seal, event).await?);
    }
    Ok(outcomes)
}

/// Fails with `NotFound` unless the tenant has the account.
async fn check_account(tx: &Tx<'_>, tenant: &TenantId, account: ChannelAccountId) -> Result<()> {
    let statement = tx.prepare_cached("SELECT 1 FROM accounts WHERE tenant = $1 AND id = $2").await.during(OP)?;
    match tx.query_opt(&statement, &[&tenant.as_str(), &account.as_uuid()]).await.during(OP)? {
        Some(_) => Ok(()),
        None => Err(Error::new(ErrorKind::NotFound, "channel account not found").with_operation(OP)),
    }
}

fn touched(target: &Target) -> IngestOutcome {
    IngestOutcome::Stored { conversation: Some(target.conversation), message: Some(target.id) }
}

fn untouched() -> IngestOutcome {
    IngestOutcome::Stored { conversation: None, message: None }
}

/// How a stored conversation absorbs the row of a new message's conversation (both ingest paths
/// write it; `c` is the stored row, `excluded` the new one): latest activity and inbound time,
/// earliest creation, unread counts added, and a resolved or snoozed conversation reopened by an
/// inbound message.
pub(crate) const CONVERSATION_ABSORBS: &str = "ON CONFLICT (tenant, account, contact) DO UPDATE SET \
      last_activity_at = GREATEST(c.last_activity_at, excluded.last_activity_at), \
      created_at = LEAST(c.created_at, excluded.created_at), \
      unread_count = c.unread_count + excluded.unread_count, \
      last_inbound_at = GREATEST(c.last_inbound_at, excluded.last_inbound_at), \
      status = CASE WHEN excluded.unread_count > 0 AND c.status IN ('resolved', 'snoozed') \
        THEN 'open' ELSE c.status END, \
      snoozed_until = CASE WHEN excluded.unread_count > 0 AND c.status IN ('resolved', 'snoozed') \
        THEN NULL ELSE c.snoozed_until END";

/// The advisory lock key of a platform message on an account.
pub(crate) fn message_key(tenant: &TenantId, account: ChannelAccountId, blind: &str) -> String {
    format!("unibox.message\u{1f}{tenant}\u{1f}{}\u{1f}{blind}", account.as_uuid())
}

/// The advisory lock key of a customer identity (its kind's key and blind) on an account.
pub(crate) fn identity_key_lock(tenant: &TenantId, account: ChannelAccountId, kind: &str, blind: &str) -> String {
    format!("unibox.identity\u{1f}{tenant}\u{1f}{}\u{1f}{kind}\u{1f}{blind}", account.as_uuid())
}

/// The advisory lock keys storing `event` takes: its platform messages' and its customer's.
pub(crate) fn lock_keys(tenant: &TenantId, seal: &Seal, event: &PreparedEvent, keys: &mut Vec<String>) {
    let account = event.account;
    let message = |id: &str| message_key(tenant, account, &seal.lookup(index::PLATFORM_MESSAGE_ID, id));
    match &event.action {
        PreparedAction::Message(m) => {
            keys.push(message(&m.platform_id));
            let identity = identity_lookup(seal, &m.customer_kind, &m.customer_id);
            keys.push(identity_key_lock(tenant, account, &m.customer_kind, &identity));
        }
        PreparedAction::Edit { message_id, .. }
        | PreparedAction::Unsend { message_id, .. }
        | PreparedAction::Reaction { message_id, .. } => keys.push(message(message_id)),
        PreparedAction::Delivery { message_ids, .. } => keys.extend(message_ids.iter().map(|id| message(id))),
        PreparedAction::Revoke { .. } | PreparedAction::MoveIdentity { .. } | PreparedAction::Log => {}
    }
}

async fn store_event(tx: &Tx<'_>, tenant: &TenantId, seal: &Seal, event: &PreparedEvent) -> Result<IngestOutcome> {
    let account = event.account;
    let payload = seal.seal_opt(field::EVENT_PAYLOAD, &event_row(account, &event.event_id), event.logged.as_deref())?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO events (tenant, account, event_id, kind, occurred_at, received_at, payload_sealed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .await
        .during(OP)?;
    let first_time = tx
        .execute(
            &statement,
            &[
                &tenant.as_str(),
                &account.as_uuid(),
                &event.event_id,
                &event.kind,
                &event.occurred_at,
                &event.received_at,
                &payload,
            ],
        )
        .await
        .during(OP)?
        > 0;
    if !first_time {
        return Ok(IngestOutcome::Duplicate);
    }
    let pending = |change| Pending { event_id: event.event_id.clone(), at: event.occurred_at, change, author: None };
    // An edit or unsend waiting for its message names its author by blind (a contact erasure
    // finds it so; its payload does not name the person).
    let pending_by =
        |change, author: &str| Pending { author: Some(seal.lookup(index::CHANGE_AUTHOR, author)), ..pending(change) };
    let key = |message_id: &str| seal.lookup(index::PLATFORM_MESSAGE_ID, message_id);
    match &event.action {
        PreparedAction::Message(message) => store_message(tx, tenant, seal, event, message).await,
        PreparedAction::Edit { message_id, content_json, text, author } => {
            let blind = key(message_id);
            lock_key(tx, &message_key(tenant, account, &blind), OP).await?;
            match apply::find_target(tx, tenant, account, &blind).await? {
                Some(mut target) => {
                    let edit = apply::Edit {
                        at: event.occurred_at,
                        event_id: &event.event_id,
                        content_json,
                        text: text.as_deref(),
                    };
                    apply::apply_edit(tx, tenant, seal, &mut target, &edit).await?;
                    Ok(touched(&target))
                }
                None => {
                    let change = PendingChange::Edit { content_json: content_json.clone() };
                    apply::pend(tx, tenant, seal, account, &blind, &pending_by(change, author)).await?;
                    Ok(untouched())
                }
            }
        }
        PreparedAction::Unsend { message_id, author } => {
            let blind = key(message_id);
            lock_key(tx, &message_key(tenant, account, &blind), OP).await?;
            match apply::find_target(tx, tenant, account, &blind).await? {
                Some(mut target) => {
                    apply::apply_unsend(tx, tenant, &mut target, event.occurred_at).await?;
                    Ok(touched(&target))
                }
                None => {
                    apply::pend(tx, tenant, seal, account, &blind, &pending_by(PendingChange::Unsend, author)).await?;
                    Ok(untouched())
                }
            }
        }
        PreparedAction::Reaction { message_id, reactor, emoji } => {
            let blind = key(message_id);
            lock_key(tx, &message_key(tenant, account, &blind), OP).await?;
            match apply::find_target(tx, tenant, account, &blind).await? {
                Some(target) => {
                    let reaction = apply::NewReaction {
                        reactor,
                        emoji: emoji.as_deref(),
                        at: event.occurred_at,
                        event_id: &event.event_id,
                    };
                    apply::apply_reaction(tx, tenant, seal, target.id, &reaction).await?;
                    Ok(touched(&target))
                }
                None => {
                    let change = PendingChange::Reaction { reactor: reactor.clone(), emoji: emoji.clone() };
                    apply::pend(tx, tenant, seal, account, &blind, &pending(change)).await?;
                    Ok(untouched())
                }
            }
        }
        PreparedAction::Delivery { message_ids, status } => {
            let mut outcome = untouched();
            let mut blinds: Vec<String> = message_ids.iter().map(|id| key(id)).collect();
            // Locks in one order, whatever the receipt's: no two receipts deadlock on each other.
            blinds.sort();
            blinds.dedup();
            for blind in &blinds {
                lock_key(tx, &message_key(tenant, account, blind), OP).await?;
            }
            for message_id in message_ids {
                let blind = key(message_id);
                match apply::find_target(tx, tenant, account, &blind).await? {
                    Some(mut target) => {
                        apply::apply_delivery(tx, tenant, &mut target, status).await?;
                        if outcome == untouched() {
                            outcome = touched(&target);
                        }
                    }
                    None => {
                        let change = PendingChange::Delivery(status.clone());
                        apply::pend(tx, tenant, seal, account, &blind, &pending(change)).await?;
                    }
                }
            }
            Ok(outcome)
        }
        PreparedAction::Revoke { state_json } => {
            tx.execute(
                "UPDATE accounts SET state = $3 WHERE tenant = $1 AND id = $2",
                &[&tenant.as_str(), &account.as_uuid(), state_json],
            )
            .await
            .during(OP)?;
            Ok(untouched())
        }
        PreparedAction::MoveIdentity { kind, previous, current } => {
            let (previous, current_key) = (identity_lookup(seal, kind, previous), identity_lookup(seal, kind, current));
            let row = identity_row(account.as_bytes(), kind, &current_key);
            let current_sealed = seal.seal(field::IDENTITY_VALUE, &row, current)?;
            // When the new value already belongs to a contact, nothing moves.
            tx.execute(
                "UPDATE contact_identities SET value = $5, value_sealed = $6 \
                 WHERE tenant = $1 AND account = $2 AND kind = $3 AND value = $4 \
                 AND NOT EXISTS (SELECT 1 FROM contact_identities o WHERE o.tenant = $1 AND o.account = $2 \
                                 AND o.kind = $3 AND o.value = $5)",
                &[&tenant.as_str(), &account.as_uuid(), kind, &previous, &current_key, &current_sealed],
            )
            .await
            .during(OP)?;
            Ok(untouched())
        }
        PreparedAction::Log => Ok(untouched()),
    }
}

pub(crate) async fn store_message(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    event: &PreparedEvent,
    message: &PreparedMessage,
) -> Result<IngestOutcome> {
    let account = event.account;
    let platform_key = seal.lookup(index::PLATFORM_MESSAGE_ID, &message.platform_id);
    lock_key(tx, &message_key(tenant, account, &platform_key), OP).await?;
    let statement = tx
        .prepare_cached("SELECT 1 FROM messages WHERE tenant = $1 AND account = $2 AND platform_message_id = $3")
        .await
        .during(OP)?;
    if tx.query_opt(&statement, &[&tenant.as_str(), &account.as_uuid(), &platform_key]).await.during(OP)?.is_some() {
        return Ok(IngestOutcome::Duplicate);
    }
    let contact = find_or_create_contact(tx, tenant, seal, event, message).await?;
    let inbound = message.direction == Direction::Inbound;
    let sent_at = event.occurred_at;
    let statement = tx
        .prepare_cached(&format!(
            "INSERT INTO conversations AS c (tenant, id, account, contact, status, snoozed_until, assignee, \
               unread_count, last_inbound_at, last_activity_at, created_at) \
             VALUES ($1, $2, $3, $4, 'open', NULL, NULL, $5, $6, $7, $7) \
             {CONVERSATION_ABSORBS} \
             RETURNING id"
        ))
        .await
        .during(OP)?;
    let row = tx
        .query_one(
            &statement,
            &[
                &tenant.as_str(),
                &message.ids.conversation.as_uuid(),
                &account.as_uuid(),
                &contact.as_uuid(),
                &i64::from(inbound),
                &inbound.then_some(sent_at),
                &sent_at,
            ],
        )
        .await
        .during(OP)?;
    let conversation = ConversationId::from_uuid(row.get(0));

    // An unsend that arrived first: the content is never written.
    let (unsent_at, pending) = arrival(apply::take_pending(tx, tenant, seal, account, &platform_key).await?);
    let (author, delivery) = match message.direction {
        Direction::Inbound => (Author::Contact(contact), DeliveryStatus::Received),
        // An echo of a message the business sent from elsewhere (the platform's own app).
        Direction::Outbound => (Author::System, DeliveryStatus::Sent),
    };
    let id = message.ids.message;
    let row = id.as_bytes();
    let (content, content_sealed) = match unsent_at {
        // Erased content holds nothing personal.
        Some(_) => (ERASED_CONTENT_JSON.to_owned(), None),
        None => (String::new(), Some(seal.seal(field::MESSAGE_CONTENT, row, &message.content_json)?)),
    };
    let reply_to_sealed = seal.seal_opt(field::MESSAGE_REPLY_TO, row, message.reply_to.as_deref())?;
    let platform_id_sealed = seal.seal(field::MESSAGE_PLATFORM_ID, row, &message.platform_id)?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO messages (tenant, id, conversation, account, direction, author, content, content_sealed, \
               platform_message_id, platform_message_id_sealed, reply_to_sealed, sent_at, recorded_at, edited_at, \
               edited_by, unsent_at, delivery) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, NULL, $14, $15)",
        )
        .await
        .during(OP)?;
    tx.execute(
        &statement,
        &[
            &tenant.as_str(),
            &id.as_uuid(),
            &conversation.as_uuid(),
            &account.as_uuid(),
            &direction_key(message.direction),
            &to_json(&author, "author")?,
            &content,
            &content_sealed,
            &platform_key,
            &platform_id_sealed,
            &reply_to_sealed,
            &sent_at,
            &event.received_at,
            &unsent_at,
            &to_json(&delivery, "delivery status")?,
        ],
    )
    .await
    .during(OP)?;
    if unsent_at.is_none() {
        apply::set_search_text(tx, tenant, seal, id, message.text.as_deref()).await?;
    }
    if !pending.is_empty() {
        let state = AmendedMessage { direction: message.direction, delivery, edited: None, unsent_at };
        let mut target = Target { id, conversation, state };
        apply::apply_pending(tx, tenant, seal, &mut target, pending).await?;
    }
    Ok(IngestOutcome::Stored { conversation: Some(conversation), message: Some(id) })
}

/// The contact with the customer's identity on this account, created on first sight. The name
/// of the newest event (by time, then event id) wins, and `created_at` is the earliest event.
async fn find_or_create_contact(
    tx: &Tx<'_>,
    tenant: &TenantId,
    seal: &Seal,
    event: &PreparedEvent,
    message: &PreparedMessage,
) -> Result<ContactId> {
    let account = event.account;
    let identity_key = identity_lookup(seal, &message.customer_kind, &message.customer_id);
    lock_key(tx, &identity_key_lock(tenant, account, &message.customer_kind, &identity_key), OP).await?;
    let statement = tx
        .prepare_cached(
            "SELECT contact FROM contact_identities WHERE tenant = $1 AND account = $2 AND kind = $3 AND value = $4",
        )
        .await
        .during(OP)?;
    let existing = tx
        .query_opt(&statement, &[&tenant.as_str(), &account.as_uuid(), &message.customer_kind, &identity_key])
        .await
        .during(OP)?;
    let name = message.customer_name.as_deref();
    let at = event.occurred_at;
    if let Some(row) = existing {
        let id = ContactId::from_uuid(row.get(0));
        let sealed_name = seal.seal_opt(field::CONTACT_NAME, id.as_bytes(), name)?;
        // Every SET expression sees the row as it was, so the "newer name" test is the same in each.
        let statement = tx
            .prepare_cached(
                "UPDATE contacts SET created_at = LEAST(created_at, $3), \
                   display_name_sealed = CASE WHEN $5 AND (named_at IS NULL OR (named_at, named_by) < ($3, $4)) \
                     THEN $6 ELSE display_name_sealed END, \
                   named_by = CASE WHEN $5 AND (named_at IS NULL OR (named_at, named_by) < ($3, $4)) \
                     THEN $4 ELSE named_by END, \
                   named_at = CASE WHEN $5 AND (named_at IS NULL OR (named_at, named_by) < ($3, $4)) \
                     THEN $3 ELSE named_at END \
                 WHERE tenant = $1 AND id = $2 AND (created_at > $3 OR \
                   ($5 AND (named_at IS NULL OR (named_at, named_by) < ($3, $4))))",
            )
            .await
            .during(OP)?;
        tx.execute(&statement, &[&tenant.as_str(), &id.as_uuid(), &at, &event.event_id, &name.is_some(), &sealed_name])
            .await
            .during(OP)?;
        return Ok(id);
    }
    let id = message.ids.contact;
    let sealed_name = seal.seal_opt(field::CONTACT_NAME, id.as_bytes(), name)?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO contacts (tenant, id, display_name_sealed, named_at, named_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await
        .during(OP)?;
    tx.execute(
        &statement,
        &[
            &tenant.as_str(),
            &id.as_uuid(),
            &sealed_name,
            &name.map(|_| at),
            &name.map(|_| event.event_id.as_str()),
            &at,
        ],
    )
    .await
    .during(OP)?;
    let row = identity_row(account.as_bytes(), &message.customer_kind, &identity_key);
    let value_sealed = seal.seal(field::IDENTITY_VALUE, &row, &message.customer_id)?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO contact_identities (tenant, account, kind, value, contact, value_sealed) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await
        .during(OP)?;
    tx.execute(
        &statement,
        &[&tenant.as_str(), &account.as_uuid(), &message.customer_kind, &identity_key, &id.as_uuid(), &value_sealed],
    )
    .await
    .during(OP)?;
    Ok(id)
}
