//! Several processes starting at once on a shared store each ensure the same configured account:
//! the one whose insert loses the race finds the account the winner connected and carries on,
//! instead of failing its start with a conflict.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use unibox_core::channel::{Capabilities, SendReceipt, SendRequest, Verified, WebhookRequest};
use unibox_core::inbox::ChannelAccounts;
use unibox_core::memory::MemoryStore;
use unibox_core::store::Store;
use unibox_core::{
    Actor, Channel, ChannelAccount, ChannelAccountId, ChannelId, ChannelKind, Error, ErrorKind, Hub, InboundEvent,
    Result, Role, TenantId, Timestamp, async_trait,
};

/// A channel that is only registered, never called.
#[derive(Debug, Default)]
struct Registered(Capabilities);

#[async_trait]
impl Channel for Registered {
    fn kind(&self) -> ChannelKind {
        ChannelKind::WEBHOOK
    }
    fn capabilities(&self) -> &Capabilities {
        &self.0
    }
    fn verify<'r>(&self, _request: &'r WebhookRequest) -> Result<Verified<'r>> {
        Err(Error::new(ErrorKind::Unsupported, "not called"))
    }
    fn parse(&self, _request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        Ok(Vec::new())
    }
    async fn send(&self, _request: &SendRequest<'_>) -> Result<SendReceipt> {
        Err(Error::new(ErrorKind::Unsupported, "not called"))
    }
}

/// Accounts whose first route lookup misses: what a process sees when another one connects the
/// same platform account between its lookup and its insert.
#[derive(Debug)]
struct LateRoute {
    inner: Arc<dyn ChannelAccounts>,
    missed: AtomicBool,
}

#[async_trait]
impl ChannelAccounts for LateRoute {
    async fn save_account(&self, account: &ChannelAccount) -> Result<()> {
        self.inner.save_account(account).await
    }
    async fn account(&self, tenant: &TenantId, id: ChannelAccountId) -> Result<ChannelAccount> {
        self.inner.account(tenant, id).await
    }
    async fn accounts(&self, tenant: &TenantId) -> Result<Vec<ChannelAccount>> {
        self.inner.accounts(tenant).await
    }
    async fn route(&self, channel: &ChannelId, platform_account_id: &str) -> Result<Option<ChannelAccount>> {
        if !self.missed.swap(true, Ordering::SeqCst) {
            return Ok(None);
        }
        self.inner.route(channel, platform_account_id).await
    }
}

fn channel() -> ChannelId {
    "acme-orders".parse().unwrap()
}

fn shop(tenant: &str) -> ChannelAccount {
    ChannelAccount::new(tenant.parse().unwrap(), channel(), ChannelKind::WEBHOOK, "shop-bangkok", Timestamp::now())
}

fn admin(tenant: &str) -> Actor {
    Actor::user(tenant.parse().unwrap(), "ops".parse().unwrap(), Role::Admin)
}

/// Two hubs over one store, as two processes over one database; the second one's first route
/// lookup runs before the first one's insert.
fn racing_hubs() -> (Hub, Hub) {
    let shared: Store = MemoryStore::new().into();
    let mut late = shared.clone();
    late.accounts = Arc::new(LateRoute { inner: shared.accounts.clone(), missed: AtomicBool::new(false) });
    let hub = |store: Store| Hub::builder(store).channel(channel(), Arc::new(Registered::default())).build();
    (hub(shared), hub(late))
}

#[tokio::test]
async fn an_account_another_process_connected_meanwhile_is_ensured_not_refused() {
    let (first, second) = racing_hubs();
    let won = first.ensure_account(&admin("acme"), shop("acme"), None).await.unwrap();
    let ensured = second.ensure_account(&admin("acme"), shop("acme").with_display_name("Bangkok"), None).await.unwrap();
    assert_eq!(ensured.id, won.id, "the account the first process connected");
    assert_eq!(ensured.display_name, "Bangkok", "updated as on any later start");
    let tenant: TenantId = "acme".parse().unwrap();
    assert_eq!(first.store().accounts.accounts(&tenant).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_platform_account_another_tenant_connected_meanwhile_is_still_refused() {
    let (first, second) = racing_hubs();
    first.ensure_account(&admin("acme"), shop("acme"), None).await.unwrap();
    let error = second.ensure_account(&admin("globex"), shop("globex"), None).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict);
    let globex: TenantId = "globex".parse().unwrap();
    assert!(first.store().accounts.accounts(&globex).await.unwrap().is_empty());
}
