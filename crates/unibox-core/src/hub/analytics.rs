//! Analytics reports, and the projection that keeps analytics up to date from the change log.
//!
//! Analytics follow each tenant's durable change log ([`ChangeLog`]): a projector reads the
//! changes after the position the tenant's analytics reflect, turns them into observations
//! ([`observations_of`]) and records them together with the new position
//! ([`Analytics::record`]), one page at a time. Nothing is queued in memory but the names of
//! tenants with news: when analytics fall behind, the log holds what they have not read yet,
//! and a crash loses nothing (the position and the tallies move in one step). A background
//! task catches up each tenant the hub changed; a report first catches up to the head of the
//! log, so it reflects every change the caller has seen succeed, and says which position it
//! reflects ([`AnalyticsReport::position`]).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::analytics::{Analytics, AnalyticsQuery, AnalyticsReport, ChangeSpan, observations_of};
use crate::changes::{ChangeLog, Position};
use crate::hub::Hub;
use crate::inbox::InboxReads;
use crate::{Action, Actor, Error, ErrorKind, Resource, Result, TenantId};

/// How many changes one step of the projection reads and records.
const PAGE: usize = crate::changes::MAX_READ;
/// The most tenants remembered as having news. Beyond it a tenant is caught up by its next
/// report instead of in the background: its changes wait in the log, none are lost.
const MAX_PENDING_TENANTS: usize = 65_536;

/// The least time between two background catch-up passes. A pass reads the head of the log,
/// which makes a store that applies accepted events later (the SQLite inbound journal) apply
/// them now; one pass per webhook would keep it applying a few events at a time, the costliest
/// way. Reports never wait for this: they catch up themselves.
const PASS_SPACING: std::time::Duration = std::time::Duration::from_millis(250);

/// The projector of one hub: the tenants with news, and the wake-up of the background task
/// ([`Hub::start_background`] starts it; without it, reports catch up by themselves).
#[derive(Debug, Default)]
pub(crate) struct AnalyticsProjection {
    pending: Arc<Mutex<HashSet<TenantId>>>,
    /// Holds one wake-up while the task is busy, so news during a pass is never missed.
    wake: Arc<Notify>,
    /// One projector per hub at a time: a report waits for the background task rather than
    /// reading the same changes alongside it.
    turn: Arc<tokio::sync::Mutex<()>>,
}

/// How far a tenant's analytics are behind its change log, from [`Hub::analytics_lag`].
///
/// ```
/// use unibox_core::changes::Position;
/// use unibox_core::hub::AnalyticsLag;
/// let lag = AnalyticsLag { reflected: Position::new(40), head: Position::new(42) };
/// assert!(!lag.caught_up());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsLag {
    /// The last change analytics reflect.
    pub reflected: Position,
    /// The tenant's latest change.
    pub head: Position,
}

impl AnalyticsLag {
    /// Whether analytics reflect every change.
    pub fn caught_up(&self) -> bool {
        self.reflected >= self.head
    }
}

impl Hub {
    /// Response times, resolution times and message counts of the actor's tenant for a range of
    /// UTC days, in total, per day, per agent and per account. Requires
    /// [`Action::ViewAnalytics`] and an inbox with a change log. Every change made before the
    /// call is included: analytics first catch up with the log, and the report says the
    /// position it reflects.
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, admin: unibox_core::Actor) -> unibox_core::Result<()> {
    /// use unibox_core::analytics::AnalyticsQuery;
    /// use unibox_core::Timestamp;
    /// let november = AnalyticsQuery::new(Timestamp::from_unix_seconds(1_730_419_200), Timestamp::from_unix_seconds(1_733_011_200));
    /// let report = hub.analytics(&admin, &november).await?;
    /// println!("median first response: {:?} (through change {})", report.totals.first_response.p50, report.position);
    /// # Ok(()) }
    /// ```
    pub async fn analytics(&self, actor: &Actor, query: &AnalyticsQuery) -> Result<AnalyticsReport> {
        const OP: &str = "hub.analytics";
        self.authorize(actor, Action::ViewAnalytics, Resource::Tenant)?;
        query.validate()?;
        let tenant = actor.tenant();
        let log = change_log(&self.inner.store.changes).map_err(|e| e.with_operation(OP))?;
        let head = log.head(tenant).await.map_err(|e| e.with_operation(OP))?;
        self.project(tenant, head).await.map_err(|e| e.with_operation(OP))?;
        self.inner.store.analytics.report(tenant, query).await.map_err(|e| e.with_operation(OP))
    }

    /// How far the actor's tenant's analytics are behind its change log, without catching up.
    /// Requires [`Action::ViewAnalytics`] and an inbox with a change log. Trim the log
    /// ([`ChangeLog::trim`]) only of changes analytics reflect.
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, admin: unibox_core::Actor) -> unibox_core::Result<()> {
    /// let lag = hub.analytics_lag(&admin).await?;
    /// println!("analytics at {} of {}", lag.reflected, lag.head);
    /// # Ok(()) }
    /// ```
    pub async fn analytics_lag(&self, actor: &Actor) -> Result<AnalyticsLag> {
        const OP: &str = "hub.analytics_lag";
        self.authorize(actor, Action::ViewAnalytics, Resource::Tenant)?;
        let log = change_log(&self.inner.store.changes).map_err(|e| e.with_operation(OP))?;
        let head = log.head(actor.tenant()).await.map_err(|e| e.with_operation(OP))?;
        let reflected = self.inner.store.analytics.position(actor.tenant()).await.map_err(|e| e.with_operation(OP))?;
        Ok(AnalyticsLag { reflected, head })
    }

    /// Tells the projection that `tenants` changed; the background task (if started) catches
    /// them up. The bus relay hears of them too ([`Hub::relay_changed`]), and this hub's
    /// subscriptions are woken. Cheap and never waits: it remembers the names and wakes the tasks.
    pub(crate) fn analytics_changed<'a>(&self, tenants: impl IntoIterator<Item = &'a TenantId>) {
        let projection = &self.inner.projection;
        {
            let mut pending = projection.pending.lock().unwrap_or_else(PoisonError::into_inner);
            for tenant in tenants {
                if pending.len() < MAX_PENDING_TENANTS && !pending.contains(tenant) {
                    pending.insert(tenant.clone());
                }
                self.relay_changed(tenant);
            }
        }
        projection.wake.notify_one();
        self.delivery().changed.notify_waiters();
    }

    /// Catches the tenant's analytics up to `until` (or the end of the log, if it ends sooner).
    /// Brings `tenant`'s analytics up to its change log's head (nothing without a change log):
    /// an erasure calls it first, so the anonymous tallies count what it is about to delete.
    pub(crate) async fn project_to_head(&self, tenant: &TenantId) -> Result<()> {
        let Some(log) = &self.inner.store.changes else { return Ok(()) };
        let head = log.head(tenant).await?;
        self.project(tenant, head).await
    }

    async fn project(&self, tenant: &TenantId, until: Position) -> Result<()> {
        self.projector().catch_up(tenant, until).await
    }

    fn projector(&self) -> Projector {
        Projector {
            changes: self.inner.store.changes.clone(),
            reads: self.inner.store.reads.clone(),
            analytics: self.inner.store.analytics.clone(),
            turn: self.inner.projection.turn.clone(),
        }
    }

    /// The background projection: catches up the tenants the hub heard of, for as long as the
    /// returned future runs ([`Hub::start_background`] runs it).
    pub(crate) fn analytics_projection_task(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let projection = &self.inner.projection;
        self.projector().run(projection.pending.clone(), projection.wake.clone())
    }
}

fn change_log(changes: &Option<Arc<dyn ChangeLog>>) -> Result<&dyn ChangeLog> {
    changes.as_deref().ok_or_else(|| {
        Error::new(ErrorKind::Unsupported, "analytics follow the store's change log, and this store keeps none")
    })
}

/// What reads the log and records analytics; the background task and reports share one.
struct Projector {
    changes: Option<Arc<dyn ChangeLog>>,
    reads: Arc<dyn InboxReads>,
    analytics: Arc<dyn Analytics>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl Projector {
    /// The background task: catches up the tenants with news, each time it is woken, until it
    /// is stopped.
    async fn run(self, pending: Arc<Mutex<HashSet<TenantId>>>, wake: Arc<Notify>) {
        let mut last_pass: Option<tokio::time::Instant> = None;
        loop {
            wake.notified().await;
            if let Some(last) = last_pass {
                // Webhooks arriving meanwhile add their tenants to this pass.
                tokio::time::sleep_until(last + PASS_SPACING).await;
            }
            last_pass = Some(tokio::time::Instant::now());
            let tenants: Vec<TenantId> = pending.lock().unwrap_or_else(PoisonError::into_inner).drain().collect();
            for tenant in tenants {
                let Some(log) = self.changes.as_deref() else { return };
                let caught_up = match log.head(&tenant).await {
                    Ok(head) => self.catch_up(&tenant, head).await,
                    Err(error) => Err(error),
                };
                if let Err(error) = caught_up {
                    // The changes stay in the log: the next wake-up or report tries again.
                    tracing::error!(target: "unibox::analytics", %error, %tenant, "analytics could not catch up");
                }
            }
        }
    }

    async fn catch_up(&self, tenant: &TenantId, until: Position) -> Result<()> {
        let log = change_log(&self.changes)?;
        loop {
            let _turn = self.turn.lock().await;
            let after = self.analytics.position(tenant).await?;
            if after >= until {
                return Ok(());
            }
            let events = log.read(tenant, after, PAGE).await?;
            let Some(last) = events.last() else { return Ok(()) };
            let observations = observations_of(self.reads.as_ref(), &events).await?;
            match self.analytics.record(tenant, ChangeSpan::new(after, last.position), &observations).await {
                Ok(()) => {}
                // Another projector (another hub or process on the same store) recorded these
                // first: go on from where it got to. It moved the position, so this ends.
                Err(error) if error.kind() == ErrorKind::Conflict => {
                    if self.analytics.position(tenant).await? == after {
                        return Err(error);
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }
}
