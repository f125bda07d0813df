//! The fast path of a group: new messages stored set-based, one statement per table for all of
//! the group's eligible calls at once, instead of about 13 statements per event.
//!
//! Eligible ([`candidates`]): a call whose events are all messages of one tenant, none of whose
//! event ids or platform message ids appears in another eligible call (so no event of the fast
//! path depends on another). Within the fast path, an event is still recognised as a duplicate
//! (its event id or its platform message id already stored), and a message with changes waiting
//! for it (an edit, unsend, reaction or receipt that arrived first) is stored by the per-event
//! path ([`store::store_message`]) after the others, in the same transaction.
//!
//! The rules are those of the per-event path, applied to the group's rows at once:
//! - a contact is created on the first sight of its identity (with the first event's drawn id),
//!   its `created_at` is the earliest event, and the newest named event's name wins (by time,
//!   then event id, compared by PostgreSQL as the per-event statement does);
//! - a conversation's row is upserted once per (account, contact) with the sums and extremes of
//!   its events (unread count, last inbound and last activity times, earliest creation), which
//!   is what applying them one by one gives; an inbound message reopens it;
//! - each message is written with its sealed columns and its blind search terms.
//!
//! Locks: the group's advisory locks (each message's and customer identity's key) are all taken
//! before anything is written ([`super::group`]), so the rows written here are those the
//! per-event path would write under the same locks; multi-row upserts go in a fixed order
//! (account, contact). When any statement here fails, the caller rolls the fast path back to its
//! savepoint and stores each of its calls through the per-call path instead, so a failing call
//! still fails alone.

use std::collections::{HashMap, HashSet};

use unibox_core::changes::{Change, ingest_change};
use unibox_core::inbox::IngestOutcome;
use unibox_core::ingest::{PreparedAction, PreparedEvent, PreparedMessage};
use unibox_core::{Author, ContactId, ConversationId, DeliveryStatus, Direction, Error, ErrorKind, Result, TenantId};
use unibox_core::{Timestamp, ingest::truncated};
use uuid::Uuid;

use super::OP;
use super::group::TenantEvents;
use super::store::{self, CONVERSATION_ABSORBS};
use crate::codec::{direction_key, to_json};
use crate::error::PgResultExt;
use crate::pool::Tx;
use crate::rows::{event_row, identity_lookup, identity_row};
use crate::sealing::{Seal, field, index};

/// What the fast path stored for one call: its outcomes in the call's order, and its changes.
pub(crate) struct Stored {
    /// The call's index in the group.
    pub(crate) call: usize,
    pub(crate) outcomes: Vec<IngestOutcome>,
    pub(crate) changes: Vec<Change>,
}

/// The calls of `work` (by index) the fast path may store: every event a message of one tenant,
/// and no event id or platform message id shared with another such call.
pub(crate) fn candidates(work: &[Vec<TenantEvents>]) -> Vec<usize> {
    let messages_only = |groups: &Vec<TenantEvents>| match groups.as_slice() {
        [(_, _, events)] => events.iter().all(|(_, event)| matches!(event.action, PreparedAction::Message(_))),
        _ => false,
    };
    let eligible: Vec<usize> = (0..work.len()).filter(|&call| messages_only(&work[call])).collect();
    // How often each event id and platform message id occurs among them (per tenant and account).
    let mut seen: HashMap<Key<'_>, usize> = HashMap::new();
    for &call in &eligible {
        for key in keys(&work[call]) {
            *seen.entry(key).or_default() += 1;
        }
    }
    eligible.into_iter().filter(|&call| keys(&work[call]).iter().all(|key| seen.get(key) == Some(&1))).collect()
}

/// An event id (`false`) or platform message id (`true`) of a tenant's account.
type Key<'a> = (&'a str, Uuid, bool, &'a str);

/// The keys of a call's events that another event of the fast path must not share.
fn keys(groups: &[TenantEvents]) -> Vec<Key<'_>> {
    let mut keys = Vec::new();
    for (tenant, _, events) in groups {
        for (_, event) in events {
            let account = event.account.as_uuid();
            keys.push((tenant.as_str(), account, false, event.event_id.as_str()));
            if let PreparedAction::Message(message) = &event.action {
                keys.push((tenant.as_str(), account, true, message.platform_id.as_str()));
            }
        }
    }
    keys
}

/// Stores the calls `fast` of `work` (from [`candidates`]), tenant by tenant, switching
/// `unibox.tenant` as needed (`current`: the tenant it names). Returns what it stored; a call
/// left out (its account is not the tenant's) is for the per-call path, which fails it.
pub(crate) async fn store_calls(
    tx: &Tx<'_>,
    work: &[Vec<TenantEvents>],
    fast: &[usize],
    current: &mut TenantId,
) -> Result<Vec<Stored>> {
    let mut tenants: Vec<&TenantId> = Vec::new();
    for &call in fast {
        if let Some((tenant, ..)) = work[call].first()
            && !tenants.contains(&tenant)
        {
            tenants.push(tenant);
        }
    }
    let mut stored = Vec::new();
    for tenant in tenants {
        let calls: Vec<usize> =
            fast.iter().copied().filter(|&call| work[call].first().is_some_and(|(t, ..)| t == tenant)).collect();
        if *tenant != *current {
            tx.execute("SELECT set_config('unibox.tenant', $1, true)", &[&tenant.as_str()]).await.during(OP)?;
            *current = tenant.clone();
        }
        stored.extend(store_tenant(tx, tenant, work, &calls).await?);
    }
    Ok(stored)
}

/// One event of the fast path.
struct Item<'a> {
    /// The call's index in the group.
    call: usize,
    position: usize,
    event: &'a PreparedEvent,
    message: &'a PreparedMessage,
    seal: &'a Seal,
    /// The blind of the platform message id.
    platform_key: String,
    /// The blind of the customer's identity.
    identity_key: String,
    outcome: Option<IngestOutcome>,
}

/// The calls `calls` of `work`, all of `tenant` (which `unibox.tenant` names).
async fn store_tenant(
    tx: &Tx<'_>,
    tenant: &TenantId,
    work: &[Vec<TenantEvents>],
    calls: &[usize],
) -> Result<Vec<Stored>> {
    let name = tenant.as_str();
    // The accounts must be the tenant's; a call on another is left to the per-call path.
    let mut accounts: Vec<Uuid> = Vec::new();
    for &call in calls {
        for (_, _, events) in &work[call] {
            for (_, event) in events {
                if !accounts.contains(&event.account.as_uuid()) {
                    accounts.push(event.account.as_uuid());
                }
            }
        }
    }
    let statement =
        tx.prepare_cached("SELECT id FROM accounts WHERE tenant = $1 AND id = ANY($2::UUID[])").await.during(OP)?;
    let known: HashSet<Uuid> =
        tx.query(&statement, &[&name, &accounts]).await.during(OP)?.iter().map(|row| row.get(0)).collect();
    let calls: Vec<usize> = calls
        .iter()
        .copied()
        .filter(|&call| {
            work[call].iter().all(|(_, _, events)| events.iter().all(|(_, e)| known.contains(&e.account.as_uuid())))
        })
        .collect();
    let mut items = Vec::new();
    for &call in &calls {
        for (_, seal, events) in &work[call] {
            for (position, event) in events {
                let PreparedAction::Message(message) = &event.action else {
                    return Err(Error::new(ErrorKind::Unexpected, "the fast path took an event that is not a message")
                        .with_operation(OP));
                };
                items.push(Item {
                    call,
                    position: *position,
                    event,
                    message,
                    seal,
                    platform_key: seal.lookup(index::PLATFORM_MESSAGE_ID, &message.platform_id),
                    identity_key: identity_lookup(seal, &message.customer_kind, &message.customer_id),
                    outcome: None,
                });
            }
        }
    }
    if items.is_empty() {
        return Ok(Vec::new());
    }

    insert_events(tx, name, &mut items).await?;
    let deferred = find_stored_and_pending(tx, name, &mut items).await?;
    let fresh: Vec<usize> =
        (0..items.len()).filter(|&i| items[i].outcome.is_none() && !deferred.contains(&i)).collect();
    if !fresh.is_empty() {
        let contacts = store_contacts(tx, name, &items, &fresh).await?;
        let conversations = upsert_conversations(tx, name, &items, &fresh, &contacts).await?;
        insert_messages(tx, name, &mut items, &fresh, &contacts, &conversations).await?;
    }
    // Messages with changes waiting for them, one by one as the per-event path stores them.
    for &i in &deferred {
        let item = &items[i];
        let outcome = store::store_message(tx, tenant, item.seal, item.event, item.message)
            .await
            .map_err(|e| e.with_context("event", truncated(&item.event.event_id)))?;
        items[i].outcome = Some(outcome);
    }

    let mut stored: Vec<Stored> = Vec::with_capacity(calls.len());
    for &call in &calls {
        let count = work[call].iter().map(|(_, _, events)| events.len()).sum();
        stored.push(Stored { call, outcomes: Vec::with_capacity(count), changes: Vec::new() });
    }
    let mut outcomes: HashMap<(usize, usize), IngestOutcome> = HashMap::with_capacity(items.len());
    for item in items {
        let outcome = item.outcome.ok_or_else(|| {
            Error::new(ErrorKind::Unexpected, "the fast path left an event without an outcome").with_operation(OP)
        })?;
        outcomes.insert((item.call, item.position), outcome);
    }
    for entry in &mut stored {
        let mut by_position = Vec::new();
        for (_, _, events) in &work[entry.call] {
            for (position, event) in events {
                let outcome = outcomes.remove(&(entry.call, *position)).ok_or_else(|| {
                    Error::new(ErrorKind::Unexpected, "the fast path left an event without an outcome")
                        .with_operation(OP)
                })?;
                let at = Timestamp::from_unix_millis(event.received_at);
                entry.changes.extend(ingest_change(tenant, at, event.kind, &outcome));
                by_position.push((*position, outcome));
            }
        }
        by_position.sort_by_key(|(position, _)| *position);
        entry.outcomes = by_position.into_iter().map(|(_, outcome)| outcome).collect();
    }
    Ok(stored)
}

/// Records every item's event id; an event id already recorded makes its item a duplicate.
async fn insert_events(tx: &Tx<'_>, tenant: &str, items: &mut [Item<'_>]) -> Result<()> {
    let mut accounts = Vec::with_capacity(items.len());
    let mut event_ids = Vec::with_capacity(items.len());
    let mut kinds = Vec::with_capacity(items.len());
    let mut occurred = Vec::with_capacity(items.len());
    let mut received = Vec::with_capacity(items.len());
    let mut payloads = Vec::with_capacity(items.len());
    for item in items.iter() {
        let event = item.event;
        accounts.push(event.account.as_uuid());
        event_ids.push(event.event_id.as_str());
        kinds.push(event.kind);
        occurred.push(event.occurred_at);
        received.push(event.received_at);
        payloads.push(item.seal.seal_opt(
            field::EVENT_PAYLOAD,
            &event_row(event.account, &event.event_id),
            event.logged.as_deref(),
        )?);
    }
    let statement = tx
        .prepare_cached(
            "INSERT INTO events (tenant, account, event_id, kind, occurred_at, received_at, payload_sealed) \
             SELECT $1, * FROM unnest($2::UUID[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::BIGINT[], $7::BYTEA[]) \
             ON CONFLICT DO NOTHING RETURNING account, event_id",
        )
        .await
        .during(OP)?;
    let rows = tx
        .query(&statement, &[&tenant, &accounts, &event_ids, &kinds, &occurred, &received, &payloads])
        .await
        .during(OP)?;
    let recorded: HashSet<(Uuid, String)> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    for item in items.iter_mut() {
        if !recorded.contains(&(item.event.account.as_uuid(), item.event.event_id.clone())) {
            item.outcome = Some(IngestOutcome::Duplicate);
        }
    }
    Ok(())
}

/// Marks the items whose message is already stored as duplicates; returns the items (indexes)
/// with changes waiting for their message, for the per-event path.
async fn find_stored_and_pending(tx: &Tx<'_>, tenant: &str, items: &mut [Item<'_>]) -> Result<Vec<usize>> {
    let open: Vec<usize> = (0..items.len()).filter(|&i| items[i].outcome.is_none()).collect();
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let accounts: Vec<Uuid> = open.iter().map(|&i| items[i].event.account.as_uuid()).collect();
    let keys: Vec<&str> = open.iter().map(|&i| items[i].platform_key.as_str()).collect();
    let statement = tx
        .prepare_cached(
            // One index probe per key (LATERAL ... LIMIT 1 is never turned into a join that
            // scans the tenant's rows, whatever the statistics say).
            "SELECT k.account, k.platform_message_id, m.found IS NOT NULL, p.found IS NOT NULL \
             FROM unnest($2::UUID[], $3::TEXT[]) AS k(account, platform_message_id) \
             LEFT JOIN LATERAL (SELECT true AS found FROM messages m WHERE m.tenant = $1 AND m.account = k.account \
               AND m.platform_message_id = k.platform_message_id LIMIT 1) AS m ON true \
             LEFT JOIN LATERAL (SELECT true AS found FROM pending_actions p WHERE p.tenant = $1 \
               AND p.account = k.account AND p.platform_message_id = k.platform_message_id LIMIT 1) AS p ON true",
        )
        .await
        .during(OP)?;
    let rows = tx.query(&statement, &[&tenant, &accounts, &keys]).await.during(OP)?;
    let (mut stored, mut pending) = (HashSet::new(), HashSet::new());
    for row in &rows {
        let key: (Uuid, String) = (row.get(0), row.get(1));
        if row.get::<_, bool>(2) {
            stored.insert(key);
        } else if row.get::<_, bool>(3) {
            pending.insert(key);
        }
    }
    let mut deferred = Vec::new();
    for i in open {
        let key = (items[i].event.account.as_uuid(), items[i].platform_key.clone());
        if stored.contains(&key) {
            items[i].outcome = Some(IngestOutcome::Duplicate);
        } else if pending.contains(&key) {
            deferred.push(i);
        }
    }
    Ok(deferred)
}

/// The contact of each customer identity among `fresh`, found or created; an existing contact's
/// creation time and name are updated by the events' (the newest named event wins).
async fn store_contacts(
    tx: &Tx<'_>,
    tenant: &str,
    items: &[Item<'_>],
    fresh: &[usize],
) -> Result<HashMap<(Uuid, String, String), (ContactId, bool)>> {
    let mut identities: Vec<(Uuid, &str, &str)> = Vec::new();
    for &i in fresh {
        let key =
            (items[i].event.account.as_uuid(), items[i].message.customer_kind.as_str(), items[i].identity_key.as_str());
        if !identities.contains(&key) {
            identities.push(key);
        }
    }
    let accounts: Vec<Uuid> = identities.iter().map(|(account, ..)| *account).collect();
    let kinds: Vec<&str> = identities.iter().map(|(_, kind, _)| *kind).collect();
    let values: Vec<&str> = identities.iter().map(|(.., value)| *value).collect();
    let statement = tx
        .prepare_cached(
            // One index probe per identity, as above.
            "SELECT k.account, k.kind, k.value, i.contact \
             FROM unnest($2::UUID[], $3::TEXT[], $4::TEXT[]) AS k(account, kind, value) \
             CROSS JOIN LATERAL (SELECT i.contact FROM contact_identities i WHERE i.tenant = $1 \
               AND i.account = k.account AND i.kind = k.kind AND i.value = k.value LIMIT 1) AS i",
        )
        .await
        .during(OP)?;
    let rows = tx.query(&statement, &[&tenant, &accounts, &kinds, &values]).await.during(OP)?;
    let mut contacts: HashMap<(Uuid, String, String), (ContactId, bool)> = HashMap::new();
    for row in &rows {
        contacts.insert((row.get(0), row.get(1), row.get(2)), (ContactId::from_uuid(row.get(3)), false));
    }

    // One row per event: the contact, the event's time, and its name (sealed for the contact).
    let (mut ids, mut ats, mut named_ats, mut named_bys, mut names, mut creates) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // One row per new identity.
    let (mut new_accounts, mut new_kinds, mut new_values, mut new_contacts, mut new_sealed) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &i in fresh {
        let item = &items[i];
        let (account, message) = (item.event.account, item.message);
        let key = (account.as_uuid(), message.customer_kind.clone(), item.identity_key.clone());
        let (contact, created) = match contacts.get(&key) {
            Some(found) => *found,
            None => {
                let contact = message.ids.contact;
                let row = identity_row(account.as_bytes(), &message.customer_kind, &item.identity_key);
                new_accounts.push(account.as_uuid());
                new_kinds.push(message.customer_kind.as_str());
                new_values.push(item.identity_key.as_str());
                new_contacts.push(contact.as_uuid());
                new_sealed.push(item.seal.seal(field::IDENTITY_VALUE, &row, &message.customer_id)?);
                contacts.insert(key, (contact, true));
                (contact, true)
            }
        };
        let name = message.customer_name.as_deref();
        ids.push(contact.as_uuid());
        ats.push(item.event.occurred_at);
        named_ats.push(name.map(|_| item.event.occurred_at));
        named_bys.push(name.map(|_| item.event.event_id.as_str()));
        names.push(item.seal.seal_opt(field::CONTACT_NAME, contact.as_bytes(), name)?);
        creates.push(created);
    }
    // The existing contacts, so the update probes their rows only (by primary key).
    let mut existing: Vec<Uuid> = contacts.values().filter(|(_, created)| !created).map(|(c, _)| c.as_uuid()).collect();
    existing.sort();
    existing.dedup();
    let statement = tx
        .prepare_cached(
            "WITH u AS (SELECT * FROM unnest($2::UUID[], $3::BIGINT[], $4::BIGINT[], $5::TEXT[], $6::BYTEA[], \
                 $7::BOOL[]) AS u(id, at, named_at, named_by, name, created)), \
             w AS (SELECT DISTINCT ON (id) id, named_at, named_by, name FROM u WHERE named_at IS NOT NULL \
                   ORDER BY id, named_at DESC, named_by DESC), \
             a AS (SELECT u.id, bool_or(u.created) AS created, min(u.at) AS at FROM u GROUP BY u.id), \
             g AS (SELECT a.id, a.created, a.at, w.named_at, w.named_by, w.name FROM a LEFT JOIN w ON w.id = a.id), \
             identities AS (INSERT INTO contact_identities (tenant, account, kind, value, contact, value_sealed) \
                 SELECT $1, * FROM unnest($8::UUID[], $9::TEXT[], $10::TEXT[], $11::UUID[], $12::BYTEA[])), \
             inserted AS (INSERT INTO contacts (tenant, id, display_name_sealed, named_at, named_by, created_at) \
                 SELECT $1, id, name, named_at, named_by, at FROM g WHERE created ORDER BY id) \
             UPDATE contacts c SET created_at = LEAST(c.created_at, g.at), \
               display_name_sealed = CASE WHEN g.named_at IS NOT NULL AND (c.named_at IS NULL OR \
                 (c.named_at, c.named_by) < (g.named_at, g.named_by)) THEN g.name ELSE c.display_name_sealed END, \
               named_by = CASE WHEN g.named_at IS NOT NULL AND (c.named_at IS NULL OR \
                 (c.named_at, c.named_by) < (g.named_at, g.named_by)) THEN g.named_by ELSE c.named_by END, \
               named_at = CASE WHEN g.named_at IS NOT NULL AND (c.named_at IS NULL OR \
                 (c.named_at, c.named_by) < (g.named_at, g.named_by)) THEN g.named_at ELSE c.named_at END \
             FROM g WHERE NOT g.created AND c.tenant = $1 AND c.id = ANY($13::UUID[]) AND c.id = g.id AND \
               (c.created_at > g.at OR \
               (g.named_at IS NOT NULL AND (c.named_at IS NULL OR (c.named_at, c.named_by) < (g.named_at, g.named_by))))",
        )
        .await
        .during(OP)?;
    tx.execute(
        &statement,
        &[
            &tenant,
            &ids,
            &ats,
            &named_ats,
            &named_bys,
            &names,
            &creates,
            &new_accounts,
            &new_kinds,
            &new_values,
            &new_contacts,
            &new_sealed,
            &existing,
        ],
    )
    .await
    .during(OP)?;
    Ok(contacts)
}

/// The contact of an item (found or created by [`store_contacts`]).
fn contact_of(item: &Item<'_>, contacts: &HashMap<(Uuid, String, String), (ContactId, bool)>) -> Result<ContactId> {
    let key = (item.event.account.as_uuid(), item.message.customer_kind.clone(), item.identity_key.clone());
    contacts
        .get(&key)
        .map(|(contact, _)| *contact)
        .ok_or_else(|| Error::new(ErrorKind::Unexpected, "the fast path lost a customer's contact").with_operation(OP))
}

/// One upsert per (account, contact) with what its events add; the conversation of each.
async fn upsert_conversations(
    tx: &Tx<'_>,
    tenant: &str,
    items: &[Item<'_>],
    fresh: &[usize],
    contacts: &HashMap<(Uuid, String, String), (ContactId, bool)>,
) -> Result<HashMap<(Uuid, Uuid), ConversationId>> {
    /// What a conversation's events add: its id if new, unread, last inbound, last activity, first.
    type Sums = (Uuid, i64, Option<i64>, i64, i64);
    let mut sums: Vec<((Uuid, Uuid), Sums)> = Vec::new();
    let mut found: HashMap<(Uuid, Uuid), usize> = HashMap::new();
    for &i in fresh {
        let item = &items[i];
        let key = (item.event.account.as_uuid(), contact_of(item, contacts)?.as_uuid());
        let (at, inbound) = (item.event.occurred_at, item.message.direction == Direction::Inbound);
        match found.get(&key).and_then(|&at| sums.get_mut(at)) {
            Some((_, (_, unread, last_inbound, activity, first))) => {
                *unread += i64::from(inbound);
                if inbound {
                    *last_inbound = Some(last_inbound.map_or(at, |last| last.max(at)));
                }
                *activity = (*activity).max(at);
                *first = (*first).min(at);
            }
            None => {
                found.insert(key, sums.len());
                sums.push((
                    key,
                    (item.message.ids.conversation.as_uuid(), i64::from(inbound), inbound.then_some(at), at, at),
                ))
            }
        }
    }
    // Row locks in one order in every process.
    sums.sort_by_key(|(key, _)| *key);
    let ids: Vec<Uuid> = sums.iter().map(|(_, s)| s.0).collect();
    let accounts: Vec<Uuid> = sums.iter().map(|((account, _), _)| *account).collect();
    let contact_ids: Vec<Uuid> = sums.iter().map(|((_, contact), _)| *contact).collect();
    let unread: Vec<i64> = sums.iter().map(|(_, s)| s.1).collect();
    let last_inbound: Vec<Option<i64>> = sums.iter().map(|(_, s)| s.2).collect();
    let activity: Vec<i64> = sums.iter().map(|(_, s)| s.3).collect();
    let first: Vec<i64> = sums.iter().map(|(_, s)| s.4).collect();
    let statement = tx
        .prepare_cached(&format!(
            "INSERT INTO conversations AS c (tenant, id, account, contact, status, snoozed_until, assignee, \
               unread_count, last_inbound_at, last_activity_at, created_at) \
             SELECT $1, u.id, u.account, u.contact, 'open', NULL, NULL, u.unread, u.inbound, u.activity, u.first \
             FROM unnest($2::UUID[], $3::UUID[], $4::UUID[], $5::BIGINT[], $6::BIGINT[], $7::BIGINT[], $8::BIGINT[]) \
               AS u(id, account, contact, unread, inbound, activity, first) \
             {CONVERSATION_ABSORBS} \
             RETURNING account, contact, id"
        ))
        .await
        .during(OP)?;
    let rows = tx
        .query(&statement, &[&tenant, &ids, &accounts, &contact_ids, &unread, &last_inbound, &activity, &first])
        .await
        .during(OP)?;
    Ok(rows.iter().map(|row| ((row.get(0), row.get(1)), ConversationId::from_uuid(row.get(2)))).collect())
}

/// Writes the messages of `fresh` and their search rows (one statement).
async fn insert_messages(
    tx: &Tx<'_>,
    tenant: &str,
    items: &mut [Item<'_>],
    fresh: &[usize],
    contacts: &HashMap<(Uuid, String, String), (ContactId, bool)>,
    conversations: &HashMap<(Uuid, Uuid), ConversationId>,
) -> Result<()> {
    let count = fresh.len();
    let (mut ids, mut conversation_ids, mut accounts, mut directions, mut authors) =
        (Vec::with_capacity(count), Vec::with_capacity(count), Vec::with_capacity(count), Vec::new(), Vec::new());
    let (mut contents, mut platform_keys, mut platform_sealed, mut replies) =
        (Vec::with_capacity(count), Vec::with_capacity(count), Vec::with_capacity(count), Vec::new());
    let (mut sent, mut recorded, mut deliveries) = (Vec::with_capacity(count), Vec::with_capacity(count), Vec::new());
    // The search rows: each message's terms, a slice (1-based, inclusive) of one flat array.
    let (mut searched, mut starts, mut ends, mut terms) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut outcomes = Vec::with_capacity(count);
    for &i in fresh {
        let item = &items[i];
        let (event, message, seal) = (item.event, item.message, item.seal);
        let contact = contact_of(item, contacts)?;
        let conversation = *conversations
            .get(&(event.account.as_uuid(), contact.as_uuid()))
            .ok_or_else(|| Error::new(ErrorKind::Unexpected, "the fast path lost a conversation").with_operation(OP))?;
        let (author, delivery) = match message.direction {
            Direction::Inbound => (Author::Contact(contact), DeliveryStatus::Received),
            Direction::Outbound => (Author::System, DeliveryStatus::Sent),
        };
        let id = message.ids.message;
        let row = id.as_bytes();
        ids.push(id.as_uuid());
        conversation_ids.push(conversation.as_uuid());
        accounts.push(event.account.as_uuid());
        directions.push(direction_key(message.direction));
        authors.push(to_json(&author, "author")?);
        contents.push(seal.seal(field::MESSAGE_CONTENT, row, &message.content_json)?);
        platform_keys.push(item.platform_key.as_str());
        platform_sealed.push(seal.seal(field::MESSAGE_PLATFORM_ID, row, &message.platform_id)?);
        replies.push(seal.seal_opt(field::MESSAGE_REPLY_TO, row, message.reply_to.as_deref())?);
        sent.push(event.occurred_at);
        recorded.push(event.received_at);
        deliveries.push(to_json(&delivery, "delivery status")?);
        let message_terms = message.text.as_deref().map(|text| seal.terms(text)).unwrap_or_default();
        if !message_terms.is_empty() {
            let start = i32::try_from(terms.len() + 1).map_err(|_| too_many())?;
            terms.extend(message_terms);
            searched.push(id.as_uuid());
            starts.push(start);
            ends.push(i32::try_from(terms.len()).map_err(|_| too_many())?);
        }
        outcomes.push((i, IngestOutcome::Stored { conversation: Some(conversation), message: Some(id) }));
    }
    let statement = tx
        .prepare_cached(
            "WITH m AS (INSERT INTO messages (tenant, id, conversation, account, direction, author, content, \
                 content_sealed, platform_message_id, platform_message_id_sealed, reply_to_sealed, sent_at, \
                 recorded_at, edited_at, edited_by, unsent_at, delivery) \
               SELECT $1, u.id, u.conversation, u.account, u.direction, u.author, '', u.content, u.platform, \
                 u.platform_sealed, u.reply_to, u.sent_at, u.recorded_at, NULL, NULL, NULL, u.delivery \
               FROM unnest($2::UUID[], $3::UUID[], $4::UUID[], $5::TEXT[], $6::TEXT[], $7::BYTEA[], $8::TEXT[], \
                 $9::BYTEA[], $10::BYTEA[], $11::BIGINT[], $12::BIGINT[], $13::TEXT[]) \
                 AS u(id, conversation, account, direction, author, content, platform, platform_sealed, reply_to, \
                   sent_at, recorded_at, delivery)) \
             INSERT INTO message_search (tenant, message, terms) \
             SELECT $1, s.message, ($17::BIGINT[])[s.first:s.last] \
             FROM unnest($14::UUID[], $15::INT[], $16::INT[]) AS s(message, first, last) \
             ON CONFLICT (tenant, message) DO UPDATE SET terms = excluded.terms",
        )
        .await
        .during(OP)?;
    tx.execute(
        &statement,
        &[
            &tenant,
            &ids,
            &conversation_ids,
            &accounts,
            &directions,
            &authors,
            &contents,
            &platform_keys,
            &platform_sealed,
            &replies,
            &sent,
            &recorded,
            &deliveries,
            &searched,
            &starts,
            &ends,
            &terms,
        ],
    )
    .await
    .during(OP)?;
    for (i, outcome) in outcomes {
        items[i].outcome = Some(outcome);
    }
    Ok(())
}

fn too_many() -> Error {
    Error::new(ErrorKind::InvalidInput, "too many search terms in one group").with_operation(OP)
}
