//! Property checks: ingest converges whatever the delivery, and tenants never see each other.
//!
//! proptest drives generation and shrinking on a blocking thread; each generated case is sent
//! to the calling task, which runs it against fresh inboxes from the factory and answers with
//! the verdict. So the suite stays an `async fn` over a borrowed factory, and works on a
//! current-thread runtime.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tokio::sync::{mpsc, oneshot};
use unibox_core::inbox::{ConversationQuery, ConversationUpdate, IngestOutcome, RoutedEvent, SearchQuery};
use unibox_core::store::Store;
use unibox_core::{
    Author, ChannelAccount, ChannelKind, Content, ConversationId, ConversationStatus, DeliveryStatus, Direction,
    ErrorKind, IdentityKind, InternalNote, NoteId, PlatformUser, Reaction, TenantId, Timestamp,
};

use super::support::{all_conversations, all_messages, catch_panic};
use super::{BoxFuture, StoreFactory};
use crate::fixtures::{self, AccountEvents};

/// How many cases each property check runs: `PROPTEST_CASES`, or 64.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

type CaseCheck<V> = for<'a> fn(&'a dyn StoreFactory, V) -> BoxFuture<'a, Result<(), String>>;

/// Runs a property: generation and shrinking on a blocking thread, each case on this task.
async fn run_property<S>(
    name: &'static str,
    factory: &dyn StoreFactory,
    strategy: fn() -> S,
    check: CaseCheck<S::Value>,
) where
    S: Strategy + 'static,
    S::Value: Send + 'static,
{
    let (cases_tx, mut cases_rx) = mpsc::channel::<(S::Value, oneshot::Sender<Result<(), String>>)>(1);
    let runner = tokio::task::spawn_blocking(move || {
        let config = Config { cases: cases(), failure_persistence: None, max_shrink_iters: 512, ..Config::default() };
        let mut runner = TestRunner::new(config);
        let verdict = runner.run(&strategy(), |case| {
            let (reply_tx, reply_rx) = oneshot::channel();
            cases_tx.blocking_send((case, reply_tx)).map_err(|_| TestCaseError::fail("the suite stopped listening"))?;
            match reply_rx.blocking_recv() {
                Ok(Ok(())) => Ok(()),
                Ok(Err(message)) => Err(TestCaseError::fail(message)),
                Err(_) => Err(TestCaseError::fail("the suite dropped the case")),
            }
        });
        verdict.map_err(|failure| failure.to_string())
    });
    while let Some((case, reply)) = cases_rx.recv().await {
        let verdict = catch_panic(check(factory, case)).await.and_then(|result| result);
        // The runner only stops listening when it has given up, so a lost reply is harmless.
        let _ = reply.send(verdict);
    }
    match runner.await {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => panic!("{name}: {failure}"),
        Err(join) => panic!("{name}: the property runner failed: {join}"),
    }
}

/// Turns an inbox error into a case failure naming the call.
fn call<T>(result: unibox_core::Result<T>, what: &str) -> Result<T, String> {
    result.map_err(|error| format!("{what} failed: {error}"))
}

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(message()) }
}

// ---------------------------------------------------------------------------------------------
// (a) Idempotent, order-independent ingest.

const TEXTS: [&str; 6] = [
    fixtures::THAI_ORDER_TEXT,
    fixtures::THAI_SHIPPING_TEXT,
    fixtures::ENGLISH_ORDER_TEXT,
    fixtures::ENGLISH_REFUND_TEXT,
    "ขอบคุณค่ะ 🙏",
    "ok",
];
const EMOJIS: [&str; 3] = ["❤", "👍", "😂"];
const CUSTOMERS: usize = 3;

/// Which message a change refers to: one of the scenario's messages, or one that never arrives.
#[derive(Clone, Debug)]
enum Target {
    Message(usize),
    Ghost(u8),
}

/// One generated event, before ids and times are given.
#[derive(Clone, Debug)]
enum Spec {
    Message { customer: usize, inbound: bool, text: usize, named: bool },
    Postback { customer: usize, payload: u8 },
    Edit { customer: usize, target: Target, text: usize },
    Unsend { customer: usize, target: Target },
    Reaction { customer: usize, target: Target, emoji: Option<usize> },
    Delivery { targets: Vec<Target>, status: u8 },
}

/// A generated history and one way of delivering it.
#[derive(Clone, Debug)]
struct DeliveryCase {
    specs: Vec<Spec>,
    /// A distinct time for each event (milliseconds after the base time).
    times: Vec<i64>,
    /// The order the events are delivered in (a permutation of their indices).
    order: Vec<usize>,
    /// Redeliveries: (event index, under a new event id, insert position).
    duplicates: Vec<(usize, bool, usize)>,
    /// Batch sizes, repeated until every event is delivered.
    batches: Vec<usize>,
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![4 => (0..12usize).prop_map(Target::Message), 1 => (0..2u8).prop_map(Target::Ghost)]
}

fn spec() -> impl Strategy<Value = Spec> {
    let customer = 0..CUSTOMERS;
    prop_oneof![
        4 => (customer.clone(), any::<bool>(), 0..TEXTS.len(), any::<bool>())
            .prop_map(|(customer, inbound, text, named)| Spec::Message { customer, inbound, text, named }),
        1 => (customer.clone(), 0..3u8).prop_map(|(customer, payload)| Spec::Postback { customer, payload }),
        2 => (customer.clone(), target(), 0..TEXTS.len())
            .prop_map(|(customer, target, text)| Spec::Edit { customer, target, text }),
        1 => (customer.clone(), target()).prop_map(|(customer, target)| Spec::Unsend { customer, target }),
        2 => (customer, target(), proptest::option::of(0..EMOJIS.len()))
            .prop_map(|(customer, target, emoji)| Spec::Reaction { customer, target, emoji }),
        2 => (proptest::collection::vec(target(), 1..4), 0..4u8)
            .prop_map(|(targets, status)| Spec::Delivery { targets, status }),
    ]
}

fn delivery_case() -> impl Strategy<Value = DeliveryCase> {
    proptest::collection::vec(spec(), 1..24).prop_flat_map(|specs| {
        let n = specs.len();
        (
            Just(specs),
            proptest::collection::vec(0..5_000i64, n),
            Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
            proptest::collection::vec((0..n, any::<bool>(), 0..2 * n), 0..n + 1),
            proptest::collection::vec(1..6usize, 1..6),
        )
            .prop_map(|(specs, times, order, duplicates, batches)| DeliveryCase {
                specs,
                times,
                order,
                duplicates,
                batches,
            })
    })
}

fn customer(index: usize) -> PlatformUser {
    fixtures::customer(IdentityKind::LineUserId, u32::try_from(index).unwrap_or(0))
}

impl DeliveryCase {
    fn message_count(&self) -> usize {
        self.specs.iter().filter(|s| matches!(s, Spec::Message { .. })).count()
    }

    fn platform_id(&self, target: &Target) -> String {
        match (target, self.message_count()) {
            (Target::Message(n), count) if count > 0 => format!("msg-{}", n % count),
            (Target::Message(n), _) => format!("ghost-{n}"),
            (Target::Ghost(n), _) => format!("ghost-{n}"),
        }
    }

    /// The events in their canonical order, each once.
    fn events(&self, account: &ChannelAccount) -> Vec<RoutedEvent> {
        let events = AccountEvents::new(account);
        let mut next_message = 0;
        self.specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let id = format!("evt-{i}");
                // Times are distinct: the index breaks ties between generated offsets.
                let offset = self.times[i] * 64 + i64::try_from(i).unwrap_or(0);
                let time = Timestamp::from_unix_millis(fixtures::BASE_TIME.as_unix_millis() + offset);
                match spec {
                    Spec::Message { customer: c, inbound, text, named } => {
                        let mut user = customer(*c);
                        if !named {
                            user.display_name = None;
                        }
                        let message_id = format!("msg-{next_message}");
                        next_message += 1;
                        if *inbound {
                            events.text(&id, &user, &message_id, TEXTS[*text], time)
                        } else {
                            events.echo(&id, &user, &message_id, TEXTS[*text], time)
                        }
                    }
                    Spec::Postback { customer: c, payload } => {
                        events.postback(&id, &customer(*c), &format!("MENU_{payload}"), Some("เมนู"), time)
                    }
                    Spec::Edit { customer: c, target, text } => {
                        events.edit(&id, &customer(*c), &self.platform_id(target), TEXTS[*text], time)
                    }
                    Spec::Unsend { customer: c, target } => {
                        events.unsend(&id, &customer(*c), &self.platform_id(target), time)
                    }
                    Spec::Reaction { customer: c, target, emoji } => {
                        let emoji = emoji.map(|e| EMOJIS[e]);
                        events.reaction(&id, &customer(*c), &self.platform_id(target), emoji, time)
                    }
                    Spec::Delivery { targets, status } => {
                        let ids: Vec<String> = targets.iter().map(|t| self.platform_id(t)).collect();
                        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                        let status = match status {
                            0 => DeliveryStatus::Delivered,
                            1 => DeliveryStatus::Read,
                            2 => DeliveryStatus::failed_with(
                                "This person isn't available right now.",
                                unibox_core::ErrorKind::RecipientUnavailable,
                                Some("551".into()),
                            ),
                            _ => DeliveryStatus::failed("(#10) outside of allowed window"),
                        };
                        events.delivery(&id, &ids, status, time)
                    }
                }
            })
            .collect()
    }

    /// The events as delivered: reordered, with redeliveries, split into batches.
    fn deliveries(&self, account: &ChannelAccount) -> Vec<Vec<RoutedEvent>> {
        let canonical = self.events(account);
        let mut stream: Vec<RoutedEvent> = self.order.iter().map(|&i| canonical[i].clone()).collect();
        for &(index, new_id, position) in &self.duplicates {
            let mut copy = canonical[index].clone();
            // A postback under a new event id is a new tap, not a redelivery.
            if new_id && !matches!(self.specs[index], Spec::Postback { .. }) {
                copy.event.id.push_str("-redelivered");
            }
            copy.received_at = Timestamp::from_unix_millis(copy.received_at.as_unix_millis() + 60_000);
            stream.insert(position % (stream.len() + 1), copy);
        }
        let mut batches = Vec::new();
        let mut sizes = self.batches.iter().cycle();
        while !stream.is_empty() {
            let size = sizes.next().copied().unwrap_or(1).min(stream.len());
            batches.push(stream.drain(..size).collect());
        }
        batches
    }
}

/// What an agent can observe of a message, keyed by platform ids instead of unibox's ids.
#[derive(Debug, PartialEq)]
struct SeenMessage {
    platform_id: Option<String>,
    direction: Direction,
    from_contact: bool,
    content: Content,
    sent_at: Timestamp,
    delivery: DeliveryStatus,
    edited_at: Option<Timestamp>,
    unsent_at: Option<Timestamp>,
    reactions: Vec<Reaction>,
}

#[derive(Debug, PartialEq)]
struct SeenConversation {
    contact_name: Option<String>,
    contact_identities: Vec<(IdentityKind, String)>,
    contact_created_at: Timestamp,
    status: ConversationStatus,
    unread_count: u32,
    last_inbound_at: Option<Timestamp>,
    last_activity_at: Timestamp,
    created_at: Timestamp,
    messages: Vec<SeenMessage>,
}

/// The tenant's whole observable state, by customer id.
async fn observe(store: &Store, tenant: &TenantId) -> Result<BTreeMap<String, SeenConversation>, String> {
    let mut seen = BTreeMap::new();
    for conversation in all_conversations(store, tenant, ConversationQuery::new().limit(7)).await {
        let contact = call(store.reads.contact(tenant, conversation.contact).await, "contact")?;
        let key = contact.identities.first().map(|i| i.value.clone()).unwrap_or_default();
        let mut messages: Vec<SeenMessage> = all_messages(store, tenant, conversation.id)
            .await
            .into_iter()
            .map(|m| SeenMessage {
                platform_id: m.platform_message_id,
                direction: m.direction,
                from_contact: m.author == Author::Contact(contact.id),
                content: m.content,
                sent_at: m.sent_at,
                delivery: m.delivery,
                edited_at: m.edited_at,
                unsent_at: m.unsent_at,
                reactions: m.reactions,
            })
            .collect();
        messages.sort_by(|a, b| a.platform_id.cmp(&b.platform_id));
        let previous = seen.insert(
            key.clone(),
            SeenConversation {
                contact_name: contact.display_name,
                contact_identities: contact.identities.into_iter().map(|i| (i.kind, i.value)).collect(),
                contact_created_at: contact.created_at,
                status: conversation.status,
                unread_count: conversation.unread_count,
                last_inbound_at: conversation.last_inbound_at,
                last_activity_at: conversation.last_activity_at,
                created_at: conversation.created_at,
                messages,
            },
        );
        ensure(previous.is_none(), || format!("two conversations for customer {key} on one account"))?;
    }
    Ok(seen)
}

async fn ingest_all(store: &Store, batches: Vec<Vec<RoutedEvent>>) -> Result<(), String> {
    for batch in batches {
        let count = batch.len();
        let outcomes = call(store.ingest.ingest(batch).await, "ingest")?;
        ensure(outcomes.len() == count, || format!("{} outcomes for {count} events", outcomes.len()))?;
    }
    Ok(())
}

fn idempotency_case(factory: &dyn StoreFactory, case: DeliveryCase) -> BoxFuture<'_, Result<(), String>> {
    Box::pin(async move {
        let tenant = fixtures::tenant("acme");
        let account = fixtures::line_account(&tenant);

        let canonical = factory.fresh().await;
        call(canonical.accounts.save_account(&account).await, "save_account")?;
        let events = case.events(&account);
        let outcomes = call(canonical.ingest.ingest(events.clone()).await, "ingest")?;
        ensure(outcomes.len() == events.len(), || "one outcome per event".to_string())?;
        let expected = observe(&canonical, &tenant).await?;

        let delivered = factory.fresh().await;
        call(delivered.accounts.save_account(&account).await, "save_account")?;
        ingest_all(&delivered, case.deliveries(&account)).await?;
        let actual = observe(&delivered, &tenant).await?;
        ensure(actual == expected, || {
            format!(
                "delivered in another order with redeliveries, the inbox differs.\nexpected: {expected:#?}\nactual: {actual:#?}"
            )
        })?;

        // Independent of any backend: the counts the history implies.
        let mut per_customer: HashMap<String, (usize, u32)> = HashMap::new();
        for (spec, event) in case.specs.iter().zip(&events) {
            let inbound = match spec {
                Spec::Message { inbound, .. } => *inbound,
                Spec::Postback { .. } => true,
                _ => continue,
            };
            let customer = event.event.kind.customer().map(|c| c.id.clone()).unwrap_or_default();
            let entry = per_customer.entry(customer).or_default();
            entry.0 += 1;
            entry.1 += u32::from(inbound);
        }
        ensure(actual.len() == per_customer.len(), || {
            format!("{} conversations, but {} customers wrote", actual.len(), per_customer.len())
        })?;
        for (customer, (messages, unread)) in per_customer {
            let seen = actual.get(&customer).ok_or_else(|| format!("no conversation for customer {customer}"))?;
            ensure(seen.messages.len() == messages, || {
                format!("customer {customer}: {} messages stored, {messages} sent", seen.messages.len())
            })?;
            ensure(seen.unread_count == unread, || {
                format!("customer {customer}: unread count {}, {unread} inbound messages", seen.unread_count)
            })?;
        }
        Ok(())
    })
}

/// Property: delivering a generated history with random redeliveries (same or new event id),
/// in random order and random batches, leaves the same observable state as ingesting it once
/// in order: messages with content, status, edits, unsends and reactions; unread counts;
/// conversation times; contacts.
pub async fn ingest_is_idempotent_under_redelivery_and_reordering(factory: &dyn StoreFactory) {
    run_property("ingest_is_idempotent_under_redelivery_and_reordering", factory, delivery_case, idempotency_case)
        .await;
}

// ---------------------------------------------------------------------------------------------
// (b) Tenant isolation.

const TENANTS: usize = 3;

/// One operation of one tenant. `pick` chooses among the tenant's conversations so far.
#[derive(Clone, Debug)]
enum TenantOp {
    /// A customer writes (`inbound`) or the business answers from the platform's app.
    Message {
        /// Which tenant.
        tenant: usize,
        /// Which customer (the same ids exist in every tenant).
        customer: u8,
        /// The platform message id's number (the same ids exist in every tenant).
        message: u8,
        /// Inbound or echo.
        inbound: bool,
        /// Which text.
        text: usize,
    },
    /// An agent replies.
    Reply {
        /// Which tenant.
        tenant: usize,
        /// Which conversation.
        pick: usize,
        /// Which text.
        text: usize,
    },
    /// An agent changes a conversation.
    Update {
        /// Which tenant.
        tenant: usize,
        /// Which conversation.
        pick: usize,
        /// Which change.
        change: u8,
    },
    /// An agent leaves a note.
    Note {
        /// Which tenant.
        tenant: usize,
        /// Which conversation.
        pick: usize,
    },
}

fn tenant_op() -> impl Strategy<Value = TenantOp> {
    let tenant = 0..TENANTS;
    prop_oneof![
        4 => (tenant.clone(), 0..3u8, 0..6u8, any::<bool>(), 0..TEXTS.len())
            .prop_map(|(tenant, customer, message, inbound, text)| TenantOp::Message { tenant, customer, message, inbound, text }),
        2 => (tenant.clone(), 0..8usize, 0..TEXTS.len()).prop_map(|(tenant, pick, text)| TenantOp::Reply { tenant, pick, text }),
        2 => (tenant.clone(), 0..8usize, 0..5u8).prop_map(|(tenant, pick, change)| TenantOp::Update { tenant, pick, change }),
        1 => (tenant, 0..8usize).prop_map(|(tenant, pick)| TenantOp::Note { tenant, pick }),
    ]
}

fn tenant_ops() -> impl Strategy<Value = Vec<TenantOp>> {
    proptest::collection::vec(tenant_op(), 1..40)
}

/// What one tenant's conversation should look like.
#[derive(Clone, Debug, Default, PartialEq)]
struct Expected {
    messages: usize,
    unread: u32,
    resolved: bool,
    tags: BTreeSet<String>,
    assigned: bool,
    notes: usize,
    texts: Vec<String>,
}

fn tenant_account(index: usize) -> ChannelAccount {
    let tenant = fixtures::tenant(["acme", "globex", "initech"][index % TENANTS]);
    // Two LINE accounts (so customer ids collide across tenants) and a Shopee shop.
    match index {
        0 => fixtures::line_account(&tenant),
        1 => fixtures::account(&tenant, "line-globex", ChannelKind::LINE, "Uf00dfacef00dfacef00dfacef00dface"),
        _ => fixtures::shopee_account(&tenant),
    }
}

fn isolation_case(factory: &dyn StoreFactory, ops: Vec<TenantOp>) -> BoxFuture<'_, Result<(), String>> {
    Box::pin(async move {
        let fresh = factory.fresh().await;
        let store = &fresh;
        let accounts: Vec<ChannelAccount> = (0..TENANTS).map(tenant_account).collect();
        for account in &accounts {
            call(store.accounts.save_account(account).await, "save_account")?;
        }
        // Per tenant: conversations by customer id, in creation order, and the oracle.
        let mut conversations: Vec<Vec<(String, ConversationId)>> = vec![Vec::new(); TENANTS];
        let mut oracle: Vec<BTreeMap<String, Expected>> = vec![BTreeMap::new(); TENANTS];
        let mut platform_ids: Vec<HashSet<u8>> = vec![HashSet::new(); TENANTS];

        for (step, op) in ops.iter().enumerate() {
            let time = fixtures::at(i64::try_from(step).unwrap_or(0));
            match op {
                TenantOp::Message { tenant, customer: c, message, inbound, text } => {
                    let events = AccountEvents::new(&accounts[*tenant]);
                    let user = customer(usize::from(*c));
                    let message_id = format!("m-{message}");
                    // Event ids repeat across tenants on purpose: deduplication is per account.
                    let event_id = format!("evt-{message}");
                    let event = if *inbound {
                        events.text(&event_id, &user, &message_id, TEXTS[*text], time)
                    } else {
                        events.echo(&event_id, &user, &message_id, TEXTS[*text], time)
                    };
                    let outcomes = call(store.ingest.ingest(vec![event]).await, "ingest")?;
                    let known = !platform_ids[*tenant].insert(*message);
                    match (&outcomes[..], known) {
                        ([IngestOutcome::Duplicate], true) => {}
                        ([IngestOutcome::Stored { conversation: Some(id), .. }], false) => {
                            if !conversations[*tenant].iter().any(|(key, _)| key == &user.id) {
                                conversations[*tenant].push((user.id.clone(), *id));
                            }
                            let expected = oracle[*tenant].entry(user.id.clone()).or_default();
                            expected.messages += 1;
                            expected.texts.push(TEXTS[*text].to_string());
                            if *inbound {
                                expected.unread += 1;
                                expected.resolved = false;
                            }
                        }
                        (other, known) => {
                            return Err(format!(
                                "tenant {tenant}: message m-{message} (already stored in this tenant: {known}) gave {other:?}"
                            ));
                        }
                    }
                }
                TenantOp::Reply { tenant, pick, text } => {
                    let Some((key, id)) = pick_conversation(&conversations[*tenant], *pick) else { continue };
                    let draft = fixtures::agent_reply(id, &fixtures::user("agent-7"), TEXTS[*text], time);
                    call(store.outbound.record_outbound(&accounts[*tenant].tenant, draft).await, "record_outbound")?;
                    let expected = oracle[*tenant].entry(key).or_default();
                    expected.messages += 1;
                    expected.texts.push(TEXTS[*text].to_string());
                }
                TenantOp::Update { tenant, pick, change } => {
                    let Some((key, id)) = pick_conversation(&conversations[*tenant], *pick) else { continue };
                    let expected = oracle[*tenant].entry(key).or_default();
                    let update = match change {
                        0 => {
                            expected.resolved = true;
                            ConversationUpdate::new().status(ConversationStatus::Resolved)
                        }
                        1 => {
                            expected.unread = 0;
                            ConversationUpdate::new().mark_read()
                        }
                        2 => {
                            expected.assigned = true;
                            ConversationUpdate::new().assign(fixtures::user("agent-7"))
                        }
                        3 => {
                            expected.tags = ["vip".to_string()].into();
                            ConversationUpdate::new().tags(["vip"])
                        }
                        _ => {
                            expected.tags = ["refund".to_string(), "vip".to_string()].into();
                            ConversationUpdate::new().tags(["refund", "vip"])
                        }
                    };
                    call(
                        store.workflow.update_conversation(&accounts[*tenant].tenant, id, &update).await,
                        "update_conversation",
                    )?;
                }
                TenantOp::Note { tenant, pick } => {
                    let Some((key, id)) = pick_conversation(&conversations[*tenant], *pick) else { continue };
                    let note = InternalNote {
                        id: NoteId::new(),
                        tenant: accounts[*tenant].tenant.clone(),
                        conversation: id,
                        author: fixtures::user("agent-7"),
                        body: format!("note {step}"),
                        created_at: time,
                    };
                    call(store.workflow.add_note(&note).await, "add_note")?;
                    oracle[*tenant].entry(key).or_default().notes += 1;
                }
            }
        }

        for (index, expected) in oracle.iter().enumerate() {
            check_tenant_view(store, &accounts, index, &conversations, expected).await?;
        }
        Ok(())
    })
}

fn pick_conversation(conversations: &[(String, ConversationId)], pick: usize) -> Option<(String, ConversationId)> {
    if conversations.is_empty() {
        return None;
    }
    conversations.get(pick % conversations.len()).cloned()
}

async fn check_tenant_view(
    store: &Store,
    accounts: &[ChannelAccount],
    index: usize,
    conversations: &[Vec<(String, ConversationId)>],
    oracle: &BTreeMap<String, Expected>,
) -> Result<(), String> {
    let account = &accounts[index];
    let tenant = &account.tenant;
    let listed = all_conversations(store, tenant, ConversationQuery::new().limit(3)).await;
    let own: HashSet<ConversationId> = conversations[index].iter().map(|(_, id)| *id).collect();
    let mut actual: BTreeMap<String, Expected> = BTreeMap::new();
    for conversation in &listed {
        ensure(&conversation.tenant == tenant && own.contains(&conversation.id), || {
            format!("{tenant} listed conversation {} of {}", conversation.id, conversation.tenant)
        })?;
        let contact = call(store.reads.contact(tenant, conversation.contact).await, "contact")?;
        ensure(&contact.tenant == tenant, || format!("{tenant} read a contact of {}", contact.tenant))?;
        let key = contact.identities.first().map(|i| i.value.clone()).unwrap_or_default();
        let messages = all_messages(store, tenant, conversation.id).await;
        ensure(messages.iter().all(|m| &m.tenant == tenant && m.conversation == conversation.id), || {
            format!("{tenant} read a foreign message")
        })?;
        let notes = call(store.reads.notes(tenant, conversation.id).await, "notes")?;
        ensure(notes.iter().all(|n| &n.tenant == tenant), || format!("{tenant} read a foreign note"))?;
        let mut texts: Vec<String> =
            messages.iter().rev().filter_map(|m| m.content.searchable_text().map(|t| t.into_owned())).collect();
        texts.sort();
        actual.insert(
            key,
            Expected {
                messages: messages.len(),
                unread: conversation.unread_count,
                resolved: conversation.status == ConversationStatus::Resolved,
                tags: conversation.tags.iter().cloned().collect(),
                assigned: conversation.assignee.is_some(),
                notes: notes.len(),
                texts,
            },
        );
    }
    let mut expected = oracle.clone();
    for conversation in expected.values_mut() {
        conversation.texts.sort();
    }
    ensure(actual == expected, || format!("{tenant} sees\n{actual:#?}\nbut its own history says\n{expected:#?}"))?;

    let accounts_seen = call(store.accounts.accounts(tenant).await, "accounts")?;
    ensure(accounts_seen.iter().map(|a| a.id).collect::<Vec<_>>() == vec![account.id], || {
        format!("{tenant} lists accounts {accounts_seen:?}")
    })?;

    for term in ["สั่งซื้อ", "ORDER", "ok"] {
        let found = call(store.reads.search(tenant, &SearchQuery::new(term).limit(500)).await, "search")?;
        let lowered = term.to_lowercase();
        let wanted: usize =
            expected.values().map(|c| c.texts.iter().filter(|t| t.to_lowercase().contains(&lowered)).count()).sum();
        ensure(found.items.iter().all(|m| &m.tenant == tenant && own.contains(&m.conversation)), || {
            format!("{tenant} found a foreign message searching {term:?}")
        })?;
        ensure(found.items.len() == wanted, || {
            format!("{tenant} found {} messages for {term:?}, expected {wanted}", found.items.len())
        })?;
    }

    for (other, theirs) in conversations.iter().enumerate() {
        if other == index {
            continue;
        }
        for (_, id) in theirs {
            match store.reads.conversation(tenant, *id).await {
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Err(error) => return Err(format!("{tenant} reading a foreign conversation: {error}")),
                Ok(_) => return Err(format!("{tenant} read a conversation of {}", accounts[other].tenant)),
            }
            match store.reads.notes(tenant, *id).await {
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                other_result => {
                    return Err(format!("{tenant} reading foreign notes gave {:?}", other_result.map(|n| n.len())));
                }
            }
        }
    }
    Ok(())
}

/// Property: random messages, replies, updates and notes across three tenants that share
/// customer ids, platform message ids and event ids. Each tenant's view equals what its own
/// history implies, and never contains another tenant's conversations, messages, contacts,
/// notes or accounts; another tenant's conversation ids are `NotFound`.
pub async fn tenants_see_only_their_own_data(factory: &dyn StoreFactory) {
    run_property("tenants_see_only_their_own_data", factory, tenant_ops, isolation_case).await;
}
