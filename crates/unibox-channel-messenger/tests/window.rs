//! The messaging window as policy, through the hub on a manual clock: a send outside the
//! window is refused before any Graph call and says what is allowed instead.

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::{MemoryStore, MemoryTokenStore};
use unibox_core::{
    Actor, ChannelAccount, ChannelId, ChannelKind, Content, ConversationId, ErrorKind, Hub, ManualClock, Role,
    TenantId, Timestamp, TokenSet,
};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{PAGE_ID, PAGE_TOKEN, PSID};

/// When the customer wrote (the event's timestamp, in milliseconds).
const WROTE_AT_MS: i64 = 1_732_000_000_123;

struct World {
    hub: Hub,
    graph: FakeServer,
    clock: ManualClock,
    tenant: TenantId,
}

fn channel_id() -> ChannelId {
    "acme-messenger".parse().unwrap()
}

async fn world() -> World {
    let graph = FakeServer::start().await.unwrap();
    graph.set_default(ScriptedResponse::json(200, &json!({"recipient_id": PSID, "message_id": "m_out_1"})));
    let clock = ManualClock::new(Timestamp::from_unix_millis(WROTE_AT_MS));
    let hub = Hub::builder(MemoryStore::new())
        .channel(channel_id(), Arc::new(common::tagging_channel(graph.url())))
        .tokens(Arc::new(MemoryTokenStore::new()))
        .clock(Arc::new(clock.clone()))
        .build();
    let tenant: TenantId = "acme".parse().unwrap();
    let account = ChannelAccount::new(
        tenant.clone(),
        channel_id(),
        ChannelKind::MESSENGER,
        PAGE_ID,
        Timestamp::from_unix_millis(WROTE_AT_MS),
    );
    let admin = Actor::user(tenant.clone(), "ann".parse().unwrap(), Role::Admin);
    hub.connect_account(&admin, account, Some(TokenSet::new(PAGE_TOKEN))).await.unwrap();
    let body = common::envelope(json!({
        "sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp": WROTE_AT_MS,
        "message": {"mid": "m_in_1", "text": "Where is my order TH-20931?"}
    }));
    let response = hub.handle_webhook(&channel_id(), common::signed(&body)).await;
    assert_eq!(response.status.as_u16(), 200);
    World { hub, graph, clock, tenant }
}

impl World {
    fn bot(&self) -> Actor {
        Actor::automation(self.tenant.clone(), "auto-reply")
    }

    fn agent(&self) -> Actor {
        Actor::user(self.tenant.clone(), "bob".parse().unwrap(), Role::Agent)
    }

    async fn conversation(&self) -> ConversationId {
        self.hub.conversations(&self.agent(), &ConversationQuery::new()).await.unwrap().items[0].id
    }

    fn at_hours(&self, hours: u64) {
        self.clock.set(Timestamp::from_unix_millis(WROTE_AT_MS).saturating_add(Duration::from_secs(hours * 3600)));
    }
}

#[tokio::test]
async fn inside_24_hours_anyone_may_reply() {
    let w = world().await;
    let conversation = w.conversation().await;
    w.at_hours(23);
    w.hub.send(&w.bot(), conversation, Content::text("It left the warehouse")).await.unwrap();
    let body = w.graph.last_request().unwrap().json().unwrap();
    assert_eq!(body["messaging_type"], "RESPONSE");
}

#[tokio::test]
async fn a_human_agent_replying_inside_24_hours_sends_a_plain_response_without_a_tag() {
    // Apps without Meta's Human Agent permission have every tagged send refused: even with
    // the tag enabled, it is for the 7-day extension only.
    let w = world().await;
    let conversation = w.conversation().await;
    w.clock.set(Timestamp::from_unix_millis(WROTE_AT_MS + 60_000));
    w.hub.send(&w.agent(), conversation, Content::text("Let me check that for you")).await.unwrap();
    let body = w.graph.last_request().unwrap().json().unwrap();
    assert_eq!(body["messaging_type"], "RESPONSE");
    assert!(body.get("tag").is_none(), "{body}");
}

#[tokio::test]
async fn after_24_hours_automation_is_refused_before_any_call_and_told_why() {
    let w = world().await;
    let conversation = w.conversation().await;
    w.at_hours(25);
    let error = w.hub.send(&w.bot(), conversation, Content::text("Still there?")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MessagingWindowClosed);
    assert!(error.message().contains("24-hour"), "{error}");
    assert!(error.message().contains("wait until the customer writes again"), "{error}");
    assert_eq!(w.graph.request_count(), 0, "no Graph call is made outside the window");
}

#[tokio::test]
async fn a_human_agent_may_reply_for_7_days_with_the_human_agent_tag() {
    let w = world().await;
    let conversation = w.conversation().await;
    w.at_hours(6 * 24);
    w.hub.send(&w.agent(), conversation, Content::text("Sorry for the wait, it ships today")).await.unwrap();
    let body = w.graph.last_request().unwrap().json().unwrap();
    assert_eq!((body["messaging_type"].as_str(), body["tag"].as_str()), (Some("MESSAGE_TAG"), Some("HUMAN_AGENT")));

    w.at_hours(7 * 24 + 1);
    let error = w.hub.send(&w.agent(), conversation, Content::text("Hello?")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MessagingWindowClosed);
    assert!(error.message().contains("168-hour"), "{error}");
    assert_eq!(w.graph.request_count(), 1);
}

#[tokio::test]
async fn an_expired_token_marks_the_account_for_reauthorization() {
    let w = world().await;
    let conversation = w.conversation().await;
    w.graph.enqueue(ScriptedResponse::json(
        400,
        &json!({"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException", "code": 190, "error_subcode": 463}}),
    ));
    let error = w.hub.send(&w.bot(), conversation, Content::text("Update")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
    let again = w.hub.send(&w.bot(), conversation, Content::text("Update")).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::TokenInvalid);
    assert!(again.message().contains("reconnected"), "{again}");
    assert_eq!(w.graph.request_count(), 1, "a broken channel is not called again until reconnected");
}

#[tokio::test]
async fn a_refused_send_is_recorded_failed_with_the_graph_code_and_its_kind() {
    let w = world().await;
    let conversation = w.conversation().await;
    w.graph.enqueue(ScriptedResponse::json(
        400,
        &json!({"error": {"message": "(#551) This person isn't available right now.", "type": "OAuthException", "code": 551, "fbtrace_id": "AbC123xYz"}}),
    ));
    let error = w.hub.send(&w.bot(), conversation, Content::text("Your parcel is here")).await.unwrap_err();
    assert_eq!((error.kind(), error.platform_code()), (ErrorKind::RecipientUnavailable, Some("551")));

    let messages = w.hub.messages(&w.agent(), conversation, &unibox_core::inbox::MessageQuery::new()).await.unwrap();
    let sent = messages.items.iter().find(|m| m.direction == unibox_core::Direction::Outbound).unwrap();
    let unibox_core::DeliveryStatus::Failed { code, kind, .. } = &sent.delivery else { panic!("{:?}", sent.delivery) };
    assert_eq!((code.as_deref(), *kind), (Some("551"), Some(ErrorKind::RecipientUnavailable)));
}
