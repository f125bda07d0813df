//! The vault over PostgreSQL: the token store conformance suite, one refresh across two
//! connection pools (two processes), a key rotation across tenants, and crypto-shredding.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use secrecy::ExposeSecret;
use unibox_core::channel::{Capabilities, SendReceipt, SendRequest, Verified, WebhookRequest};
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, Error, ErrorKind, InboundEvent, ManualClock, Result, SealedTokenBackend,
    Timestamp, TokenSet, TokenStore,
};
use unibox_store_postgres::PostgresInbox;
use unibox_store_postgres::testing::TestDatabase;
use unibox_vault::{Keyring, Vault};

const NOW: i64 = 1_732_147_200;

fn keyring() -> Keyring {
    Keyring::new().with_key(1, [0x42; 32])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vault_over_postgres_passes_the_token_store_conformance_suite() {
    let Some(database) = TestDatabase::create("the_vault_over_postgres_passes_the_token_store_conformance_suite").await
    else {
        return;
    };
    let inbox = Arc::new(PostgresInbox::connect(&database.app_options()).await.unwrap());
    unibox_testkit::tokens::run_all(&Vault::builder(inbox, Arc::new(keyring())).build()).await;
}

/// A channel whose refresh succeeds slowly, counting the refreshes that reach it.
#[derive(Debug, Default)]
struct SlowRefresh {
    capabilities: Capabilities,
    refreshes: AtomicUsize,
}

#[async_trait]
impl Channel for SlowRefresh {
    fn kind(&self) -> ChannelKind {
        ChannelKind::SHOPEE
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    fn verify<'r>(&self, _request: &'r WebhookRequest) -> Result<Verified<'r>> {
        Err(Error::new(ErrorKind::SignatureInvalid, "this channel receives no webhooks"))
    }
    fn parse(&self, _request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        Ok(Vec::new())
    }
    async fn send(&self, _request: &SendRequest<'_>) -> Result<SendReceipt> {
        Err(Error::new(ErrorKind::Unsupported, "this channel does not send"))
    }
    async fn refresh_tokens(&self, _account: &ChannelAccount, _tokens: &TokenSet) -> Result<TokenSet> {
        let n = self.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(TokenSet::new(format!("refreshed-access-{n}"))
            .with_refresh_token(format!("refreshed-refresh-{n}"))
            .expiring_at(Timestamp::from_unix_seconds(NOW + 4 * 3600)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_vaults_on_two_pools_refresh_exactly_once() {
    let Some(database) = TestDatabase::create("two_vaults_on_two_pools_refresh_exactly_once").await else {
        return;
    };
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(NOW)));
    let mut vaults = Vec::new();
    for _ in 0..2 {
        // Each its own pool: two processes sharing the database.
        let inbox = Arc::new(PostgresInbox::connect(&database.app_options()).await.unwrap());
        let vault = Vault::builder(inbox as Arc<dyn SealedTokenBackend>, Arc::new(keyring()))
            .clock(clock.clone())
            .lease_poll(Duration::from_millis(10))
            .build();
        vaults.push(vault);
    }
    let account = ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-shopee".parse().unwrap(),
        ChannelKind::SHOPEE,
        "600000012",
        Timestamp::from_unix_seconds(NOW - 86_400),
    );
    let expiring = TokenSet::new("old-access")
        .with_refresh_token("old-refresh")
        .expiring_at(Timestamp::from_unix_seconds(NOW + 60));
    vaults[0].put(&account.tenant, account.id, expiring).await.unwrap();

    let channel = Arc::new(SlowRefresh::default());
    let callers: Vec<_> = (0..40)
        .map(|i| {
            let vault = vaults[i % 2].clone();
            let (channel, account) = (channel.clone(), account.clone());
            tokio::spawn(async move { vault.get_fresh(&account, channel.as_ref()).await })
        })
        .collect();
    for caller in callers {
        let tokens = caller.await.unwrap().unwrap().expect("tokens");
        assert_eq!(tokens.access_token.expose_secret(), "refreshed-access-1");
    }
    assert_eq!(channel.refreshes.load(Ordering::SeqCst), 1, "exactly one refresh reached the platform");
    let stored = vaults[1].get(&account.tenant, account.id).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose_secret(), "refreshed-refresh-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_rewraps_every_tenant_s_keys_and_a_shred_destroys_one_tenant_s() {
    let Some(database) =
        TestDatabase::create("a_rotation_rewraps_every_tenant_s_keys_and_a_shred_destroys_one_tenant_s").await
    else {
        return;
    };
    let inbox = Arc::new(PostgresInbox::connect(&database.app_options()).await.unwrap());
    let old = Vault::builder(inbox.clone(), Arc::new(keyring())).build();
    let tenants = ["acme", "globex", "initech"].map(|name| name.parse::<unibox_core::TenantId>().unwrap());
    let account = unibox_core::ChannelAccountId::new();
    for tenant in &tenants {
        old.put(tenant, account, TokenSet::new(format!("token-of-{tenant}"))).await.unwrap();
    }
    assert_eq!(inbox.data_keys_not_wrapped_with(1, 100).await.unwrap().len(), 0);
    assert_eq!(inbox.data_keys_not_wrapped_with(2, 100).await.unwrap().len(), 3, "the stale keys of every tenant");
    assert_eq!(inbox.data_keys_not_wrapped_with(2, 2).await.unwrap().len(), 2, "the limit holds");

    let rotated = Vault::builder(inbox.clone(), Arc::new(keyring().with_key(2, [0x17; 32]))).build();
    let report = rotated.rotate().await.unwrap();
    assert_eq!((report.kek_version, report.rewrapped), (2, 3));
    assert!(inbox.data_keys_not_wrapped_with(2, 100).await.unwrap().is_empty());
    for tenant in &tenants {
        let tokens = rotated.get(tenant, account).await.unwrap().unwrap();
        assert_eq!(tokens.access_token.expose_secret(), format!("token-of-{tenant}"));
    }

    assert_eq!(rotated.shred_tenant(&tenants[0]).await.unwrap(), 1);
    assert!(inbox.data_keys(&tenants[0]).await.unwrap().is_empty());
    assert!(rotated.get(&tenants[0], account).await.unwrap().is_none(), "the shredded tenant's tokens are gone");
    assert!(rotated.get(&tenants[1], account).await.unwrap().is_some(), "the others' stay");
}
