//! The hub with the vault as its token store: a send refreshes an expiring token through the
//! channel first, and a refused refresh marks the account for reauthorization.

mod common;

use std::sync::Arc;

use common::{NOW, RefreshingChannel, shop_tokens, shopee_platform};
use unibox_core::inbox::IngestOutcome;
use unibox_core::inbox::prelude::*;
use unibox_core::memory::{MemoryInbox, MemorySealedBackend, MemoryStore};
use unibox_core::{
    Actor, ChannelAccount, ChannelAccountState, ChannelKind, Content, ConversationId, ErrorKind, Hub, ManualClock,
    Role, Timestamp, TokenStatus, TokenStore,
};
use unibox_testkit::fixtures::{self, AccountEvents};
use unibox_vault::{Keyring, Vault};

struct Setup {
    hub: Hub,
    vault: Vault,
    inbox: Arc<MemoryInbox>,
    channel: Arc<RefreshingChannel>,
    account: ChannelAccount,
    conversation: ConversationId,
    agent: Actor,
    _platform: unibox_testkit::http::FakeServer,
}

async fn setup(refresh_token: &str) -> Setup {
    let (platform, _books) = shopee_platform("r0").await;
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)));
    let inbox = Arc::new(MemoryInbox::new());
    let vault = Vault::builder(Arc::new(MemorySealedBackend::new()), Arc::new(Keyring::new().with_key(1, [9; 32])))
        .clock(clock.clone())
        .build();
    let channel = Arc::new(RefreshingChannel::new(&platform, clock.clone()));
    let tenant = fixtures::tenant("acme");
    let account = ChannelAccount::new(
        tenant.clone(),
        "acme-shopee".parse().unwrap(),
        ChannelKind::SHOPEE,
        "600000012",
        Timestamp::from_unix_seconds(NOW - 86_400),
    )
    .with_display_name("Acme Thailand Shopee");
    let hub = Hub::builder(MemoryStore::with_inbox(inbox.clone()))
        .tokens(Arc::new(vault.clone()))
        .clock(clock)
        .channel(account.channel.clone(), channel.clone())
        .build();
    let admin = Actor::user(tenant.clone(), fixtures::user("ann"), Role::Admin);
    // Tokens that expire in two minutes: inside the default five-minute refresh margin.
    hub.connect_account(&admin, account.clone(), Some(shop_tokens(refresh_token, 120))).await.unwrap();
    let events = AccountEvents::new(&account);
    let inbound = events.text(
        "shopee-push-1",
        &fixtures::shopee_buyer(),
        "2209120000001",
        "Is the blue one in stock?",
        Timestamp::from_unix_seconds(NOW - 60),
    );
    let outcome = inbox.ingest(vec![inbound]).await.unwrap();
    let Some(IngestOutcome::Stored { conversation: Some(conversation), .. }) = outcome.into_iter().next() else {
        panic!("the inbound message did not open a conversation")
    };
    let agent = Actor::user(tenant, fixtures::user("bob"), Role::Agent);
    Setup { hub, vault, inbox, channel, account, conversation, agent, _platform: platform }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_with_an_expiring_token_refreshes_it_first() {
    let s = setup("r0").await;
    s.hub.send(&s.agent, s.conversation, Content::text("Yes, we have 3 left.")).await.unwrap();
    let sent_with = s.channel.sent_with.lock().unwrap().clone();
    assert_eq!(sent_with, [Some("4e4b6f70736c7a5a-a1".to_string())], "the send used the refreshed token");
    let status = s.vault.status(&s.account.tenant, s.account.id).await.unwrap();
    assert_eq!(
        status,
        TokenStatus::Active { expires_at: Some(Timestamp::from_unix_seconds(NOW + common::ACCESS_LIFETIME)) }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_fails_the_send_and_marks_the_account_for_reauthorization() {
    let s = setup("r-spent-elsewhere").await;
    let error = s.hub.send(&s.agent, s.conversation, Content::text("Yes, we have 3 left.")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
    assert!(!error.to_string().contains("r-spent-elsewhere"), "{error}");
    assert!(s.channel.sent_with.lock().unwrap().is_empty(), "nothing was sent with the stale token");
    let account = s.inbox.account(&s.account.tenant, s.account.id).await.unwrap();
    assert!(
        matches!(account.state, ChannelAccountState::ReauthorizationRequired { .. }),
        "account state: {:?}",
        account.state
    );
    // The next send fails at once with the same clear error.
    let again = s.hub.send(&s.agent, s.conversation, Content::text("Hello?")).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::TokenInvalid);
    assert!(again.message().contains("reconnect"), "{again}");
}
