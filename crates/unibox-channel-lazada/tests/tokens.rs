//! Seller tokens against a fake Lazada whose refresh tokens work once: the authorization link,
//! the code exchange, refresh ahead of expiry through the vault (50 concurrent senders, one
//! refresh call), a reused refresh token refused, and an expiry push turned into one refresh.

mod common;

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use unibox_channel_lazada::LazadaChannel;
use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::{MemorySealedBackend, MemoryStore};
use unibox_core::{
    Actor, Channel, ChannelAccount, ChannelKind, Content, DeliveryStatus, ErrorKind, Hub, ManualClock, Role, Timestamp,
    TokenSet, TokenStore,
};
use unibox_testkit::http::FakeServer;
use unibox_vault::{Keyring, Vault};

use common::{FakeLazada, NOW_MILLIS, SELLER};

const FIRST_REFRESH: &str = "50001600a30hkQ2bhuL7Sjdzf1f2c8sVdXyd5XYR0ez.refresh-0";

fn now() -> Timestamp {
    Timestamp::from_unix_millis(NOW_MILLIS)
}

#[tokio::test]
async fn the_authorization_code_is_exchanged_for_tokens_and_sellers() {
    let platform = FakeServer::start().await.unwrap();
    FakeLazada::new().serve(&platform);
    let channel = common::sending_channel(&platform, common::clock());
    let authorization = channel.exchange_code("0_115527_valid").await.unwrap();
    assert_eq!(authorization.tokens.access_token.expose_secret(), "50000601c30atpedfgu3LVvik87Ixlsvle3mSoB.access-1");
    assert_eq!(authorization.tokens.expires_at, Some(now().saturating_add(Duration::from_secs(2_592_000))));
    assert_eq!(authorization.tokens.refresh_expires_at, Some(now().saturating_add(Duration::from_secs(15_552_000))));
    assert_eq!(authorization.sellers.len(), 1);
    assert_eq!(
        (authorization.sellers[0].seller_id.as_str(), authorization.sellers[0].country.as_str()),
        (SELLER, "th")
    );
    let request = platform.last_request().unwrap();
    assert_eq!(request.path(), "/auth-rest/auth/token/create");

    let used = channel.exchange_code("0_115527_used").await.unwrap_err();
    assert_eq!(used.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_refresh_token_works_once() {
    let platform = FakeServer::start().await.unwrap();
    let lazada = FakeLazada::new();
    lazada.serve(&platform);
    let channel = common::sending_channel(&platform, common::clock());
    let account = common::account();
    let current = TokenSet::new(common::ACCESS_TOKEN).with_refresh_token(FIRST_REFRESH).expiring_at(now());
    let fresh = channel.refresh_tokens(&account, &current).await.unwrap();
    assert_eq!(fresh.refresh_token.unwrap().expose_secret(), "50001600a30hkQ2bhuL7Sjdzf1f2c8sVdXyd5XYR0ez.refresh-1");
    let reused = channel.refresh_tokens(&account, &current).await.unwrap_err();
    assert_eq!(reused.kind(), ErrorKind::TokenInvalid);
    assert!(!reused.to_string().contains(FIRST_REFRESH));
    let no_refresh_token = channel.refresh_tokens(&account, &TokenSet::new("a")).await.unwrap_err();
    assert_eq!(no_refresh_token.kind(), ErrorKind::TokenInvalid);
    assert_eq!(lazada.books.lock().unwrap().refreshes, 2, "no call without a refresh token");
}

struct Shop {
    hub: Hub,
    vault: Arc<Vault>,
    channel: Arc<LazadaChannel>,
    account: ChannelAccount,
    agent: Actor,
    lazada: FakeLazada,
    _platform: FakeServer,
}

async fn shop(clock: Arc<ManualClock>, expires_in: Duration) -> Shop {
    let platform = FakeServer::start().await.unwrap();
    let lazada = FakeLazada::new();
    lazada.serve(&platform);
    let channel = Arc::new(common::sending_channel(&platform, clock.clone()));
    let vault = Arc::new(
        Vault::builder(Arc::new(MemorySealedBackend::new()), Arc::new(Keyring::new().with_key(1, [3; 32])))
            .clock(clock.clone())
            .refresh_margin(Duration::from_secs(600))
            .lease_poll(Duration::from_millis(5))
            .build(),
    );
    let hub = Hub::builder(MemoryStore::new())
        .channel("acme-lazada".parse().unwrap(), channel.clone())
        .tokens(vault.clone())
        .clock(clock.clone())
        .build();
    let acme: unibox_core::TenantId = "acme".parse().unwrap();
    let account = ChannelAccount::new(acme.clone(), "acme-lazada".parse().unwrap(), ChannelKind::LAZADA, SELLER, now());
    let admin = Actor::user(acme.clone(), "admin".parse().unwrap(), Role::Admin);
    let tokens = TokenSet::new(common::ACCESS_TOKEN)
        .with_refresh_token(FIRST_REFRESH)
        .expiring_at(now().saturating_add(expires_in));
    hub.connect_account(&admin, account.clone(), Some(tokens)).await.unwrap();
    let agent = Actor::user(acme, "agent".parse().unwrap(), Role::Agent);
    Shop { hub, vault, channel, account, agent, lazada, _platform: platform }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_senders_needing_a_refresh_cause_exactly_one_refresh_call() {
    // The access token expires in five minutes: inside the vault's ten-minute margin.
    let shop = shop(common::clock(), Duration::from_secs(300)).await;
    let (receipt, _) = shop
        .hub
        .receive_webhook(&"acme-lazada".parse().unwrap(), &common::signed(&common::fixture("im_text")))
        .await
        .unwrap();
    assert_eq!(receipt.stored, 1);
    let conversation = shop.hub.conversations(&shop.agent, &ConversationQuery::new()).await.unwrap().items[0].id;
    let hub = Arc::new(shop.hub);
    let senders: Vec<_> = (0..50)
        .map(|i| {
            let (hub, agent) = (hub.clone(), shop.agent.clone());
            tokio::spawn(async move { hub.send(&agent, conversation, Content::text(format!("Reply {i}"))).await })
        })
        .collect();
    for sender in senders {
        assert_eq!(sender.await.unwrap().unwrap().delivery, DeliveryStatus::Sent);
    }
    {
        let books = shop.lazada.books.lock().unwrap();
        assert_eq!(books.refreshes, 1, "one refresh call for fifty senders");
        assert_eq!(books.sent.len(), 50);
        assert!(books.spent.contains(FIRST_REFRESH));
    }
    let stored = shop.vault.get(&shop.account.tenant, shop.account.id).await.unwrap().unwrap();
    assert_eq!(stored.access_token.expose_secret(), "50000601c30atpedfgu3LVvik87Ixlsvle3mSoB.access-1");
    assert_eq!(stored.refresh_token.unwrap().expose_secret(), "50001600a30hkQ2bhuL7Sjdzf1f2c8sVdXyd5XYR0ez.refresh-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiry_push_refreshes_once_and_its_redelivery_refreshes_nothing() {
    // 47 hours left: far outside the refresh margin, inside Lazada's 48-hour warning.
    let shop = shop(common::clock(), Duration::from_secs(47 * 3600)).await;
    let expiry = now().saturating_add(Duration::from_secs(47 * 3600)).as_unix_seconds();
    let body = format!(
        r#"{{"seller_id":"null","message_type":8,"data":{{"app_key":"115527","auth_expiry_time":{expiry},"seller_id":"{SELLER}"}},"timestamp":{},"site":"lazada_th"}}"#,
        now().as_unix_seconds()
    );
    let channel_id = "acme-lazada".parse().unwrap();
    for delivery in 0..2 {
        let (receipt, response) =
            shop.hub.receive_webhook(&channel_id, &common::signed(body.as_bytes())).await.unwrap();
        assert_eq!(response.status.as_u16(), 200);
        assert_eq!(receipt.duplicates, delivery, "the redelivery is stored once");
        let renewal =
            unibox_channel_lazada::renewal::renew(&shop.hub, &channel_id, shop.channel.expiry_alerts().take()).await;
        assert_eq!(renewal.renewed, vec![SELLER.to_owned()]);
        assert!(renewal.failed.is_empty() && renewal.unknown.is_empty());
    }
    assert_eq!(shop.lazada.books.lock().unwrap().refreshes, 1, "the new tokens outlive the warning");
    let status = shop.vault.status(&shop.account.tenant, shop.account.id).await.unwrap();
    assert_eq!(
        status,
        unibox_core::TokenStatus::Active { expires_at: Some(now().saturating_add(Duration::from_secs(2_592_000))) }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_marks_the_seller_for_reauthorization() {
    let shop = shop(common::clock(), Duration::from_secs(60)).await;
    // Someone else spent the refresh token.
    shop.lazada.books.lock().unwrap().refresh.clear();
    let error = shop.vault.get_fresh(&shop.account, shop.channel.as_ref()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
    assert!(shop.vault.get(&shop.account.tenant, shop.account.id).await.unwrap().is_none(), "the tokens are revoked");
}
