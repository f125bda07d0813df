//! Message credits on the hub, over the in-memory store and a scripted channel: an exhausted
//! balance refuses a send before anything is recorded, a send spends its price and settles what
//! the adapter reported, a send that fails for good is refunded, concurrent sends never
//! overdraw, a low balance is logged on the change log, and tenants are kept apart.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use unibox_core::audit::{AuditOutcome, AuditQuery, actions, targets};
use unibox_core::changes::{ChangeKind, Position};
use unibox_core::channel::{Capabilities, SendReceipt, SendRequest, Verified, WebhookRequest};
use unibox_core::inbox::{IngestOutcome, MessageQuery, RoutedEvent};
use unibox_core::memory::{MemoryInbox, MemoryStore};
use unibox_core::metering::{CreditEntryKind, CreditPolicy, CreditTable, UsageMetric};
use unibox_core::outbox::JobState;
use unibox_core::{
    Actor, Channel, ChannelAccount, ChannelKind, Content, ContentKinds, ConversationId, Error, ErrorKind, EventKind,
    Hub, IdentityKind, InboundEvent, InboundMessage, Inbox, ManualClock, MessageId, PlatformUser, Result, Role,
    TenantId, Timestamp,
};

/// An SMS-like channel: every send reports three segments unless scripted otherwise.
#[derive(Debug)]
struct Scripted {
    capabilities: Capabilities,
    answers: Mutex<VecDeque<Result<SendReceipt>>>,
    sent: Mutex<Vec<MessageId>>,
}

#[async_trait]
impl Channel for Scripted {
    fn kind(&self) -> ChannelKind {
        ChannelKind::TWILIO
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    fn verify<'r>(&self, _request: &'r WebhookRequest) -> Result<Verified<'r>> {
        Err(Error::new(ErrorKind::SignatureInvalid, "no webhooks in this test"))
    }
    fn parse(&self, _request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        Ok(Vec::new())
    }
    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        self.sent.lock().unwrap().push(request.message_id);
        let scripted = self.answers.lock().unwrap().pop_front();
        scripted.unwrap_or_else(|| {
            Ok(SendReceipt::new(format!("SM{}", request.message_id)).with_usage(UsageMetric::SmsSegments, 3))
        })
    }
}

struct World {
    hub: Hub,
    inbox: Arc<MemoryInbox>,
    channel: Arc<Scripted>,
    conversations: Vec<(TenantId, ConversationId)>,
}

fn start() -> Timestamp {
    Timestamp::from_unix_seconds(1_732_177_200)
}

/// One message out costs 1 credit, one SMS segment 1 more; low balance below `low`.
fn policy(low: i64) -> CreditPolicy {
    CreditPolicy::new(CreditTable::default().price(UsageMetric::MessagesOut, 1).price(UsageMetric::SmsSegments, 1))
        .low_balance(low)
}

async fn world(policy: CreditPolicy, tenants: &[&str]) -> World {
    let inbox = Arc::new(MemoryInbox::new());
    let channel = Arc::new(Scripted {
        capabilities: Capabilities { send: ContentKinds::all(), ..Default::default() },
        answers: Mutex::new(VecDeque::new()),
        sent: Mutex::new(Vec::new()),
    });
    let hub = Hub::builder(MemoryStore::with_inbox(inbox.clone()))
        .channel("sms".parse().unwrap(), channel.clone())
        .clock(Arc::new(ManualClock::new(start())))
        .credits(policy)
        .build();
    let mut conversations = Vec::new();
    for (n, tenant) in tenants.iter().enumerate() {
        let tenant: TenantId = tenant.parse().unwrap();
        let number = format!("+6681234567{n}");
        let account =
            ChannelAccount::new(tenant.clone(), "sms".parse().unwrap(), ChannelKind::TWILIO, &number, start());
        inbox.save_account(&account).await.unwrap();
        let customer = PlatformUser::new(IdentityKind::PhoneNumber, format!("+6689876543{n}"));
        let event = RoutedEvent {
            tenant: tenant.clone(),
            account: account.id,
            received_at: start(),
            event: InboundEvent {
                id: format!("SM-in-{n}"),
                account: number,
                occurred_at: start(),
                kind: EventKind::Message(InboundMessage::inbound(
                    customer,
                    format!("SM-in-{n}"),
                    Content::text("สวัสดี"),
                )),
            },
        };
        match &inbox.ingest(vec![event]).await.unwrap()[0] {
            IngestOutcome::Stored { conversation: Some(id), .. } => conversations.push((tenant, *id)),
            other => panic!("expected a conversation, got {other:?}"),
        }
    }
    World { hub, inbox, channel, conversations }
}

fn admin(tenant: &TenantId) -> Actor {
    Actor::user(tenant.clone(), "ops".parse().unwrap(), Role::Admin)
}

fn agent(tenant: &TenantId) -> Actor {
    Actor::user(tenant.clone(), "bob".parse().unwrap(), Role::Agent)
}

async fn message_count(w: &World, tenant: &TenantId, conversation: ConversationId) -> usize {
    w.inbox.messages(tenant, conversation, &MessageQuery::new().limit(100)).await.unwrap().items.len()
}

#[tokio::test]
async fn an_exhausted_balance_refuses_the_send_and_records_nothing() {
    let w = world(policy(0), &["acme"]).await;
    let (acme, conversation) = w.conversations[0].clone();
    let position = w.inbox.changes().unwrap().head(&acme).await.unwrap();

    let refused = w.hub.send(&agent(&acme), conversation, Content::text("Your order shipped")).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::CreditsExhausted);
    assert_eq!(refused.kind().http_status(), 402);

    assert!(w.channel.sent.lock().unwrap().is_empty(), "nothing reached the platform");
    assert_eq!(message_count(&w, &acme, conversation).await, 1, "only the customer's message is stored");
    let outbox = w.inbox.outbox().unwrap();
    for state in [JobState::Queued, JobState::Failed, JobState::Sent] {
        assert!(outbox.jobs(&acme, state, 10).await.unwrap().is_empty(), "no {state:?} job");
    }
    assert!(w.hub.credit_entries(&admin(&acme), 0, 10).await.unwrap().is_empty(), "no ledger entry");
    assert_eq!(w.inbox.changes().unwrap().head(&acme).await.unwrap(), position, "no change logged");
    let trail = w.hub.audit_trail().unwrap();
    let sends = trail.query(&acme, &AuditQuery::new().action(actions::MESSAGE_SEND)).await.unwrap();
    assert!(sends.items.is_empty(), "no audit record of a send that never started");
}

#[tokio::test]
async fn a_send_spends_its_price_and_settles_the_segments_the_adapter_reported() {
    let w = world(policy(0), &["acme"]).await;
    let (acme, conversation) = w.conversations[0].clone();
    let bought = w.hub.record_credits(&admin(&acme), CreditEntryKind::Purchase, 10, Some("invoice-1".into())).await;
    assert_eq!(bought.unwrap().balance, 10);

    let sent = w.hub.send(&agent(&acme), conversation, Content::text("ส่งของแล้วค่ะ")).await.unwrap();
    // One message out reserved before the send; three segments reported after it.
    let entries = w.hub.credit_entries(&admin(&acme), 0, 10).await.unwrap();
    let moves: Vec<(CreditEntryKind, i64, i64)> = entries.iter().map(|e| (e.kind, e.amount, e.balance)).collect();
    assert_eq!(
        moves,
        vec![(CreditEntryKind::Purchase, 10, 10), (CreditEntryKind::Debit, -1, 9), (CreditEntryKind::Debit, -3, 6)]
    );
    let reference = sent.id.to_string();
    assert!(entries[1..].iter().all(|e| e.reference.as_deref() == Some(reference.as_str())), "debits name the message");
    assert_eq!(w.hub.credit_balance(&admin(&acme)).await.unwrap(), 6);
}

#[tokio::test]
async fn a_send_that_fails_for_good_is_refunded() {
    let w = world(policy(0), &["acme"]).await;
    let (acme, conversation) = w.conversations[0].clone();
    w.hub.record_credits(&admin(&acme), CreditEntryKind::Purchase, 5, None).await.unwrap();
    w.channel.answer(Err(Error::new(ErrorKind::RecipientUnavailable, "21610: the recipient unsubscribed")));

    let failed = w.hub.send(&agent(&acme), conversation, Content::text("hello")).await.unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::RecipientUnavailable);
    let kinds: Vec<CreditEntryKind> =
        w.hub.credit_entries(&admin(&acme), 0, 10).await.unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![CreditEntryKind::Purchase, CreditEntryKind::Debit, CreditEntryKind::Refund]);
    assert_eq!(w.hub.credit_balance(&admin(&acme)).await.unwrap(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_never_overdraw_past_the_policy() {
    // One credit per send here (no segments reported), five credits, twenty agents at once.
    let w = world(CreditPolicy::new(CreditTable::default().price(UsageMetric::MessagesOut, 1)), &["acme"]).await;
    let (acme, conversation) = w.conversations[0].clone();
    w.hub.record_credits(&admin(&acme), CreditEntryKind::Purchase, 5, None).await.unwrap();
    for _ in 0..20 {
        w.channel.answer(Ok(SendReceipt::new(format!("SM{}", MessageId::new()))));
    }
    let sends: Vec<_> = (0..20)
        .map(|n| {
            let (hub, actor) = (w.hub.clone(), agent(&acme));
            tokio::spawn(async move { hub.send(&actor, conversation, Content::text(format!("update {n}"))).await })
        })
        .collect();
    let mut sent = 0;
    for send in sends {
        match send.await.unwrap() {
            Ok(_) => sent += 1,
            Err(error) => assert_eq!(error.kind(), ErrorKind::CreditsExhausted, "{error}"),
        }
    }
    assert_eq!(sent, 5);
    assert_eq!(w.channel.sent.lock().unwrap().len(), 5);
    assert_eq!(message_count(&w, &acme, conversation).await, 6, "the customer's message and five sends");
    assert_eq!(w.hub.credit_balance(&admin(&acme)).await.unwrap(), 0);
    let entries = w.hub.credit_entries(&admin(&acme), 0, 100).await.unwrap();
    assert!(entries.iter().all(|e| e.balance >= 0), "never below the floor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdraft_policy_allows_exactly_its_overdraft_under_concurrency() {
    let table = CreditTable::default().price(UsageMetric::MessagesOut, 1);
    let w = world(CreditPolicy::new(table).overdraft(3), &["acme"]).await;
    let (acme, conversation) = w.conversations[0].clone();
    w.hub.record_credits(&admin(&acme), CreditEntryKind::Purchase, 2, None).await.unwrap();
    for _ in 0..10 {
        w.channel.answer(Ok(SendReceipt::new(format!("SM{}", MessageId::new()))));
    }
    let sends: Vec<_> = (0..10)
        .map(|n| {
            let (hub, actor) = (w.hub.clone(), agent(&acme));
            tokio::spawn(async move { hub.send(&actor, conversation, Content::text(format!("n{n}"))).await })
        })
        .collect();
    let mut sent = 0;
    for send in sends {
        sent += usize::from(send.await.unwrap().is_ok());
    }
    assert_eq!(sent, 5, "two bought and three of overdraft");
    assert_eq!(w.hub.credit_balance(&admin(&acme)).await.unwrap(), -3);
}

#[tokio::test]
async fn falling_below_the_low_balance_mark_logs_one_change() {
    let w = world(policy(5), &["acme"]).await;
    let (acme, conversation) = w.conversations[0].clone();
    w.hub.record_credits(&admin(&acme), CreditEntryKind::Purchase, 9, None).await.unwrap();
    let changes = w.inbox.changes().unwrap();
    let before = changes.head(&acme).await.unwrap();

    // 9 → 8 → 5: still at the mark, no change.
    w.hub.send(&agent(&acme), conversation, Content::text("one")).await.unwrap();
    let low: Vec<_> = changes.read(&acme, before, 100).await.unwrap();
    assert!(low.iter().all(|e| e.change.kind != ChangeKind::CreditsLow), "5 is not below 5");
    // 5 → 4: below the mark once; → 1 stays below, no second change.
    w.hub.send(&agent(&acme), conversation, Content::text("two")).await.unwrap();
    let low: Vec<_> = changes
        .read(&acme, before, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.change.kind == ChangeKind::CreditsLow)
        .collect();
    assert_eq!(low.len(), 1);
    assert_eq!(low[0].change.detail.as_deref(), Some("4"));
    assert!(low[0].position > Position::START);
    // A purchase lifts it over the mark; the next fall logs again.
    w.hub.record_credits(&admin(&acme), CreditEntryKind::Purchase, 10, None).await.unwrap();
    w.hub.send(&agent(&acme), conversation, Content::text("three")).await.unwrap();
    w.hub.send(&agent(&acme), conversation, Content::text("four")).await.unwrap();
    let low = changes.read(&acme, before, 100).await.unwrap();
    assert_eq!(low.iter().filter(|e| e.change.kind == ChangeKind::CreditsLow).count(), 2);
}

#[tokio::test]
async fn tenants_spend_only_their_own_credits() {
    let w = world(policy(0), &["acme", "globex"]).await;
    let (acme, acme_conversation) = w.conversations[0].clone();
    let (globex, globex_conversation) = w.conversations[1].clone();
    w.hub.record_credits(&admin(&acme), CreditEntryKind::Purchase, 100, None).await.unwrap();

    let refused = w.hub.send(&agent(&globex), globex_conversation, Content::text("hi")).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::CreditsExhausted);
    w.hub.send(&agent(&acme), acme_conversation, Content::text("hi")).await.unwrap();
    assert_eq!(w.hub.credit_balance(&admin(&acme)).await.unwrap(), 96);
    assert_eq!(w.hub.credit_balance(&admin(&globex)).await.unwrap(), 0);
    assert!(w.hub.credit_entries(&admin(&globex), 0, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn purchases_and_adjustments_are_authorized_and_audited() {
    let w = world(policy(0), &["acme"]).await;
    let (acme, _) = w.conversations[0].clone();
    let denied = w.hub.record_credits(&agent(&acme), CreditEntryKind::Purchase, 100, None).await.unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
    w.hub.record_credits(&admin(&acme), CreditEntryKind::Purchase, 100, Some("invoice-9".into())).await.unwrap();
    w.hub.record_credits(&admin(&acme), CreditEntryKind::Adjustment, -30, Some("chargeback".into())).await.unwrap();
    let debit = w.hub.record_credits(&admin(&acme), CreditEntryKind::Debit, -1, None).await.unwrap_err();
    assert_eq!(debit.kind(), ErrorKind::InvalidInput, "debits come from sends only");
    assert_eq!(w.hub.credit_balance(&admin(&acme)).await.unwrap(), 70);

    let trail = w.hub.audit_trail().unwrap();
    let target = targets::credits(&acme);
    let purchases = trail.query(&acme, &AuditQuery::new().action(actions::CREDITS_PURCHASE)).await.unwrap().items;
    let outcomes: Vec<&AuditOutcome> = purchases.iter().map(|r| &r.record.outcome).collect();
    assert_eq!(purchases.len(), 2, "{outcomes:?}");
    assert!(purchases.iter().all(|r| r.record.target == target));
    assert!(outcomes.iter().any(|o| matches!(o, AuditOutcome::Denied { .. })));
    assert!(outcomes.iter().any(|o| matches!(o, AuditOutcome::Success)));
    let adjustments = trail.query(&acme, &AuditQuery::new().action(actions::CREDITS_ADJUST)).await.unwrap().items;
    assert_eq!(adjustments.len(), 1);
}

#[tokio::test]
async fn a_hub_without_credits_sends_freely_and_says_it_keeps_none() {
    let inbox = Arc::new(MemoryInbox::new());
    let hub = Hub::builder(MemoryStore::with_inbox(inbox)).build();
    let acme: TenantId = "acme".parse().unwrap();
    let error = hub.credit_balance(&admin(&acme)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
}

impl Scripted {
    fn answer(&self, answer: Result<SendReceipt>) {
        self.answers.lock().unwrap().push_back(answer);
    }
}
