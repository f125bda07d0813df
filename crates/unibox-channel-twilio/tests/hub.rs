//! The Twilio channel behind the hub: a redelivered message (same MessageSid) is stored once,
//! the acknowledgement is TwiML, a forgery is refused, an agent's answer is metered in the SMS
//! segments Twilio reports, and its status callbacks move the message's delivery status.

mod common;

use std::sync::Arc;

use unibox_core::inbox::{ConversationQuery, MessageQuery};
use unibox_core::memory::{MemoryStore, MemoryTokenStore, MemoryUsageMeter};
use unibox_core::metering::{UsageDay, UsageMeter, UsageMetric, UsageQuery};
use unibox_core::{Actor, ChannelId, Content, DeliveryStatus, Hub, Role, TenantId, Timestamp};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{FakeTwilio, NUMBER};

fn channel_id() -> ChannelId {
    "acme-twilio".parse().unwrap()
}

#[tokio::test]
async fn redelivery_acknowledgement_forgery_metering_and_status_callbacks_through_the_hub() {
    let api = FakeServer::start().await.unwrap();
    let twilio = FakeTwilio::default();
    api.respond_with(move |request| twilio.answer(request));
    let clock = common::clock();
    let meter = Arc::new(MemoryUsageMeter::new());
    let hub = Hub::builder(MemoryStore::new())
        .channel(channel_id(), Arc::new(common::sending_channel(&api)))
        .tokens(Arc::new(MemoryTokenStore::new()))
        .meter(meter.clone())
        .clock(clock.clone())
        .build();
    let acme: TenantId = "acme".parse().unwrap();
    let admin = Actor::user(acme.clone(), "admin".parse().unwrap(), Role::Admin);
    let credentials =
        unibox_channel_twilio::TwilioCredentials::api_key(common::API_KEY_SID, common::API_KEY_SECRET).unwrap();
    hub.connect_account(&admin, common::account(NUMBER), Some(credentials.to_token_set())).await.unwrap();

    // Twilio retries a webhook it got no answer to: the same MessageSid is stored once.
    let request = common::signed(&common::fixture("sms"));
    let (first, response) = hub.receive_webhook(&channel_id(), &request).await.unwrap();
    assert_eq!((first.events, first.stored), (1, 1));
    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("text/xml; charset=utf-8"));
    assert!(String::from_utf8_lossy(&response.body).contains("<Response></Response>"));
    let (again, _) = hub.receive_webhook(&channel_id(), &request).await.unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 1));

    let forged = common::signed_at(common::OTHER_TOKEN, common::URL, &common::fixture("sms"));
    assert_eq!(hub.handle_webhook(&channel_id(), forged).await.status.as_u16(), 401);

    // The agent answers in Thai; Twilio says it is 2 segments.
    let agent = Actor::user(acme.clone(), "agent".parse().unwrap(), Role::Agent);
    let conversations = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 1);
    let sid = "SM9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f";
    api.enqueue(ScriptedResponse::json(201, &serde_json::json!({"sid": sid, "status": "queued", "num_segments": "2"})));
    let reply = "ส่งแล้วค่ะ พัสดุ TH-20931 ออกจากคลังสินค้าที่กรุงเทพฯ เมื่อเช้านี้ จะถึงภายในวันพรุ่งนี้ค่ะ";
    let sent = hub.send(&agent, conversations[0].id, Content::text(reply)).await.unwrap();
    assert_eq!((sent.delivery.clone(), sent.platform_message_id.as_deref()), (DeliveryStatus::Sent, Some(sid)));

    let day = UsageDay::of(Timestamp::from_unix_seconds(common::NOW_SECONDS));
    let counted = |metric| {
        let (meter, acme) = (meter.clone(), acme.clone());
        async move {
            let query = UsageQuery::days(day, day.next()).metric(metric);
            meter.usage(&acme, &query).await.unwrap().iter().map(|c| c.quantity).sum::<u64>()
        }
    };
    assert_eq!(counted(UsageMetric::MessagesOut).await, 1);
    assert_eq!(counted(UsageMetric::SmsSegments).await, 2, "metered as Twilio reported it");

    // Its status callbacks, the second one redelivered: the message ends delivered.
    for status in ["sent", "delivered", "delivered"] {
        let callback = format!(
            "SmsSid={sid}&SmsStatus={status}&MessageStatus={status}&To=%2B66812345678&MessageSid={sid}&AccountSid={}&From=%2B14155550100&ApiVersion=2010-04-01",
            common::ACCOUNT_SID
        );
        let answer = hub.handle_webhook(&channel_id(), common::signed(callback.as_bytes())).await;
        assert_eq!(answer.status.as_u16(), 200, "{status}");
    }
    let messages = hub.messages(&agent, conversations[0].id, &MessageQuery::new()).await.unwrap().items;
    let ours = messages.iter().find(|m| m.platform_message_id.as_deref() == Some(sid)).expect("the reply");
    assert_eq!(ours.delivery, DeliveryStatus::Delivered);
}
