//! The hub's webhook and send paths, end to end over the in-memory stores and a scripted channel.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use unibox_core::audit::AuditOutcome;
use unibox_core::channel::{
    Capabilities, MessagingWindow, OutsideWindow, SendReceipt, SendRequest, UnroutableAnswer, Verified, WebhookRequest,
    signature,
};
use unibox_core::hub::UNROUTABLE_RECENT_LIMIT;
use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::{MemoryAuditLog, MemoryInbox, MemoryStore, MemoryTokenStore, MemoryUsageMeter};
use unibox_core::metering::{UsageDay, UsageMeter, UsageMetric, UsageQuery};
use unibox_core::{
    Actor, Channel, ChannelAccount, ChannelAccountState, ChannelId, ChannelKind, Content, ContentKind, ContentKinds,
    DeliveryStatus, Error, ErrorKind, EventKind, Hub, IdentityKind, InboundEvent, InboundMessage, ManualClock,
    PlatformUser, Result, Role, TenantId, Timestamp, TokenSet,
};

const SECRET: &str = "test-shared-secret";

/// A channel whose webhooks are JSON lists of events authenticated by a shared-secret header,
/// and whose sends answer from a script.
#[derive(Debug)]
struct ScriptedChannel {
    capabilities: Capabilities,
    answers: Mutex<VecDeque<Result<SendReceipt>>>,
    sent: Mutex<Vec<(String, Content, Option<String>)>>,
}

impl ScriptedChannel {
    fn new(capabilities: Capabilities) -> Arc<Self> {
        Arc::new(ScriptedChannel { capabilities, answers: Mutex::new(VecDeque::new()), sent: Mutex::new(Vec::new()) })
    }
    fn answer(&self, answer: Result<SendReceipt>) {
        self.answers.lock().unwrap().push_back(answer);
    }
    fn sent(&self) -> Vec<(String, Content, Option<String>)> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait]
impl Channel for ScriptedChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::WEBHOOK
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        let given = request.header("x-test-secret").unwrap_or_default();
        Ok(Verified::new(request, signature::secrets_match(given.as_bytes(), SECRET.as_bytes())?))
    }
    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        serde_json::from_slice(request.body())
            .map_err(|e| Error::new(ErrorKind::MalformedPayload, format!("expected a JSON list of events: {e}")))
    }
    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        let token = request.access_token.map(|t| secrecy::ExposeSecret::expose_secret(t).to_string());
        self.sent.lock().unwrap().push((request.recipient.value.clone(), request.content.clone(), token));
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| Ok(SendReceipt::new(format!("pm-{}", request.message_id))))
    }
}

struct World {
    hub: Hub,
    meter: Arc<MemoryUsageMeter>,
    channel: Arc<ScriptedChannel>,
    inbox: Arc<MemoryInbox>,
    audit: Arc<MemoryAuditLog>,
    clock: ManualClock,
    tenant: TenantId,
    account: ChannelAccount,
}

fn start() -> Timestamp {
    Timestamp::from_unix_seconds(1_732_170_000)
}

fn capabilities() -> Capabilities {
    Capabilities {
        send: ContentKinds::of(&[ContentKind::Text, ContentKind::Template]),
        max_text_length: Some(20),
        messaging_window: Some(MessagingWindow {
            free_form: Duration::from_secs(24 * 3600),
            human_agent: None,
            outside: OutsideWindow::TemplatesOnly,
        }),
        ..Capabilities::default()
    }
}

async fn world() -> World {
    let inbox = Arc::new(MemoryInbox::new());
    let audit = Arc::new(MemoryAuditLog::new());
    let clock = ManualClock::new(start());
    let channel = ScriptedChannel::new(capabilities());
    let meter = Arc::new(MemoryUsageMeter::new());
    let hub = Hub::builder(MemoryStore::with_inbox(inbox.clone()))
        .meter(meter.clone())
        .channel(channel_id(), channel.clone())
        .tokens(Arc::new(MemoryTokenStore::new()))
        .audit(audit.clone())
        .clock(Arc::new(clock.clone()))
        .max_body_bytes(4096)
        .build();
    let tenant: TenantId = "acme".parse().unwrap();
    let account = ChannelAccount::new(tenant.clone(), channel_id(), ChannelKind::WEBHOOK, "store-1", start());
    let admin = Actor::user(tenant.clone(), "ann".parse().unwrap(), Role::Admin);
    hub.connect_account(&admin, account.clone(), Some(TokenSet::new("tok-store-1"))).await.unwrap();
    World { hub, meter, channel, inbox, audit, clock, tenant, account }
}

fn channel_id() -> ChannelId {
    "acme-api".parse().unwrap()
}

fn message_event(id: &str, account: &str, customer: &str, text: &str, at: Timestamp) -> InboundEvent {
    InboundEvent {
        id: id.into(),
        account: account.into(),
        occurred_at: at,
        kind: EventKind::Message(InboundMessage::inbound(
            PlatformUser::new(IdentityKind::External, customer).with_name("Somchai"),
            format!("m-{id}"),
            Content::text(text),
        )),
    }
}

fn signed(events: &[InboundEvent]) -> WebhookRequest {
    WebhookRequest::post(
        "https://inbox.example.com/webhooks/acme-api".parse().unwrap(),
        serde_json::to_vec(events).unwrap(),
    )
    .with_header("x-test-secret", SECRET)
}

fn agent(world: &World) -> Actor {
    Actor::user(world.tenant.clone(), "bob".parse().unwrap(), Role::Agent)
}

async fn conversation_count(world: &World) -> usize {
    world.hub.conversations(&agent(world), &ConversationQuery::new()).await.unwrap().items.len()
}

#[tokio::test]
async fn webhook_is_acknowledged_after_its_events_are_stored() {
    let w = world().await;
    let response =
        w.hub.handle_webhook(&channel_id(), signed(&[message_event("e1", "store-1", "c-1", "hello", start())])).await;
    assert_eq!(response.status.as_u16(), 200);
    let page = w.hub.conversations(&agent(&w), &ConversationQuery::new()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].unread_count, 1);
}

#[tokio::test]
async fn redelivered_webhook_is_acknowledged_and_stored_once() {
    let w = world().await;
    let request = signed(&[message_event("e1", "store-1", "c-1", "hello", start())]);
    let (first, _) = w.hub.receive_webhook(&channel_id(), &request).await.unwrap();
    let (second, response) = w.hub.receive_webhook(&channel_id(), &request).await.unwrap();
    assert_eq!((first.stored, first.duplicates), (1, 0));
    assert_eq!((second.stored, second.duplicates), (0, 1));
    assert_eq!(response.status.as_u16(), 200);
    let conversation = &w.hub.conversations(&agent(&w), &ConversationQuery::new()).await.unwrap().items[0];
    let messages = w.hub.messages(&agent(&w), conversation.id, &Default::default()).await.unwrap();
    assert_eq!(messages.items.len(), 1);
}

#[tokio::test]
async fn bad_requests_get_typed_answers_and_store_nothing() {
    let w = world().await;
    let good = [message_event("e1", "store-1", "c-1", "hello", start())];

    let unknown_channel = w.hub.handle_webhook(&"nope".parse().unwrap(), signed(&good)).await;
    assert_eq!(unknown_channel.status.as_u16(), 404);

    let mut forged = signed(&good);
    forged.headers.insert("x-test-secret", "guess".parse().unwrap());
    assert_eq!(w.hub.handle_webhook(&channel_id(), forged).await.status.as_u16(), 401);

    let oversized = WebhookRequest::post("https://inbox.example.com/h".parse().unwrap(), vec![b' '; 4097])
        .with_header("x-test-secret", SECRET);
    let response = w.hub.handle_webhook(&channel_id(), oversized).await;
    assert_eq!(response.status.as_u16(), 413);

    let malformed = WebhookRequest::post("https://inbox.example.com/h".parse().unwrap(), "{not json")
        .with_header("x-test-secret", SECRET);
    let response = w.hub.handle_webhook(&channel_id(), malformed).await;
    assert_eq!(response.status.as_u16(), 400);
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["error"], "malformed_payload");

    // Only events for an account nobody connected: this channel refuses them (the default).
    let stale = [message_event("e2", "store-unknown", "c-2", "hi", start())];
    assert_eq!(w.hub.handle_webhook(&channel_id(), signed(&stale)).await.status.as_u16(), 404);

    assert_eq!(conversation_count(&w).await, 0);
}

#[tokio::test]
async fn one_unroutable_event_does_not_hold_back_the_routable_ones() {
    let w = world().await;
    let mixed = [
        message_event("e1", "store-1", "c-1", "hello", start()),
        message_event("e2", "store-unknown", "c-2", "a secret order note", start()),
    ];
    let (receipt, response) = w.hub.receive_webhook(&channel_id(), &signed(&mixed)).await.unwrap();

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!((receipt.events, receipt.stored, receipt.unroutable), (2, 1, 1));
    assert_eq!(conversation_count(&w).await, 1);
    let report = w.hub.unroutable();
    assert_eq!(report.total, 1);
    let recorded = &report.recent[0];
    assert_eq!((recorded.channel.as_str(), recorded.account.as_str()), ("acme-api", "store-unknown"));
    assert_eq!((recorded.event_kind, recorded.received_at), ("message", start()));
    assert!(!format!("{report:?}").contains("secret order"), "no content is kept: {report:?}");
}

#[tokio::test]
async fn a_wholly_unroutable_delivery_is_answered_as_the_channel_declares() {
    let acknowledging =
        ScriptedChannel::new(Capabilities { unroutable_delivery: UnroutableAnswer::Acknowledge, ..capabilities() });
    let hub = Hub::builder(MemoryStore::new()).channel(channel_id(), acknowledging).build();
    let stale = [message_event("e1", "page-gone", "c-1", "hello", start())];

    let (receipt, response) = hub.receive_webhook(&channel_id(), &signed(&stale)).await.unwrap();
    assert_eq!(response.status.as_u16(), 200);
    assert_eq!((receipt.stored, receipt.unroutable), (0, 1));

    let refusing = ScriptedChannel::new(capabilities());
    let hub = Hub::builder(MemoryStore::new()).channel(channel_id(), refusing).build();
    assert_eq!(hub.handle_webhook(&channel_id(), signed(&stale)).await.status.as_u16(), 404);
    assert_eq!(hub.unroutable().total, 1);
}

#[tokio::test]
async fn the_unroutable_record_keeps_only_the_most_recent_events() {
    let hub = Hub::builder(MemoryStore::new()).channel(channel_id(), ScriptedChannel::new(capabilities())).build();
    let stale: Vec<InboundEvent> = (0..UNROUTABLE_RECENT_LIMIT + 5)
        .map(|i| message_event(&format!("e{i}"), &format!("page-{i}"), "c-1", "hi", start()))
        .collect();
    assert_eq!(hub.handle_webhook(&channel_id(), signed(&stale)).await.status.as_u16(), 404);

    let report = hub.unroutable();
    assert_eq!(report.total, (UNROUTABLE_RECENT_LIMIT + 5) as u64);
    assert_eq!(report.recent.len(), UNROUTABLE_RECENT_LIMIT);
    assert_eq!(report.recent[0].account, "page-5");
    assert_eq!(report.recent.last().unwrap().account, format!("page-{}", UNROUTABLE_RECENT_LIMIT + 4));
}

#[tokio::test]
async fn agent_reply_is_recorded_sent_and_audited() {
    let w = world().await;
    w.hub.handle_webhook(&channel_id(), signed(&[message_event("e1", "store-1", "c-1", "hello", start())])).await;
    let conversation = w.hub.conversations(&agent(&w), &ConversationQuery::new()).await.unwrap().items[0].clone();

    let sent = w.hub.send(&agent(&w), conversation.id, Content::text("Hi! How can we help?")).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    assert_eq!(sent.platform_message_id.as_deref(), Some(format!("pm-{}", sent.id).as_str()));
    let calls = w.channel.sent();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "c-1");
    assert_eq!(calls[0].2.as_deref(), Some("tok-store-1"), "the account's token is passed to the channel");

    let records = w.audit.records(&w.tenant);
    let send = records.iter().find(|r| r.action == "message.send").unwrap();
    assert_eq!(send.outcome, AuditOutcome::Success);
    assert!(!serde_json::to_string(&records).unwrap().contains("How can we help"), "audit never holds bodies");
}

#[tokio::test]
async fn viewer_cannot_send_and_the_denial_is_audited() {
    let w = world().await;
    w.hub.handle_webhook(&channel_id(), signed(&[message_event("e1", "store-1", "c-1", "hello", start())])).await;
    let conversation = w.hub.conversations(&agent(&w), &ConversationQuery::new()).await.unwrap().items[0].clone();
    let viewer = Actor::user(w.tenant.clone(), "vic".parse().unwrap(), Role::Viewer);
    let err = w.hub.send(&viewer, conversation.id, Content::text("hi")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.message().contains("send_message"));
    assert!(w.channel.sent().is_empty());
    let denied = w.audit.records(&w.tenant).into_iter().find(|r| r.action == "message.send").unwrap();
    assert!(matches!(denied.outcome, AuditOutcome::Denied { .. }));
}

#[tokio::test]
async fn another_tenants_conversation_is_not_found() {
    let w = world().await;
    w.hub.handle_webhook(&channel_id(), signed(&[message_event("e1", "store-1", "c-1", "hello", start())])).await;
    let conversation = w.hub.conversations(&agent(&w), &ConversationQuery::new()).await.unwrap().items[0].clone();
    let intruder = Actor::user("globex".parse().unwrap(), "eve".parse().unwrap(), Role::Admin);
    assert_eq!(
        w.hub.send(&intruder, conversation.id, Content::text("hi")).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(w.hub.conversation(&intruder, conversation.id).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert!(w.hub.conversations(&intruder, &ConversationQuery::new()).await.unwrap().items.is_empty());
    assert!(w.channel.sent().is_empty());
}

#[tokio::test]
async fn channel_rules_are_checked_before_anything_is_sent() {
    let w = world().await;
    w.hub.handle_webhook(&channel_id(), signed(&[message_event("e1", "store-1", "c-1", "hello", start())])).await;
    let conversation = w.hub.conversations(&agent(&w), &ConversationQuery::new()).await.unwrap().items[0].clone();
    let a = agent(&w);

    let sticker = Content::Sticker { sticker_id: "52002734".into(), package_id: Some("11537".into()), url: None };
    let err = w.hub.send(&a, conversation.id, sticker).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.message().contains("it can send: text, template"), "{err}");

    let err = w.hub.send(&a, conversation.id, Content::text("x".repeat(21))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    w.clock.advance(Duration::from_secs(24 * 3600 + 1));
    let err = w.hub.send(&a, conversation.id, Content::text("late")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MessagingWindowClosed);
    assert!(err.message().contains("template"), "{err}");
    let template = Content::Template { name: "order_update".into(), language: "th".into(), parameters: vec![] };
    w.hub.send(&a, conversation.id, template).await.unwrap();
    assert_eq!(w.channel.sent().len(), 1, "only the template went out");
}

#[tokio::test]
async fn failed_send_is_recorded_as_failed_and_an_invalid_token_requires_reauthorization() {
    let w = world().await;
    w.hub.handle_webhook(&channel_id(), signed(&[message_event("e1", "store-1", "c-1", "hello", start())])).await;
    let conversation = w.hub.conversations(&agent(&w), &ConversationQuery::new()).await.unwrap().items[0].clone();
    w.channel.answer(Err(Error::new(ErrorKind::TokenInvalid, "the access token has expired")));
    let err = w.hub.send(&agent(&w), conversation.id, Content::text("hi")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokenInvalid);

    let messages = w.hub.messages(&agent(&w), conversation.id, &Default::default()).await.unwrap();
    let outbound = messages.items.iter().find(|m| m.direction == unibox_core::Direction::Outbound).unwrap();
    assert!(
        matches!(&outbound.delivery, DeliveryStatus::Failed { reason, kind: Some(ErrorKind::TokenInvalid), .. } if reason.contains("expired"))
    );

    let account = w.inbox.as_ref();
    let account = unibox_core::inbox::ChannelAccounts::account(account, &w.tenant, w.account.id).await.unwrap();
    assert!(matches!(account.state, ChannelAccountState::ReauthorizationRequired { .. }));
    let err = w.hub.send(&agent(&w), conversation.id, Content::text("again")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokenInvalid);
    assert!(err.message().contains("reconnected"));
}

#[tokio::test]
async fn send_with_unknown_outcome_stays_sending() {
    let w = world().await;
    w.hub.handle_webhook(&channel_id(), signed(&[message_event("e1", "store-1", "c-1", "hello", start())])).await;
    let conversation = w.hub.conversations(&agent(&w), &ConversationQuery::new()).await.unwrap().items[0].clone();
    w.channel.answer(Err(Error::new(ErrorKind::DeliveryUnknown, "timed out after the request was sent")));
    let err = w.hub.send(&agent(&w), conversation.id, Content::text("hi")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DeliveryUnknown);
    let messages = w.hub.messages(&agent(&w), conversation.id, &Default::default()).await.unwrap();
    let outbound = messages.items.iter().find(|m| m.direction == unibox_core::Direction::Outbound).unwrap();
    assert_eq!(outbound.delivery, DeliveryStatus::Sending);
}

#[tokio::test]
async fn disconnected_account_refuses_webhooks() {
    let w = world().await;
    let admin = Actor::user(w.tenant.clone(), "ann".parse().unwrap(), Role::Admin);
    w.hub.disconnect_account(&admin, w.account.id).await.unwrap();
    let response =
        w.hub.handle_webhook(&channel_id(), signed(&[message_event("e1", "store-1", "c-1", "hello", start())])).await;
    assert_eq!(response.status.as_u16(), 404);
    assert_eq!(
        unibox_core::TokenStore::status(w.hub.tokens().as_ref(), &w.tenant, w.account.id).await.unwrap(),
        unibox_core::TokenStatus::Revoked { at: start() }
    );
}

/// What the meter counted for the tenant, by metric.
async fn usage(w: &World) -> Vec<(UsageMetric, u64)> {
    let counters = w.meter.usage(&w.tenant, &UsageQuery::days(UsageDay(20_000), UsageDay(20_100))).await.unwrap();
    counters.into_iter().map(|counter| (counter.metric, counter.quantity)).collect()
}

#[tokio::test]
async fn new_customer_messages_and_accepted_sends_are_metered_once() {
    let w = world().await;
    let first = message_event("e1", "store-1", "c-1", "hello", start());
    let delivery = signed(&[first]);
    w.hub.handle_webhook(&channel_id(), delivery.clone()).await;
    // A redelivery is not counted again.
    w.hub.handle_webhook(&channel_id(), delivery).await;
    let conversation = w.hub.conversations(&agent(&w), &ConversationQuery::new()).await.unwrap().items[0].clone();
    w.hub.send(&agent(&w), conversation.id, Content::text("Hi there")).await.unwrap();
    // A refused send is not counted.
    w.channel.answer(Err(Error::new(ErrorKind::PlatformRejected, "the platform refused it")));
    let _ = w.hub.send(&agent(&w), conversation.id, Content::text("Again")).await;

    // Received messages are counted in a task of their own: wait for it.
    let expected = vec![(UsageMetric::MessagesIn, 1), (UsageMetric::MessagesOut, 1)];
    for _ in 0..200 {
        if usage(&w).await == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut counted = usage(&w).await;
    counted.sort_by_key(|(metric, _)| metric.to_string());
    assert_eq!(counted, expected);
}

#[tokio::test]
async fn event_times_far_from_receipt_are_clamped_and_never_hold_a_window_open() {
    let w = world().await;
    let a = agent(&w);
    let far_future = Timestamp::from_unix_millis(i64::MAX);
    let events = [
        message_event("future", "store-1", "c-future", "from the far future", far_future),
        message_event("past", "store-1", "c-past", "from before 1970", Timestamp::from_unix_millis(-1)),
        message_event("oldest", "store-1", "c-oldest", "from the start of time", Timestamp::from_unix_millis(i64::MIN)),
    ];
    assert_eq!(w.hub.handle_webhook(&channel_id(), signed(&events)).await.status.as_u16(), 200);
    let conversations = w.hub.conversations(&a, &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 3);
    let oldest_allowed = start().saturating_sub(unibox_core::hub::DEFAULT_MAX_BEHIND_RECEIPT);
    for conversation in &conversations {
        assert!(
            conversation.last_activity_at >= oldest_allowed && conversation.last_activity_at <= start(),
            "stored at {} (received at {})",
            conversation.last_activity_at,
            start()
        );
    }
    // The far-future message counts from its receipt: its window closes a day later.
    let future = conversations.iter().find(|c| c.last_activity_at == start()).expect("dated at receipt");
    w.clock.advance(Duration::from_secs(24 * 3600 + 1));
    let err = w.hub.send(&a, future.id, Content::text("late")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MessagingWindowClosed);
    // The pre-1970 ones never opened one.
    for old in conversations.iter().filter(|c| c.id != future.id) {
        let err = w.hub.send(&a, old.id, Content::text("hi")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessagingWindowClosed);
    }
}

#[tokio::test]
async fn ensuring_an_account_on_every_start_keeps_one_account_and_replaces_its_tokens() {
    let w = world().await;
    let admin = Actor::user(w.tenant.clone(), "ann".parse().unwrap(), Role::Admin);
    let again = ChannelAccount::new(w.tenant.clone(), channel_id(), ChannelKind::WEBHOOK, "store-1", start())
        .with_display_name("Store 1 (Bangkok)");
    let err = w.hub.connect_account(&admin, again.clone(), None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "connect is for new accounts only");

    let ensured = w.hub.ensure_account(&admin, again.clone(), Some(TokenSet::new("tok-store-1"))).await.unwrap();
    assert_eq!((ensured.id, ensured.display_name.as_str()), (w.account.id, "Store 1 (Bangkok)"));
    let ensured = w.hub.ensure_account(&admin, again.clone(), Some(TokenSet::new("tok-rotated"))).await.unwrap();
    assert_eq!(ensured.id, w.account.id);
    assert_eq!(w.hub.store().accounts.accounts(&w.tenant).await.unwrap().len(), 1);
    let tokens = w.hub.tokens().get(&w.tenant, w.account.id).await.unwrap().unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&tokens.access_token), "tok-rotated");
    let connects: Vec<AuditOutcome> =
        w.audit.records(&w.tenant).into_iter().filter(|r| r.action == "channel.connect").map(|r| r.outcome).collect();
    let conflict = AuditOutcome::Failed { error: "conflict".into() };
    assert_eq!(
        connects,
        [AuditOutcome::Success, conflict, AuditOutcome::Success, AuditOutcome::Success],
        "the first connect, the refused second connect and both ensures are audited"
    );
    let target = format!("channel_account:{}", w.account.id);
    let successes = w.audit.records(&w.tenant).into_iter().filter(|r| r.outcome == AuditOutcome::Success);
    assert!(successes.filter(|r| r.action == "channel.connect").all(|r| r.target == target), "one target name");

    let other_tenant = Actor::user("globex".parse().unwrap(), "gil".parse().unwrap(), Role::Admin);
    let stolen = ChannelAccount::new("globex".parse().unwrap(), channel_id(), ChannelKind::WEBHOOK, "store-1", start());
    let err = w.hub.ensure_account(&other_tenant, stolen, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(!err.to_string().contains("tenant acme"), "another tenant's name is not revealed: {err}");

    let agent = Actor::user(w.tenant.clone(), "bob".parse().unwrap(), Role::Agent);
    let err = w.hub.ensure_account(&agent, again, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}
