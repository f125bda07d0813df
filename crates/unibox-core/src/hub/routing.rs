//! Routing inbound events to channel accounts, with a cache so the hot path does not read the
//! store for every event, and the record of the events no connected account owns.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use crate::inbox::ChannelAccounts;
use crate::{ChannelAccount, ChannelAccountId, ChannelId, InboundEvent, Result, TenantId, Timestamp};

/// How many unroutable events [`Hub::unroutable`](crate::Hub::unroutable) keeps, newest last.
pub const UNROUTABLE_RECENT_LIMIT: usize = 128;

/// The owner of a platform account: its tenant and account id.
type Route = (TenantId, ChannelAccountId);

/// Maps (channel, platform account id) to the owning tenant and account id.
///
/// Keyed by channel, then by platform account id, so a lookup borrows the event's `&str`
/// instead of building an owned key for every event of every webhook.
#[derive(Debug, Default)]
pub(crate) struct RouteCache {
    routes: RwLock<HashMap<ChannelId, HashMap<String, Route>>>,
    pub(crate) unroutable: UnroutableLog,
}

impl RouteCache {
    pub(crate) fn remember(&self, account: &ChannelAccount) {
        let mut routes = self.routes.write().unwrap_or_else(|p| p.into_inner());
        routes
            .entry(account.channel.clone())
            .or_default()
            .insert(account.platform_account_id.clone(), (account.tenant.clone(), account.id));
    }

    pub(crate) fn forget(&self, account: &ChannelAccount) {
        let mut routes = self.routes.write().unwrap_or_else(|p| p.into_inner());
        if let Some(accounts) = routes.get_mut(&account.channel) {
            accounts.remove(&account.platform_account_id);
        }
    }

    /// Forgets every route to `tenant`.
    pub(crate) fn forget_tenant(&self, tenant: &TenantId) {
        let mut routes = self.routes.write().unwrap_or_else(|p| p.into_inner());
        for accounts in routes.values_mut() {
            accounts.retain(|_, (owner, _)| owner != tenant);
        }
    }

    /// The route for an event, from the cache or the store; `None` when no connected account
    /// owns it (disconnected accounts have no route). Fails only when the store does.
    pub(crate) async fn resolve(
        &self,
        accounts: &dyn ChannelAccounts,
        channel: &ChannelId,
        platform_account_id: &str,
    ) -> Result<Option<Route>> {
        let cached = self
            .routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(channel)
            .and_then(|accounts| accounts.get(platform_account_id))
            .cloned();
        if cached.is_some() {
            return Ok(cached);
        }
        match accounts.route(channel, platform_account_id).await? {
            Some(account) if account.state != crate::ChannelAccountState::Disconnected => {
                self.remember(&account);
                Ok(Some((account.tenant, account.id)))
            }
            _ => Ok(None),
        }
    }
}

/// An inbound event no connected account owns, as an operator sees it: where it came from and
/// what kind it was, never what it said.
///
/// ```
/// use unibox_core::hub::UnroutableEvent;
/// fn describe(event: &UnroutableEvent) -> String {
///     format!("{} event for account {} on channel {} at {}", event.event_kind, event.account, event.channel, event.received_at)
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnroutableEvent {
    /// The channel the webhook arrived on.
    pub channel: ChannelId,
    /// The platform's id of the account the event names (page id, phone number id, bot id).
    pub account: String,
    /// The event's kind ([`EventKind::name`](crate::EventKind::name)): `"message"`, `"delivery"`, ...
    pub event_kind: &'static str,
    /// When the hub received it.
    pub received_at: Timestamp,
}

/// The unroutable events since the hub started: how many, and the most recent ones.
///
/// ```
/// use unibox_core::hub::UnroutableReport;
/// fn alert(report: &UnroutableReport) -> Option<String> {
///     let last = report.recent.last()?;
///     Some(format!("{} unroutable events; the last for account {} on {}", report.total, last.account, last.channel))
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnroutableReport {
    /// Every unroutable event since the hub started.
    pub total: u64,
    /// The most recent ones, oldest first, at most [`UNROUTABLE_RECENT_LIMIT`].
    pub recent: Vec<UnroutableEvent>,
}

/// A counter and a bounded ring of recent unroutable events, kept in memory: enough for an
/// operator to see which stale account is still sending, without storing customer content.
#[derive(Debug, Default)]
pub(crate) struct UnroutableLog {
    total: AtomicU64,
    recent: Mutex<VecDeque<UnroutableEvent>>,
}

impl UnroutableLog {
    pub(crate) fn record(&self, channel: &ChannelId, event: &InboundEvent, received_at: Timestamp) {
        let kind = event.kind.name();
        tracing::warn!(
            target: "unibox::webhook",
            channel = %channel,
            account = %event.account,
            event_kind = kind,
            "no connected account owns this event; it was not stored (connect the account, or unsubscribe it on the platform)"
        );
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() == UNROUTABLE_RECENT_LIMIT {
            recent.pop_front();
        }
        recent.push_back(UnroutableEvent {
            channel: channel.clone(),
            account: event.account.clone(),
            event_kind: kind,
            received_at,
        });
    }

    pub(crate) fn report(&self) -> UnroutableReport {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        UnroutableReport { total: self.total.load(Ordering::Relaxed), recent: recent.iter().cloned().collect() }
    }
}
