//! Contact profiles from LINE (`GET /v2/bot/profile/{userId}`), fetched by the hub's profile
//! worker from the change log: a new contact gets their name and picture after their first
//! message, ingest is acknowledged while the profile API hangs, profiles are refreshed after the
//! TTL on a fake clock, and a contact who blocked the bot is recorded, not retried.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use unibox_channel_line::TokenIssuance;
use unibox_core::changes::ChangeKind;
use unibox_core::hub::Subscription;
use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::MemoryStore;
use unibox_core::profiles::{
    FETCHED_AT_ATTRIBUTE, NAME_ATTRIBUTE, PICTURE_ATTRIBUTE, ProfileOptions, ProfileOutcome, ProfileWorker,
    STATUS_ATTRIBUTE,
};
use unibox_core::workflow::{ContactProfile, ContactUpdate};
use unibox_core::{
    Actor, ChannelAccount, ChannelId, ChannelKind, Clock, Hub, ManualClock, Role, TenantId, Timestamp, TokenSet,
};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

use common::{ACCESS_TOKEN, BOT, USER};

const PICTURE: &str =
    "https://profile.line-scdn.net/0hWm8Yk6xQCGQOHRxMtdN3M0NYBgl5MwUsdn9BBSoUVFF3eEw0NXtAUy0dAQEkJUgzMnhPUykaAgYj";

fn acme() -> TenantId {
    "acme".parse().unwrap()
}

fn admin() -> Actor {
    Actor::user(acme(), "admin".parse().unwrap(), Role::Admin)
}

struct World {
    api: FakeServer,
    hub: Hub,
    clock: Arc<ManualClock>,
    channel: ChannelId,
    sent: AtomicUsize,
}

impl World {
    /// LINE's profile calls so far.
    fn profile_calls(&self) -> Vec<RecordedRequest> {
        self.api.requests().into_iter().filter(|r| r.path().starts_with("/v2/bot/profile/")).collect()
    }

    /// The customer writes a new message (a new webhook event id each time); returns when the
    /// webhook is acknowledged.
    async fn customer_writes(&self) {
        let n = self.sent.fetch_add(1, Ordering::SeqCst);
        let body = String::from_utf8(common::fixture("text"))
            .unwrap()
            .replace("01JD4T7Q9X8M2B3C4D5E6F7G8H", &format!("01JD4T7Q9X8M2B3C4D5E6F{n:04}"))
            .replace("468789577898262530", &format!("4687895778982{n:05}"));
        let (receipt, response) =
            self.hub.receive_webhook(&self.channel, &common::signed(body.as_bytes())).await.unwrap();
        assert_eq!(response.status.as_u16(), 200);
        assert_eq!(receipt.stored, 1, "{receipt:?}");
    }

    async fn contact(&self) -> ContactProfile {
        let agent = Actor::user(acme(), "somchai".parse().unwrap(), Role::Agent);
        let conversation = self.hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items[0].clone();
        self.hub.contact_profile(&agent, conversation.contact).await.unwrap()
    }

    /// Waits (up to five seconds) until `done` holds for the contact.
    async fn eventually(&self, done: impl Fn(&ContactProfile) -> bool) -> ContactProfile {
        for _ in 0..250 {
            let contact = self.contact().await;
            if done(&contact) {
                return contact;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the profile never arrived: {:?}", self.contact().await);
    }
}

/// A hub with a LINE bot whose fake API answers profile calls with `profile` (by call number).
async fn world(profile: impl Fn(usize) -> ScriptedResponse + Send + Sync + 'static) -> World {
    let api = FakeServer::start().await.unwrap();
    let calls = AtomicUsize::new(0);
    api.respond_with(move |request| {
        if request.header("authorization") != Some(&format!("Bearer {ACCESS_TOKEN}")) {
            return ScriptedResponse::json(401, &serde_json::json!({"message": "Authentication failed."}));
        }
        if request.path() == format!("/v2/bot/profile/{USER}") {
            return profile(calls.fetch_add(1, Ordering::SeqCst));
        }
        ScriptedResponse::json(404, &serde_json::json!({"message": "Not found"}))
    });
    let clock = common::clock();
    let channel = common::sending_channel(&api, TokenIssuance::LongLived, clock.clone());
    let channel_id: ChannelId = "acme-line".parse().unwrap();
    let hub =
        Hub::builder(MemoryStore::new()).channel(channel_id.clone(), Arc::new(channel)).clock(clock.clone()).build();
    let account =
        ChannelAccount::new(acme(), channel_id.clone(), ChannelKind::LINE, BOT, Timestamp::from_unix_seconds(0));
    hub.connect_account(&admin(), account, Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap();
    World { api, hub, clock, channel: channel_id, sent: AtomicUsize::new(0) }
}

fn line_profile(name: &str) -> ScriptedResponse {
    ScriptedResponse::json(
        200,
        &serde_json::json!({"displayName": name, "userId": USER, "language": "th", "pictureUrl": PICTURE, "statusMessage": "สวัสดี"}),
    )
}

/// The next contact-writing event of the subscription, handled by `worker`.
async fn handle_next_message(worker: &ProfileWorker, events: &mut Subscription) -> ProfileOutcome {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), events.next()).await.unwrap().unwrap().unwrap();
        if event.change.kind == ChangeKind::MessageAdded {
            return worker.handle(&event).await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_new_line_contact_gets_their_display_name_and_picture_after_the_first_message() {
    let w = world(|_| line_profile("Somchai Jaidee")).await;
    let worker = ProfileWorker::new(w.hub.clone(), acme()).spawn().await.unwrap();
    w.customer_writes().await;
    let contact = w.eventually(|c| c.contact.display_name.is_some()).await;
    assert_eq!(contact.contact.display_name.as_deref(), Some("Somchai Jaidee"));
    assert_eq!(contact.attributes[PICTURE_ATTRIBUTE], PICTURE);
    assert_eq!(contact.attributes[NAME_ATTRIBUTE], "Somchai Jaidee");
    let calls = w.profile_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, http::Method::GET);
    // Audited as an automation's contact update.
    let trail = w.hub.audit_trail().unwrap();
    let records = trail.query(&acme(), &unibox_core::audit::AuditQuery::new().action("contact.update")).await.unwrap();
    assert_eq!(records.items.len(), 1);
    worker.shutdown().await;
}

#[tokio::test]
async fn ingest_is_acknowledged_while_the_profile_api_hangs() {
    // The first profile call hangs far longer than the worker waits; later ones answer.
    let w = world(|call| match call {
        0 => line_profile("Too late").delayed(Duration::from_secs(30)),
        _ => line_profile("Somchai Jaidee"),
    })
    .await;
    let options = ProfileOptions::new().call_timeout(Duration::from_millis(700));
    let worker = ProfileWorker::new(w.hub.clone(), acme()).options(options).spawn().await.unwrap();
    w.customer_writes().await;
    // The worker is inside the hanging call...
    for _ in 0..250 {
        if !w.profile_calls().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(w.profile_calls().len(), 1);
    // ... and webhooks are still stored and acknowledged.
    w.customer_writes().await;
    w.customer_writes().await;
    assert_eq!(w.contact().await.contact.display_name, None, "the hanging call has not answered");
    // The hanging call is abandoned (logged, not fatal); the next message asks again.
    tokio::time::sleep(Duration::from_millis(900)).await;
    w.customer_writes().await;
    let contact = w.eventually(|c| c.contact.display_name.is_some()).await;
    assert_eq!(contact.contact.display_name.as_deref(), Some("Somchai Jaidee"));
    assert!(w.profile_calls().len() >= 2);
    worker.shutdown().await;
}

#[tokio::test]
async fn profiles_are_refreshed_after_the_ttl_on_the_hubs_clock_and_a_chosen_name_is_kept() {
    let w = world(|call| line_profile(if call == 0 { "Som" } else { "Somchai J." })).await;
    let ttl = Duration::from_secs(24 * 3600);
    let worker = ProfileWorker::new(w.hub.clone(), acme()).options(ProfileOptions::new().ttl(ttl));
    let mut events = worker.subscribe().await.unwrap();

    w.customer_writes().await;
    let ProfileOutcome::Updated(first) = handle_next_message(&worker, &mut events).await else { panic!("not fetched") };
    assert_eq!(first.display_name.as_deref(), Some("Som"));
    let fetched_at = w.contact().await.attributes[FETCHED_AT_ATTRIBUTE].clone();
    assert_eq!(fetched_at, w.clock.now().as_unix_millis().to_string());

    // Within the TTL: no call.
    w.clock.advance(ttl - Duration::from_secs(1));
    w.customer_writes().await;
    assert_eq!(handle_next_message(&worker, &mut events).await, ProfileOutcome::Fresh);
    assert_eq!(w.profile_calls().len(), 1);

    // Past it: asked again; the platform's new name replaces its old one.
    w.clock.advance(Duration::from_secs(2));
    w.customer_writes().await;
    assert!(matches!(handle_next_message(&worker, &mut events).await, ProfileOutcome::Updated(_)));
    assert_eq!(w.profile_calls().len(), 2);
    assert_eq!(w.contact().await.contact.display_name.as_deref(), Some("Somchai J."));

    // A name the team chose is kept through the next refresh; the platform's is still recorded.
    let contact = w.contact().await.contact.id;
    let update = ContactUpdate::new().display_name("Khun Somchai (VIP)");
    w.hub.update_contact(&admin(), contact, &update).await.unwrap();
    w.clock.advance(ttl + Duration::from_secs(1));
    w.customer_writes().await;
    assert!(matches!(handle_next_message(&worker, &mut events).await, ProfileOutcome::Updated(_)));
    let kept = w.contact().await;
    assert_eq!(kept.contact.display_name.as_deref(), Some("Khun Somchai (VIP)"));
    assert_eq!(kept.attributes[NAME_ATTRIBUTE], "Somchai J.");
}

#[tokio::test]
async fn a_contact_who_blocked_the_bot_is_recorded_unavailable_and_not_asked_again_before_the_ttl() {
    let w = world(|_| ScriptedResponse::json(404, &serde_json::json!({"message": "Not found"}))).await;
    let worker = ProfileWorker::new(w.hub.clone(), acme());
    let mut events = worker.subscribe().await.unwrap();
    w.customer_writes().await;
    assert_eq!(handle_next_message(&worker, &mut events).await, ProfileOutcome::Unavailable);
    let contact = w.contact().await;
    assert_eq!(contact.attributes[STATUS_ATTRIBUTE], "unavailable");
    assert_eq!(contact.contact.display_name, None);
    w.customer_writes().await;
    assert_eq!(handle_next_message(&worker, &mut events).await, ProfileOutcome::Fresh);
    assert_eq!(w.profile_calls().len(), 1);
}

#[tokio::test]
async fn profile_calls_are_paced_per_account() {
    let w = world(|_| line_profile("Somchai")).await;
    let interval = Duration::from_millis(300);
    let options = ProfileOptions::new().per_account_interval(interval).ttl(Duration::from_secs(1));
    let worker = ProfileWorker::new(w.hub.clone(), acme()).options(options);
    let mut events = worker.subscribe().await.unwrap();
    w.customer_writes().await;
    assert!(matches!(handle_next_message(&worker, &mut events).await, ProfileOutcome::Updated(_)));
    w.clock.advance(Duration::from_secs(2));
    w.customer_writes().await;
    let started = std::time::Instant::now();
    assert!(matches!(handle_next_message(&worker, &mut events).await, ProfileOutcome::Updated(_)));
    // The second call waited for its slot (a lower bound, never an upper one).
    assert!(started.elapsed() >= interval / 2, "{:?}", started.elapsed());
    assert_eq!(w.profile_calls().len(), 2);
}
