//! Disconnecting one LINE account through the hub: its token is revoked at LINE
//! (`POST /v2/oauth/revoke`) and deleted locally, its queued retry ends failed and is never
//! attempted, and another account keeps sending. A revoke call LINE refuses still deletes locally.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::Method;
use unibox_channel_line::TokenIssuance;
use unibox_core::audit::{AuditOutcome, AuditQuery};
use unibox_core::delivery::{DeliveryOptions, DeliveryWorker, RetryPolicy};
use unibox_core::hub::PlatformRevocation;
use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::MemoryStore;
use unibox_core::outbox::JobState;
use unibox_core::{
    Actor, ChannelAccount, ChannelId, ChannelKind, Content, ConversationId, DeliveryStatus, ErrorKind, Hub,
    ManualClock, Role, TenantId, Timestamp, TokenSet, TokenStatus,
};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

use common::{ACCESS_TOKEN, BOT, FakeLine};

/// The second bot, on its own LINE channel and fake API.
const OTHER_BOT: &str = "U1b2c3d4e5f60718293a4b5c6d7e8f901";

fn acme() -> TenantId {
    "acme".parse().unwrap()
}

fn admin() -> Actor {
    Actor::user(acme(), "admin".parse().unwrap(), Role::Admin)
}

fn agent() -> Actor {
    Actor::user(acme(), "somchai".parse().unwrap(), Role::Agent)
}

/// One LINE bot: its fake API, counting pushes and recording revoke calls.
struct Bot {
    api: FakeServer,
    channel: ChannelId,
    account: ChannelAccount,
    conversation: ConversationId,
    pushes: Arc<AtomicUsize>,
}

impl Bot {
    fn revokes(&self) -> Vec<RecordedRequest> {
        self.api.requests().into_iter().filter(|r| r.path() == "/v2/oauth/revoke").collect()
    }
}

/// Answers pushes like LINE (the first `failing_pushes` with 503), and revokes with `revoke`.
fn fake_line(api: &FakeServer, failing_pushes: usize, revoke: ScriptedResponse) -> Arc<AtomicUsize> {
    let line = FakeLine::default();
    let pushes = Arc::new(AtomicUsize::new(0));
    let counter = pushes.clone();
    api.respond_with(move |request| {
        if request.path() == "/v2/oauth/revoke" {
            return revoke.clone();
        }
        if counter.fetch_add(1, Ordering::SeqCst) < failing_pushes {
            return ScriptedResponse::json(503, &serde_json::json!({"message": "Service unavailable"}));
        }
        line.answer(request)
    });
    pushes
}

struct World {
    hub: Hub,
    clock: Arc<ManualClock>,
    line: Bot,
    other: Bot,
}

async fn bot(
    hub_channels: &mut Vec<(ChannelId, Arc<dyn unibox_core::Channel>)>,
    name: &str,
    bot_id: &str,
    clock: Arc<ManualClock>,
    failing_pushes: usize,
    revoke: ScriptedResponse,
) -> (FakeServer, ChannelId, ChannelAccount, Arc<AtomicUsize>) {
    let api = FakeServer::start().await.unwrap();
    let pushes = fake_line(&api, failing_pushes, revoke);
    let channel = common::sending_channel(&api, TokenIssuance::LongLived, clock);
    let channel_id: ChannelId = name.parse().unwrap();
    hub_channels.push((channel_id.clone(), Arc::new(channel)));
    let account =
        ChannelAccount::new(acme(), channel_id.clone(), ChannelKind::LINE, bot_id, Timestamp::from_unix_seconds(0));
    (api, channel_id, account, pushes)
}

/// Two LINE bots, each with a customer who wrote; the first bot's first push fails with 503.
async fn world(revoke: ScriptedResponse) -> World {
    let clock = common::clock();
    let mut channels = Vec::new();
    let (api, channel, account, pushes) = bot(&mut channels, "acme-line", BOT, clock.clone(), 1, revoke.clone()).await;
    let (other_api, other_channel, other_account, other_pushes) =
        bot(&mut channels, "acme-line-2", OTHER_BOT, clock.clone(), 0, revoke).await;
    let mut builder = Hub::builder(MemoryStore::new())
        .clock(clock.clone())
        .delivery(DeliveryOptions::new().retry(RetryPolicy::new(4, Duration::from_secs(1), Duration::from_secs(10))));
    for (id, channel) in channels {
        builder = builder.channel(id, channel);
    }
    let hub = builder.build();
    let mut conversations = Vec::new();
    for (channel_id, account, bot_id) in [(&channel, &account, BOT), (&other_channel, &other_account, OTHER_BOT)] {
        hub.connect_account(&admin(), account.clone(), Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap();
        let body = String::from_utf8(common::fixture("text")).unwrap().replace(BOT, bot_id);
        let (_, response) = hub.receive_webhook(channel_id, &common::signed(body.as_bytes())).await.unwrap();
        assert_eq!(response.status.as_u16(), 200);
        let query = ConversationQuery::new().account(account.id);
        conversations.push(hub.conversations(&agent(), &query).await.unwrap().items[0].id);
    }
    // Past the reply tokens' window: sends push.
    clock.advance(Duration::from_secs(60));
    World {
        hub,
        clock,
        line: Bot { api, channel, account, conversation: conversations[0], pushes },
        other: Bot {
            api: other_api,
            channel: other_channel,
            account: other_account,
            conversation: conversations[1],
            pushes: other_pushes,
        },
    }
}

#[tokio::test]
async fn disconnecting_one_bot_revokes_at_line_ends_its_queued_send_and_leaves_the_other_sending() {
    let w = world(ScriptedResponse::ok()).await;
    // A push LINE answered 503: queued for a retry in a second.
    let queued = w.hub.send(&agent(), w.line.conversation, Content::text("Your order shipped.")).await.unwrap();
    assert_eq!(queued.delivery, DeliveryStatus::Queued);
    assert_eq!(w.line.pushes.load(Ordering::SeqCst), 1);

    let report = w.hub.disconnect_account(&admin(), w.line.account.id).await.unwrap();
    assert_eq!(report.platform, PlatformRevocation::Revoked);
    assert!(report.tokens_deleted);
    assert_eq!(report.sends_failed, Some(1));
    assert_eq!(report.account.state, unibox_core::ChannelAccountState::Disconnected);

    // LINE was asked once, with the token in the form body (never in the URL).
    let revokes = w.line.revokes();
    assert_eq!(revokes.len(), 1);
    assert_eq!(revokes[0].method, Method::POST);
    assert_eq!(std::str::from_utf8(&revokes[0].body).unwrap(), format!("access_token={ACCESS_TOKEN}"));
    assert!(!revokes[0].target.contains(ACCESS_TOKEN));
    assert!(w.other.revokes().is_empty(), "the other bot's token was left alone");

    // Deleted locally at once; the other bot's token is still there.
    let tokens = w.hub.tokens();
    assert!(matches!(tokens.status(&acme(), w.line.account.id).await.unwrap(), TokenStatus::Revoked { .. }));
    assert!(tokens.get(&acme(), w.line.account.id).await.unwrap().is_none());
    assert!(tokens.get(&acme(), w.other.account.id).await.unwrap().is_some());

    // The queued retry ended failed with the reason, and the worker never attempts it.
    let outbox = w.hub.store().outbox.as_deref().unwrap();
    let job = outbox.job(&acme(), queued.id).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert!(job.last_error.as_deref().unwrap().contains("disconnected"), "{job:?}");
    let message = w.hub.store().reads.message(&acme(), queued.id).await.unwrap();
    assert!(matches!(&message.delivery, DeliveryStatus::Failed { reason, .. } if reason.contains("disconnected")));
    w.clock.advance(Duration::from_secs(30));
    let round = DeliveryWorker::new(w.hub.clone()).run_once().await.unwrap();
    assert_eq!(round.claimed, 0);
    assert_eq!(w.line.pushes.load(Ordering::SeqCst), 1, "nothing more was pushed for the disconnected bot");

    // A new send on the disconnected bot is refused before anything is recorded or sent.
    let refused = w.hub.send(&agent(), w.line.conversation, Content::text("Hello?")).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::PlatformRejected);
    assert_eq!(w.line.pushes.load(Ordering::SeqCst), 1);
    // Its webhooks are no longer routed to the tenant (LINE deliveries for an unknown bot are refused).
    let unrouted = w.hub.receive_webhook(&w.line.channel, &common::signed(&common::fixture("text"))).await.unwrap_err();
    assert_eq!(unrouted.kind(), ErrorKind::NotFound, "{unrouted}");

    // The other bot keeps sending.
    let sent = w.hub.send(&agent(), w.other.conversation, Content::text("Still here.")).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
    assert_eq!(w.other.pushes.load(Ordering::SeqCst), 1);

    // Audited: the disconnect and the revoke at the platform.
    let trail = w.hub.audit_trail().unwrap();
    let disconnects = trail.query(&acme(), &AuditQuery::new().action("channel.disconnect")).await.unwrap();
    assert_eq!(disconnects.items.len(), 1);
    assert_eq!(disconnects.items[0].record.outcome, AuditOutcome::Success);
    let revoked = trail.query(&acme(), &AuditQuery::new().action("channel.revoke")).await.unwrap();
    assert!(
        revoked
            .items
            .iter()
            .any(|r| r.record.target.ends_with(":platform") && r.record.outcome == AuditOutcome::Success)
    );
    assert!(trail.verify(&acme()).await.unwrap().is_intact());
}

#[tokio::test]
async fn a_revoke_line_refuses_still_deletes_the_token_locally_and_is_reported() {
    let refused = ScriptedResponse::json(500, &serde_json::json!({"message": "An error occurred in the API server"}));
    let w = world(refused).await;
    let report = w.hub.disconnect_account(&admin(), w.line.account.id).await.unwrap();
    let PlatformRevocation::Failed { kind, reason } = &report.platform else {
        panic!("the failure is reported: {:?}", report.platform)
    };
    assert_eq!(*kind, ErrorKind::PlatformUnavailable, "{reason}");
    assert!(!reason.contains(ACCESS_TOKEN));
    assert!(report.tokens_deleted);
    assert_eq!(w.line.revokes().len(), 1);
    assert!(w.hub.tokens().get(&acme(), w.line.account.id).await.unwrap().is_none(), "deleted locally anyway");

    let trail = w.hub.audit_trail().unwrap();
    let revoked = trail.query(&acme(), &AuditQuery::new().action("channel.revoke")).await.unwrap();
    assert!(
        revoked.items.iter().any(|r| r.record.target.ends_with(":platform")
            && matches!(&r.record.outcome, AuditOutcome::Failed { .. })),
        "{revoked:?}"
    );
    // Disconnecting again is harmless: nothing left to delete or revoke.
    let again = w.hub.disconnect_account(&admin(), w.line.account.id).await.unwrap();
    assert_eq!(again.platform, PlatformRevocation::NoToken);
    assert!(!again.tokens_deleted);
    assert_eq!(w.line.revokes().len(), 1);
    // The other bot is untouched.
    let sent = w.hub.send(&agent(), w.other.conversation, Content::text("Still here.")).await.unwrap();
    assert_eq!(sent.delivery, DeliveryStatus::Sent);
}

#[tokio::test]
async fn an_agent_cannot_disconnect_and_the_denial_is_audited() {
    let w = world(ScriptedResponse::ok()).await;
    let denied = w.hub.disconnect_account(&agent(), w.line.account.id).await.unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
    assert!(w.line.revokes().is_empty());
    assert!(w.hub.tokens().get(&acme(), w.line.account.id).await.unwrap().is_some());
    let trail = w.hub.audit_trail().unwrap();
    let records = trail.query(&acme(), &AuditQuery::new().action("channel.disconnect")).await.unwrap();
    assert!(matches!(records.items[0].record.outcome, AuditOutcome::Denied { .. }));
}
