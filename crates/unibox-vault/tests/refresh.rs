//! Token lifecycle: refresh ahead of expiry through the channel over loopback HTTP, exactly once
//! for 100 concurrent callers, never reusing a single-use refresh token, and reauthorization
//! when the platform refuses.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{NOW, RefreshingChannel, shop_tokens, shopee_platform};
use secrecy::ExposeSecret;
use unibox_core::memory::{MemoryAuditLog, MemorySealedBackend};
use unibox_core::{
    ChannelAccount, ChannelKind, ErrorKind, ManualClock, SealedTokenBackend, Timestamp, TokenStatus, TokenStore,
};
use unibox_testkit::http::ScriptedResponse;
use unibox_vault::{Keyring, Vault, VaultEvent};

fn shop(tenant: &str) -> ChannelAccount {
    ChannelAccount::new(
        tenant.parse().unwrap(),
        "acme-shopee".parse().unwrap(),
        ChannelKind::SHOPEE,
        "600000012",
        Timestamp::from_unix_seconds(NOW - 86_400),
    )
    .with_display_name("Acme Thailand Shopee")
}

fn vault(backend: Arc<dyn SealedTokenBackend>, clock: Arc<ManualClock>) -> Vault {
    Vault::builder(backend, Arc::new(Keyring::new().with_key(1, [3; 32])))
        .clock(clock)
        .refresh_margin(Duration::from_secs(600))
        .lease_poll(Duration::from_millis(5))
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_callers_of_an_expiring_token_cause_exactly_one_refresh() {
    let (platform, books) = shopee_platform("r0").await;
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)));
    let audit = Arc::new(MemoryAuditLog::new());
    let vault = Vault::builder(Arc::new(MemorySealedBackend::new()), Arc::new(Keyring::new().with_key(1, [3; 32])))
        .clock(clock.clone())
        .audit(audit.clone())
        .refresh_margin(Duration::from_secs(600))
        .build();
    let channel = Arc::new(RefreshingChannel::new(&platform, clock.clone()));
    let account = shop("acme");
    // Expires in 5 minutes: inside the 10-minute margin.
    vault.put(&account.tenant, account.id, shop_tokens("r0", 300)).await.unwrap();
    let mut events = vault.subscribe();

    let callers: Vec<_> = (0..100)
        .map(|_| {
            let (vault, channel, account) = (vault.clone(), channel.clone(), account.clone());
            tokio::spawn(async move { vault.get_fresh(&account, channel.as_ref()).await })
        })
        .collect();
    for caller in callers {
        let tokens = caller.await.unwrap().unwrap().unwrap();
        assert_eq!(tokens.access_token.expose_secret(), "4e4b6f70736c7a5a-a1");
    }
    assert_eq!(platform.request_count(), 1, "one refresh request reached the platform");
    assert_eq!(books.lock().unwrap().issued, 1);
    let stored = vault.get(&account.tenant, account.id).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose_secret(), "5a6d4e52536f6c4a54-r1", "the new refresh token is kept");
    assert_eq!(
        vault.status(&account.tenant, account.id).await.unwrap(),
        TokenStatus::Active { expires_at: Some(Timestamp::from_unix_seconds(NOW + common::ACCESS_LIFETIME)) }
    );
    assert!(matches!(events.try_recv(), Ok(VaultEvent::Refreshed { .. })));
    let refreshes = audit.records(&account.tenant).into_iter().filter(|r| r.action == "channel.refresh").count();
    assert_eq!(refreshes, 1);

    // Four hours later it is due again: one more refresh, with the new refresh token.
    clock.advance(Duration::from_secs(14_000));
    vault.get_fresh(&account, channel.as_ref()).await.unwrap().unwrap();
    assert_eq!(platform.request_count(), 2);
    assert!(books.lock().unwrap().spent.contains("5a6d4e52536f6c4a54-r1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_vaults_sharing_one_backend_refresh_once_and_never_reuse_a_refresh_token() {
    let (platform, books) = shopee_platform("r0").await;
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)));
    let backend: Arc<dyn SealedTokenBackend> = Arc::new(MemorySealedBackend::new());
    let (first, second) = (vault(backend.clone(), clock.clone()), vault(backend, clock.clone()));
    let channel = Arc::new(RefreshingChannel::new(&platform, clock.clone()));
    let account = shop("acme");
    first.put(&account.tenant, account.id, shop_tokens("r0", 60)).await.unwrap();

    let callers: Vec<_> = (0..40)
        .map(|i| {
            let vault = if i % 2 == 0 { first.clone() } else { second.clone() };
            let (channel, account) = (channel.clone(), account.clone());
            tokio::spawn(async move { vault.get_fresh(&account, channel.as_ref()).await })
        })
        .collect();
    for caller in callers {
        let tokens = caller.await.unwrap().unwrap().unwrap();
        assert_eq!(tokens.access_token.expose_secret(), "4e4b6f70736c7a5a-a1");
    }
    assert_eq!(platform.request_count(), 1);
    assert_eq!(books.lock().unwrap().spent.len(), 1, "no refresh token was presented twice");
}

#[tokio::test]
async fn a_refused_refresh_requires_reauthorization_and_is_not_retried() {
    let (platform, books) = shopee_platform("r0").await;
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)));
    let audit = Arc::new(MemoryAuditLog::new());
    let vault = Vault::builder(Arc::new(MemorySealedBackend::new()), Arc::new(Keyring::new().with_key(1, [3; 32])))
        .clock(clock.clone())
        .audit(audit.clone())
        .build();
    let channel = RefreshingChannel::new(&platform, clock.clone());
    let account = shop("acme");
    // A refresh token the platform no longer knows (spent by a lost race elsewhere).
    vault.put(&account.tenant, account.id, shop_tokens("r-spent", 60)).await.unwrap();
    let mut events = vault.subscribe();

    let error = vault.get_fresh(&account, &channel).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid);
    assert!(!error.is_temporary());
    assert!(error.message().contains("reconnect"), "{error}");
    assert!(!error.to_string().contains("r-spent"));
    match events.try_recv() {
        Ok(VaultEvent::ReauthorizationRequired { account: id, .. }) => assert_eq!(id, account.id),
        other => panic!("expected ReauthorizationRequired, got {other:?}"),
    }
    assert!(matches!(vault.status(&account.tenant, account.id).await.unwrap(), TokenStatus::Revoked { .. }));

    // Later sends fail at once with the same clear error; the platform is not asked again.
    let again = vault.get_fresh(&account, &channel).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::TokenInvalid);
    assert_eq!(platform.request_count(), 1);
    assert_eq!(books.lock().unwrap().issued, 0);
    let failed = audit
        .records(&account.tenant)
        .into_iter()
        .filter(|r| r.action == "channel.refresh" && r.outcome != unibox_core::audit::AuditOutcome::Success)
        .count();
    assert_eq!(failed, 1);
}

#[tokio::test]
async fn a_passing_platform_failure_keeps_unexpired_tokens_and_retries_on_the_next_use() {
    let (platform, _books) = shopee_platform("r0").await;
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)));
    let vault = vault(Arc::new(MemorySealedBackend::new()), clock.clone());
    let channel = RefreshingChannel::new(&platform, clock.clone());
    let account = shop("acme");
    vault.put(&account.tenant, account.id, shop_tokens("r0", 300)).await.unwrap();

    platform.enqueue(ScriptedResponse::status(503));
    let tokens = vault.get_fresh(&account, &channel).await.unwrap().unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "4e4b6f70736c7a5a-a0", "the current token still serves");
    let tokens = vault.get_fresh(&account, &channel).await.unwrap().unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "4e4b6f70736c7a5a-a1", "the next use refreshed");

    // Expired, and the platform is down: a temporary error, not a stale token.
    clock.advance(Duration::from_secs(common::ACCESS_LIFETIME as u64 + 1));
    platform.enqueue(ScriptedResponse::status(502));
    let error = vault.get_fresh(&account, &channel).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PlatformUnavailable);
    assert!(error.is_temporary());
}

#[tokio::test]
async fn tokens_far_from_expiry_are_not_refreshed_and_missing_ones_are_none() {
    let (platform, _books) = shopee_platform("r0").await;
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)));
    let vault = vault(Arc::new(MemorySealedBackend::new()), clock.clone());
    let channel = RefreshingChannel::new(&platform, clock.clone());
    let account = shop("acme");
    assert!(vault.get_fresh(&account, &channel).await.unwrap().is_none());
    vault.put(&account.tenant, account.id, shop_tokens("r0", 3_600)).await.unwrap();
    vault.get_fresh(&account, &channel).await.unwrap().unwrap();
    assert_eq!(platform.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_now_refreshes_tokens_not_yet_due_once_for_concurrent_callers() {
    let (platform, books) = shopee_platform("r0").await;
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)));
    let vault = vault(Arc::new(MemorySealedBackend::new()), clock.clone());
    let channel = Arc::new(RefreshingChannel::new(&platform, clock.clone()));
    let account = shop("acme");
    // Three hours left: get_fresh would not refresh.
    vault.put(&account.tenant, account.id, shop_tokens("r0", 3 * 3600)).await.unwrap();
    vault.get_fresh(&account, channel.as_ref()).await.unwrap().unwrap();
    assert_eq!(platform.request_count(), 0);

    let start = Arc::new(tokio::sync::Barrier::new(20));
    let callers: Vec<_> = (0..20)
        .map(|_| {
            let (vault, channel, account, start) = (vault.clone(), channel.clone(), account.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                vault.refresh_now(&account, channel.as_ref()).await
            })
        })
        .collect();
    for caller in callers {
        let tokens = caller.await.unwrap().unwrap().unwrap();
        assert_eq!(tokens.access_token.expose_secret(), "4e4b6f70736c7a5a-a1");
    }
    assert_eq!(platform.request_count(), 1);
    assert_eq!(books.lock().unwrap().spent.len(), 1, "no refresh token was presented twice");
    // An account without tokens has nothing to refresh.
    assert!(vault.refresh_now(&shop("globex"), channel.as_ref()).await.unwrap().is_none());
}
