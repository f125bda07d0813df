//! A decorator of a store's ingest, which can be held (to fill the server) or broken (to make
//! the store fail), and of its routing, which can be broken (to fail readiness). Every other
//! part of the store is left alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use tokio::sync::Semaphore;
use unibox_core::inbox::{ChannelAccounts, EventIngest, IngestOutcome, RoutedEvent};
use unibox_core::store::Store;
use unibox_core::{ChannelAccount, ChannelAccountId, ChannelId, Error, ErrorKind, Result, TenantId};

#[derive(Debug)]
pub struct GatedInbox {
    accounts: Arc<dyn ChannelAccounts>,
    ingest: Arc<dyn EventIngest>,
    /// Ingest waits for a permit here while `held`.
    gate: Semaphore,
    held: AtomicBool,
    pub broken_ingest: AtomicBool,
    pub broken_reads: AtomicBool,
    /// Ingest calls that are waiting at the gate.
    pub waiting: AtomicUsize,
}

impl GatedInbox {
    /// Gates `store`'s ingest and routing: install the result in its place with [`GatedInbox::install`].
    pub fn new(store: &Store) -> Self {
        GatedInbox {
            accounts: store.accounts.clone(),
            ingest: store.ingest.clone(),
            gate: Semaphore::new(0),
            held: AtomicBool::new(false),
            broken_ingest: AtomicBool::new(false),
            broken_reads: AtomicBool::new(false),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Puts the gate in front of `store`'s ingest and routing; every other part stays.
    pub fn install(self: &Arc<Self>, store: &mut Store) {
        store.accounts = self.clone();
        store.ingest = self.clone();
    }

    pub fn hold(&self) {
        self.held.store(true, Ordering::SeqCst);
    }

    pub fn release(&self) {
        self.held.store(false, Ordering::SeqCst);
        self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

fn storage_down() -> Error {
    Error::new(ErrorKind::Storage, "the disk holding the database is full")
}

#[async_trait]
impl ChannelAccounts for GatedInbox {
    async fn save_account(&self, account: &ChannelAccount) -> Result<()> {
        self.accounts.save_account(account).await
    }
    async fn account(&self, tenant: &TenantId, id: ChannelAccountId) -> Result<ChannelAccount> {
        self.accounts.account(tenant, id).await
    }
    async fn accounts(&self, tenant: &TenantId) -> Result<Vec<ChannelAccount>> {
        self.accounts.accounts(tenant).await
    }
    async fn route(&self, channel: &ChannelId, platform_account_id: &str) -> Result<Option<ChannelAccount>> {
        if self.broken_reads.load(Ordering::SeqCst) {
            return Err(storage_down());
        }
        self.accounts.route(channel, platform_account_id).await
    }
}

/// Ingest through the gate; `accept` is the default (it ingests), so it passes the gate too.
#[async_trait]
impl EventIngest for GatedInbox {
    fn accepting(&self) -> Result<()> {
        self.ingest.accepting()
    }

    async fn ingest(&self, events: Vec<RoutedEvent>) -> Result<Vec<IngestOutcome>> {
        if self.held.load(Ordering::SeqCst) {
            self.waiting.fetch_add(1, Ordering::SeqCst);
            let permit = self.gate.acquire().await;
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
        }
        if self.broken_ingest.load(Ordering::SeqCst) {
            return Err(storage_down());
        }
        self.ingest.ingest(events).await
    }
}
