//! Shop authorization and tokens against the fake Shopee API: the signed authorization link,
//! the code exchange, single-use refresh tokens, 50 concurrent senders causing exactly one
//! refresh through the vault, and an expiring-authorization push triggering one refresh.

mod common;

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use unibox_channel_shopee::{REFRESH_TOKEN_LIFETIME, ShopeeChannel, SignedCall};
use unibox_core::channel::SendRequest;
use unibox_core::memory::MemorySealedBackend;
use unibox_core::{Channel, Content, ErrorKind, MessageId, Timestamp, TokenStatus, TokenStore};
use unibox_testkit::http::FakeServer;
use unibox_vault::{Keyring, Vault};

use common::{ACCESS_LIFETIME, FakeShopee, NOW, PARTNER_ID, PARTNER_KEY, REFRESH_TOKEN, SHOP};

fn vault(clock: Arc<unibox_core::ManualClock>) -> Vault {
    Vault::builder(Arc::new(MemorySealedBackend::new()), Arc::new(Keyring::new().with_key(1, [3; 32])))
        .clock(clock)
        .refresh_margin(Duration::from_secs(600))
        .build()
}

#[test]
fn the_authorization_link_is_signed_as_a_public_call() {
    let channel = common::channel();
    let link =
        channel.authorization_url(&"https://app.example.com/shopee/authorized?tenant=acme".parse().unwrap()).unwrap();
    assert!(link.as_str().starts_with("https://partner.shopeemobile.com/api/v2/shop/auth_partner?"));
    let query: std::collections::HashMap<String, String> = link.query_pairs().into_owned().collect();
    assert_eq!(query["partner_id"], PARTNER_ID.to_string());
    assert_eq!(query["timestamp"], NOW.to_string());
    assert_eq!(query["sign"], SignedCall::Public.sign(PARTNER_KEY, PARTNER_ID, "/api/v2/shop/auth_partner", NOW));
    assert_eq!(query["redirect"], "https://app.example.com/shopee/authorized?tenant=acme");
}

#[tokio::test]
async fn a_code_is_exchanged_once_for_four_hour_tokens() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    fake.serve(&api);
    let channel = common::sending_channel(&api, clock);
    let tokens = channel.exchange_code("7a5a6d4e4c6a4e6b4b6f7073", 600000012).await.unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "4e4b6f70736c7a5a-a1");
    assert_eq!(tokens.refresh_token.as_ref().unwrap().expose_secret(), "5a6d4e52536f6c4a54-r1");
    assert_eq!(tokens.expires_at, Some(Timestamp::from_unix_seconds(NOW + ACCESS_LIFETIME as i64)));
    assert_eq!(
        tokens.refresh_expires_at,
        Some(Timestamp::from_unix_seconds(NOW).saturating_add(REFRESH_TOKEN_LIFETIME))
    );
    let request = api.last_request().unwrap();
    assert_eq!(request.path(), "/api/v2/auth/token/get");
    assert_eq!(
        request.json().unwrap(),
        serde_json::json!({"code": "7a5a6d4e4c6a4e6b4b6f7073", "partner_id": PARTNER_ID, "shop_id": 600000012})
    );
    assert!(!request.query().unwrap().contains("access_token"), "a public call");

    let again = channel.exchange_code("7a5a6d4e4c6a4e6b4b6f7073", 600000012).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::TokenInvalid, "the code is single-use");
    assert!(!again.to_string().contains("7a5a6d4e4c6a4e6b4b6f7073"), "{again}");
}

#[tokio::test]
async fn a_refresh_token_works_once() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    FakeShopee::new(clock.clone()).serve(&api);
    let channel = common::sending_channel(&api, clock);
    let account = common::account("acme");
    let fresh = channel.refresh_tokens(&account, &common::shop_tokens(60)).await.unwrap();
    assert_eq!(fresh.refresh_token.as_ref().unwrap().expose_secret(), "5a6d4e52536f6c4a54-r1");
    let body = api.last_request().unwrap().json().unwrap();
    assert_eq!(
        body,
        serde_json::json!({"refresh_token": REFRESH_TOKEN, "partner_id": PARTNER_ID, "shop_id": 600000012})
    );

    let reused = channel.refresh_tokens(&account, &common::shop_tokens(60)).await.unwrap_err();
    assert_eq!(reused.kind(), ErrorKind::TokenInvalid);
    assert!(!reused.is_temporary());
    assert!(!reused.to_string().contains(REFRESH_TOKEN), "{reused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_senders_needing_a_refresh_cause_exactly_one_refresh() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    fake.serve(&api);
    let channel = Arc::new(common::sending_channel(&api, clock.clone()));
    let vault = vault(clock.clone());
    let account = common::account("acme");
    // Expires in 5 minutes: inside the 10-minute margin.
    vault.put(&account.tenant, account.id, common::shop_tokens(300)).await.unwrap();

    let senders: Vec<_> = (0..50)
        .map(|i| {
            let (vault, channel, account) = (vault.clone(), channel.clone(), account.clone());
            tokio::spawn(async move {
                let tokens = vault.get_fresh(&account, channel.as_ref()).await?.expect("tokens are stored");
                let buyer = common::buyer(&account);
                let content = Content::text(format!("Order update {i}"));
                let request = SendRequest::new(&account, &buyer, &content, MessageId::new())
                    .with_access_token(Some(&tokens.access_token));
                channel.send(&request).await
            })
        })
        .collect();
    for sender in senders {
        sender.await.unwrap().unwrap();
    }
    {
        let books = fake.books.lock().unwrap();
        assert_eq!(books.refresh_calls, 1, "one refresh reached Shopee");
        assert_eq!(books.spent_refresh_tokens.len(), 1);
        assert_eq!(books.sent_with.len(), 50);
        assert!(books.sent_with.iter().all(|t| t == "4e4b6f70736c7a5a-a1"), "every send used the new token");
    }
    let stored = vault.get(&account.tenant, account.id).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose_secret(), "5a6d4e52536f6c4a54-r1", "the new refresh token is kept");
}

#[tokio::test]
async fn a_refused_refresh_makes_the_shop_need_reauthorization() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    fake.books.lock().unwrap().refresh_tokens.clear(); // spent by a lost race elsewhere
    fake.serve(&api);
    let channel = common::sending_channel(&api, clock.clone());
    let vault = vault(clock);
    let account = common::account("acme");
    vault.put(&account.tenant, account.id, common::shop_tokens(60)).await.unwrap();
    let error = vault.get_fresh(&account, &channel).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
    assert!(matches!(vault.status(&account.tenant, account.id).await.unwrap(), TokenStatus::Revoked { .. }));
    // Never retried with the same refresh token.
    assert!(vault.get_fresh(&account, &channel).await.is_err());
    assert_eq!(fake.books.lock().unwrap().refresh_calls, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_authorization_push_triggers_one_refresh() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    fake.serve(&api);
    let channel = Arc::new(common::sending_channel(&api, clock.clone()));
    let vault = vault(clock);
    let account = common::account("acme");
    // Three hours left: not due for the vault's margin.
    vault.put(&account.tenant, account.id, common::shop_tokens(3 * 3600)).await.unwrap();

    let push = format!(
        r#"{{"code":12,"timestamp":{NOW},"data":{{"merchant_expire_soon":[],"shop_expire_soon":[{SHOP},23213],"user_expire_soon":[],"expire_before":{},"page_no":1,"total_page":1}}}}"#,
        NOW + 7 * 86_400
    );
    let events = common::events_of(&channel, push.as_bytes());
    let ours: Vec<_> = events.iter().filter(|e| e.account == SHOP).collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ShopeeChannel::authorization_expiry(ours[0]), Some(Timestamp::from_unix_seconds(NOW + 7 * 86_400)));

    // The application reacts to the event (a hub subscriber, say) with a forced refresh; a
    // redelivered push reacts twice, concurrently: still one refresh.
    let start = Arc::new(tokio::sync::Barrier::new(10));
    let reactions: Vec<_> = (0..10)
        .map(|_| {
            let (vault, channel, account, start) = (vault.clone(), channel.clone(), account.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                vault.refresh_now(&account, channel.as_ref()).await
            })
        })
        .collect();
    for reaction in reactions {
        let tokens = reaction.await.unwrap().unwrap().unwrap();
        assert_eq!(tokens.access_token.expose_secret(), "4e4b6f70736c7a5a-a1");
    }
    assert_eq!(fake.books.lock().unwrap().refresh_calls, 1);
}
