//! [`HistoryWorker`]: runs back-fills and lost-push recovery with durable cursors.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::delivery::WorkerHandle;
use crate::history::{ConversationHistory, HistoryPage, SyncCursor, SyncCursorStore, SyncStream};
use crate::{ChannelAccount, ChannelAccountState, Error, ErrorKind, Hub, Result, TenantId};

/// What one run of a pull did.
///
/// ```
/// use unibox_core::history::SyncReport;
/// assert_eq!(SyncReport::default().pages, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncReport {
    /// Pages pulled and stored.
    pub pages: usize,
    /// Events on them.
    pub events: usize,
    /// Events accepted as new. A journaling inbox (SQLite on a file) recognises an event
    /// applied earlier only when it applies it: such a copy counts here and is still stored
    /// once.
    pub stored: usize,
    /// Events the inbox recognised at once as stored before (already pushed or pulled).
    pub duplicates: usize,
    /// The back-fill went through its last page (always false for lost pushes, which go on).
    pub finished: bool,
}

impl SyncReport {
    fn add(&mut self, other: SyncReport) {
        self.pages += other.pages;
        self.events += other.events;
        self.stored += other.stored;
        self.duplicates += other.duplicates;
        self.finished |= other.finished;
    }
}

/// Pulls history and lost pushes for channel accounts whose channel offers
/// [`Channel::history`](crate::Channel::history), page by page:
///
/// 1. waits for the account's turn under the channel's
///    [`rate_limits`](crate::channel::Capabilities::rate_limits) (the same limiter sends use,
///    so pulls and sends of one shop share its quota);
/// 2. pulls one page with the account's fresh access token;
/// 3. stores it through [`Hub::accept_pulled`] (deduplicated against pushes by event id);
/// 4. only then saves the cursor ([`SyncCursorStore`]) and, for lost pushes, confirms them to
///    the platform.
///
/// A crash between 3 and 4 pulls the page again and stores nothing twice. A back-fill, once
/// finished, is not repeated; lost-push recovery runs every time.
///
/// ```no_run
/// # async fn run(hub: unibox_core::Hub, shop: unibox_core::ChannelAccount) -> unibox_core::Result<()> {
/// use unibox_core::history::HistoryWorker;
/// let worker = HistoryWorker::new(hub)?;
/// let report = worker.backfill(&shop).await?;
/// println!("{} pages, {} new events", report.pages, report.stored);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct HistoryWorker {
    hub: Hub,
    cursors: Arc<dyn SyncCursorStore>,
    max_pages: usize,
    max_wait: Duration,
}

impl HistoryWorker {
    /// A worker for `hub`, keeping cursors in the hub's store. Fails with `Configuration` when
    /// the store keeps no cursors ([`StoreCapabilities::sync_cursors`](crate::store::StoreCapabilities::sync_cursors)).
    pub fn new(hub: Hub) -> Result<Self> {
        let cursors = hub.sync_cursors().cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "the hub's store keeps no sync cursors (StoreCapabilities::sync_cursors)",
            )
            .with_operation("history.worker")
        })?;
        Ok(HistoryWorker { hub, cursors, max_pages: 100, max_wait: Duration::from_secs(30) })
    }

    /// At most this many pages per pull and run (default 100); the next run goes on from the
    /// saved cursor.
    pub fn max_pages_per_run(mut self, pages: usize) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// Back-fills `account`'s history from its saved cursor until the last page or
    /// [`max_pages_per_run`](Self::max_pages_per_run). Does nothing once finished.
    pub async fn backfill(&self, account: &ChannelAccount) -> Result<SyncReport> {
        self.pull(account, SyncStream::Backfill).await
    }

    /// Pulls and stores the pushes the platform kept for `account` because they were not
    /// delivered, and confirms them. Fails with `Unsupported` when the platform keeps none.
    pub async fn recover_lost_pushes(&self, account: &ChannelAccount) -> Result<SyncReport> {
        self.pull(account, SyncStream::LostPushes).await
    }

    /// One round over the tenant's connected accounts whose channel can pull: each back-fill
    /// goes on, lost pushes are recovered where the platform keeps them. An account that
    /// fails is logged and skipped; the first error is returned after the others ran.
    pub async fn run_once(&self, tenant: &TenantId) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        let mut first_error = None;
        for account in self.hub.inbox().accounts(tenant).await? {
            if account.state != ChannelAccountState::Connected {
                continue;
            }
            let Some(channel) = self.hub.channel(&account.channel) else { continue };
            let Some(history) = channel.history() else { continue };
            let keeps_lost_pushes = history.keeps_lost_pushes();
            let mut streams = vec![SyncStream::Backfill];
            if keeps_lost_pushes {
                streams.push(SyncStream::LostPushes);
            }
            for stream in streams {
                match self.pull(&account, stream).await {
                    Ok(pulled) => report.add(pulled),
                    Err(error) => {
                        tracing::warn!(target: "unibox::history", account = %account.id, stream = stream.as_str(), kind = %error.kind(), %error, "pull failed");
                        first_error.get_or_insert(error);
                    }
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(report),
        }
    }

    /// Runs [`run_once`](Self::run_once) for each tenant every `interval` on a tokio task until
    /// [`WorkerHandle::shutdown`].
    pub fn spawn(self, tenants: Vec<TenantId>, interval: Duration) -> WorkerHandle {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            loop {
                for tenant in &tenants {
                    // Errors are logged per account inside; the loop goes on.
                    let _ = self.run_once(tenant).await;
                }
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(interval) => {}
                }
            }
        });
        WorkerHandle::new(stop, task)
    }

    async fn pull(&self, account: &ChannelAccount, stream: SyncStream) -> Result<SyncReport> {
        let operation = match stream {
            SyncStream::Backfill => "history.backfill",
            _ => "history.lost_pushes",
        };
        let channel = self.hub.channel(&account.channel).cloned().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, format!("no channel is registered as {}", account.channel))
                .with_operation(operation)
        })?;
        let history: &dyn ConversationHistory = channel.history().ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, format!("the {} channel cannot list its history", account.channel))
                .with_operation(operation)
        })?;
        let tenant = &account.tenant;
        let saved = self.cursors.cursor(tenant, account.id, stream).await?;
        let mut report = SyncReport::default();
        if saved.as_ref().is_some_and(|c| c.finished) {
            report.finished = true;
            return Ok(report);
        }
        let mut position = saved.and_then(|c| c.position);
        let limits = channel.capabilities().rate_limits;
        for _ in 0..self.max_pages {
            // Pulls count against the shop's quota like sends; a wait longer than max_wait ends
            // the run (the cursor is saved), the next run goes on.
            match self.hub.delivery().limiter.reserve(account.id, "history", &limits, self.max_wait) {
                Ok(wait) if !wait.is_zero() => tokio::time::sleep(wait).await,
                Ok(_) => {}
                Err(_) => break,
            }
            let tokens = self.hub.access_token(tenant, account).await.map_err(|e| e.with_operation(operation))?;
            let token = tokens.as_ref().map(|t| &t.access_token);
            let page: HistoryPage = match stream {
                SyncStream::Backfill => history.backfill(account, token, position.as_deref()).await,
                _ => history.lost_pushes(account, token, position.as_deref()).await,
            }
            .map_err(|e| e.with_operation(operation).with_context("account", account.id))?;
            let events = page.events.len();
            let receipt = self.hub.accept_pulled(&account.channel, page.events).await?;
            report.pages += 1;
            report.events += events;
            report.stored += receipt.stored;
            report.duplicates += receipt.duplicates;
            let now = self.hub.clock().now();
            match (stream, page.next) {
                (SyncStream::Backfill, None) => {
                    self.cursors.save_cursor(tenant, account.id, stream, &SyncCursor::finished(now)).await?;
                    report.finished = true;
                    break;
                }
                (SyncStream::Backfill, Some(next)) => {
                    self.cursors.save_cursor(tenant, account.id, stream, &SyncCursor::at(next.clone(), now)).await?;
                    position = Some(next);
                }
                (_, next) => {
                    // Lost pushes: confirmed once stored, so the platform drops them; the next
                    // call lists what is left.
                    if events > 0
                        && let Some(through) = &next
                    {
                        history.confirm_lost_pushes(account, token, through).await?;
                        self.cursors
                            .save_cursor(tenant, account.id, stream, &SyncCursor::at(through.clone(), now))
                            .await?;
                    }
                    if events == 0 || next.is_none() {
                        break;
                    }
                }
            }
        }
        Ok(report)
    }
}
