//! The 24-hour customer-service window, enforced by the hub from the channel's capabilities
//! and a manual clock, before any call reaches the (fake) Graph API.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::{MemoryInbox, MemoryStore, MemoryTokenStore};
use unibox_core::{
    Actor, ChannelId, Content, DeliveryStatus, ErrorKind, Hub, ManualClock, Role, TenantId, Timestamp, TokenSet,
};
use unibox_testkit::http::FakeServer;

use common::{ACCESS_TOKEN, APP_SECRET};

fn channel_id() -> ChannelId {
    "acme-whatsapp".parse().unwrap()
}

fn tenant() -> TenantId {
    "acme".parse().unwrap()
}

/// A customer's text sent at `at`.
fn customer_text(id: &str, at: i64, text: &str) -> Vec<u8> {
    serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages",
        "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": common::PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": common::CUSTOMER}],
            "messages": [{"from": common::CUSTOMER, "id": id, "timestamp": at.to_string(), "type": "text",
                "text": {"body": text}}]}}]}]})
    .to_string()
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_form_closes_after_24_hours_templates_still_go_and_a_new_message_reopens_it() {
    let graph = FakeServer::start().await.unwrap();
    let counter = AtomicUsize::new(0);
    graph.respond_with(move |request| common::graph_messages_endpoint(&counter, request));

    let wrote_at = 1_749_416_383;
    let clock = ManualClock::new(Timestamp::from_unix_seconds(wrote_at + 3600));
    let inbox = Arc::new(MemoryInbox::new());
    let hub = Hub::builder(MemoryStore::with_inbox(inbox))
        .channel(channel_id(), Arc::new(common::channel_for(&graph)))
        .tokens(Arc::new(MemoryTokenStore::new()))
        .clock(Arc::new(clock.clone()))
        .build();
    let admin = Actor::user(tenant(), "ann".parse().unwrap(), Role::Admin);
    let agent = Actor::user(tenant(), "bob".parse().unwrap(), Role::Agent);
    hub.connect_account(&admin, common::account(), Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap();

    let first = customer_text("wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQVdJTjAx", wrote_at, "Is my desk shipped?");
    let response = hub.handle_webhook(&channel_id(), common::signed(APP_SECRET, &first)).await;
    assert_eq!(response.status.as_u16(), 200);
    let conversation = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items[0].id;

    // One hour later: inside the window, a text goes out.
    let sent = hub.send(&agent, conversation, Content::text("Yes, it left this morning.")).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    assert_eq!(graph.request_count(), 1);

    // 25 hours after the customer wrote: free-form is refused before any API call.
    clock.advance(Duration::from_secs(24 * 3600));
    let refused = hub.send(&agent, conversation, Content::text("Anything else?")).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::MessagingWindowClosed);
    assert!(refused.message().contains("template"), "the refusal says what to send instead: {refused}");
    assert_eq!(graph.request_count(), 1, "nothing reached WhatsApp");

    // An approved template is still allowed.
    let template = Content::Template {
        name: "order_shipped".into(),
        language: "en_US".into(),
        parameters: vec!["Sheena".into(), "TH-20931".into()],
    };
    let sent = hub.send(&agent, conversation, template).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    let body = graph.last_request().unwrap().json().unwrap();
    assert_eq!(body["type"], "template");
    assert_eq!(body["template"]["components"][0]["parameters"][1]["text"], "TH-20931");

    // The customer answers: the window opens again.
    let now = clock_now(&clock);
    let again = customer_text("wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQVdJTjAy", now, "Thanks! One more question");
    assert_eq!(hub.handle_webhook(&channel_id(), common::signed(APP_SECRET, &again)).await.status.as_u16(), 200);
    let sent = hub.send(&agent, conversation, Content::text("Sure, go ahead.")).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    assert_eq!(graph.request_count(), 3);
}

fn clock_now(clock: &ManualClock) -> i64 {
    unibox_core::Clock::now(clock).as_unix_seconds()
}

#[test]
fn the_capabilities_declare_the_window_and_the_throughput_limits() {
    use unibox_core::Channel;
    use unibox_core::channel::{OutsideWindow, Rate};
    let channel = common::channel();
    let capabilities = channel.capabilities();
    let window = capabilities.messaging_window.as_ref().expect("a messaging window");
    assert_eq!(window.free_form, Duration::from_secs(24 * 3600));
    assert_eq!(window.human_agent, None, "WhatsApp has no human-agent tag");
    assert_eq!(window.outside, OutsideWindow::TemplatesOnly);
    assert_eq!(capabilities.rate_limits.per_account, Some(Rate::per_second(80)));
    assert_eq!(capabilities.rate_limits.per_recipient.map(|r| r.interval()), Some(Duration::from_secs(6)));
    assert_eq!(capabilities.max_text_length, Some(4096));
    assert!(!capabilities.idempotent_send);
}
