//! Seller tokens against a fake TikTok Shop whose refresh tokens work once: the authorization
//! link, the code exchange, refresh through the vault (50 concurrent senders, one refresh
//! call), a reused refresh token refused, and an expiry webhook turned into one refresh.

mod common;

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use unibox_channel_tiktok_shop::TikTokShopChannel;
use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::{MemorySealedBackend, MemoryStore};
use unibox_core::{
    Actor, Channel, ChannelAccount, ChannelKind, Content, DeliveryStatus, ErrorKind, Hub, ManualClock, Role, Timestamp,
    TokenSet, TokenStore,
};
use unibox_testkit::http::FakeServer;
use unibox_vault::{Keyring, Vault};

use common::{FakeTikTokShop, NOW, SHOP};

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(NOW)
}

#[tokio::test]
async fn the_code_is_exchanged_for_tokens_with_absolute_expiry() {
    let platform = FakeServer::start().await.unwrap();
    FakeTikTokShop::new().serve(&platform);
    let channel = common::sending_channel(&platform, common::clock(), true);
    let authorization = channel.exchange_code("TTP_valid").await.unwrap();
    assert_eq!(authorization.tokens.access_token.expose_secret(), "ROW_access-1");
    assert_eq!(authorization.tokens.expires_at, Some(Timestamp::from_unix_seconds(NOW + 604_800)));
    assert_eq!(authorization.tokens.refresh_expires_at, Some(Timestamp::from_unix_seconds(4_841_467_787)));
    assert_eq!(authorization.tokens.scopes, ["seller.authorization.info", "seller.customer_service"]);
    assert_eq!(authorization.seller_name.as_deref(), Some("Acme Thailand"));
    assert_eq!(platform.last_request().unwrap().path(), "/auth/api/v2/token/get");
    let refused = channel.exchange_code("TTP_used").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::PlatformRejected);
    assert!(!format!("{refused} {refused:?}").contains(common::APP_SECRET), "the secret in the token URL never shows");
}

#[tokio::test]
async fn a_refresh_token_works_once() {
    let platform = FakeServer::start().await.unwrap();
    let tiktok = FakeTikTokShop::new();
    tiktok.serve(&platform);
    let channel = common::sending_channel(&platform, common::clock(), true);
    let current = TokenSet::new(common::ACCESS_TOKEN).with_refresh_token("ROW_refresh-0").expiring_at(now());
    let fresh = channel.refresh_tokens(&common::account(), &current).await.unwrap();
    assert_eq!(fresh.refresh_token.unwrap().expose_secret(), "ROW_refresh-1");
    let reused = channel.refresh_tokens(&common::account(), &current).await.unwrap_err();
    assert_eq!(reused.kind(), ErrorKind::TokenInvalid);
    assert_eq!(tiktok.books.lock().unwrap().refreshes, 2);
}

struct Shop {
    hub: Arc<Hub>,
    vault: Arc<Vault>,
    channel: Arc<TikTokShopChannel>,
    account: ChannelAccount,
    agent: Actor,
    tiktok: FakeTikTokShop,
    _platform: FakeServer,
}

async fn shop(clock: Arc<ManualClock>, expires_in: Duration) -> Shop {
    let platform = FakeServer::start().await.unwrap();
    let tiktok = FakeTikTokShop::new();
    tiktok.serve(&platform);
    let channel = Arc::new(common::sending_channel(&platform, clock.clone(), true));
    let vault = Arc::new(
        Vault::builder(Arc::new(MemorySealedBackend::new()), Arc::new(Keyring::new().with_key(1, [3; 32])))
            .clock(clock.clone())
            .refresh_margin(Duration::from_secs(600))
            .lease_poll(Duration::from_millis(5))
            .build(),
    );
    let hub = Hub::builder(MemoryStore::new())
        .channel("acme-tiktok".parse().unwrap(), channel.clone())
        .tokens(vault.clone())
        .clock(clock)
        .build();
    let acme: unibox_core::TenantId = "acme".parse().unwrap();
    let account =
        ChannelAccount::new(acme.clone(), "acme-tiktok".parse().unwrap(), ChannelKind::TIKTOK_SHOP, SHOP, now());
    let admin = Actor::user(acme.clone(), "admin".parse().unwrap(), Role::Admin);
    let tokens = TokenSet::new(common::ACCESS_TOKEN)
        .with_refresh_token("ROW_refresh-0")
        .expiring_at(now().saturating_add(expires_in));
    hub.connect_account(&admin, account.clone(), Some(tokens)).await.unwrap();
    let agent = Actor::user(acme, "agent".parse().unwrap(), Role::Agent);
    Shop { hub: Arc::new(hub), vault, channel, account, agent, tiktok, _platform: platform }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_senders_needing_a_refresh_cause_exactly_one_refresh_call() {
    let shop = shop(common::clock(), Duration::from_secs(300)).await;
    let channel_id = "acme-tiktok".parse().unwrap();
    shop.hub.receive_webhook(&channel_id, &common::signed(&common::fixture("new_message_text"))).await.unwrap();
    let conversation = shop.hub.conversations(&shop.agent, &ConversationQuery::new()).await.unwrap().items[0].id;
    let senders: Vec<_> = (0..50)
        .map(|i| {
            let (hub, agent) = (shop.hub.clone(), shop.agent.clone());
            tokio::spawn(async move { hub.send(&agent, conversation, Content::text(format!("Reply {i}"))).await })
        })
        .collect();
    for sender in senders {
        assert_eq!(sender.await.unwrap().unwrap().delivery, DeliveryStatus::Sent);
    }
    {
        let books = shop.tiktok.books.lock().unwrap();
        assert_eq!(books.refreshes, 1, "one refresh call for fifty senders");
        assert_eq!(books.sent.len(), 50);
    }
    let stored = shop.vault.get(&shop.account.tenant, shop.account.id).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose_secret(), "ROW_refresh-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiry_webhook_refreshes_tokens_that_would_lapse_first_once() {
    // Two days left on the access token; the authorization ends in three.
    let shop = shop(common::clock(), Duration::from_secs(2 * 86_400)).await;
    let body = format!(
        r#"{{"type":7,"tts_notification_id":"7327112393057371990","shop_id":"{SHOP}","timestamp":{NOW},"data":{{"message":"Authorization of shop_id {SHOP} is expiring in 3 days. Please direct the merchant to re-authorize.","expiration_time":"{}"}}}}"#,
        NOW + 3 * 86_400
    );
    let channel_id = "acme-tiktok".parse().unwrap();
    for _ in 0..2 {
        shop.hub.receive_webhook(&channel_id, &common::signed(body.as_bytes())).await.unwrap();
        let renewal =
            unibox_channel_tiktok_shop::renewal::renew(&shop.hub, &channel_id, shop.channel.expiry_alerts().take())
                .await;
        assert_eq!(renewal.renewed, vec![SHOP.to_owned()]);
    }
    assert_eq!(shop.tiktok.books.lock().unwrap().refreshes, 1, "the new tokens outlive the warning");
    let _ = shop.vault.get_fresh(&shop.account, shop.channel.as_ref()).await.unwrap();
    assert_eq!(shop.tiktok.books.lock().unwrap().refreshes, 1);
}
