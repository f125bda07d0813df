use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::analytics::{
    Analytics, AnalyticsQuery, AnalyticsReport, ChangeSpan, ConversationTrack, Observation, Tally, TallyKey,
};
use crate::changes::Position;
use crate::{ConversationId, Result, TenantId};

/// Analytics in process memory: the same tallies as a durable store, lost on restart.
///
/// ```
/// let analytics = unibox_core::memory::MemoryAnalytics::new();
/// # let _ = analytics;
/// ```
#[derive(Debug, Default)]
pub struct MemoryAnalytics {
    tenants: Mutex<HashMap<TenantId, TenantAnalytics>>,
}

#[derive(Debug, Default)]
struct TenantAnalytics {
    /// The change-log position the tallies reflect; moved under the same lock as they change.
    position: Position,
    tracks: HashMap<ConversationId, ConversationTrack>,
    /// Ordered by day first, so a query reads only its days.
    tallies: BTreeMap<TallyKey, Tally>,
}

impl MemoryAnalytics {
    /// No analytics yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn tenants(&self) -> MutexGuard<'_, HashMap<TenantId, TenantAnalytics>> {
        // Folding cannot panic halfway through a tally, so a poisoned lock guards consistent data.
        self.tenants.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Analytics for MemoryAnalytics {
    async fn record(&self, tenant: &TenantId, span: ChangeSpan, observations: &[Observation]) -> Result<()> {
        span.validate()?;
        let mut tenants = self.tenants();
        let tenant = tenants.entry(tenant.clone()).or_default();
        if tenant.position != span.after {
            return Err(span.moved_error(tenant.position));
        }
        for observation in observations {
            let track = tenant.tracks.entry(observation.conversation).or_default();
            track.observe(observation, &mut tenant.tallies);
        }
        tenant.position = span.through;
        Ok(())
    }

    async fn position(&self, tenant: &TenantId) -> Result<Position> {
        Ok(self.tenants().get(tenant).map_or(Position::START, |tenant| tenant.position))
    }

    async fn report(&self, tenant: &TenantId, query: &AnalyticsQuery) -> Result<AnalyticsReport> {
        query.validate()?;
        let tenants = self.tenants();
        let Some(tenant) = tenants.get(tenant) else { return Ok(AnalyticsReport::default()) };
        let (first, last) = query.days();
        let days = tenant.tallies.iter().skip_while(|(key, _)| key.day < first).take_while(|(key, _)| key.day <= last);
        let mut report = AnalyticsReport::from_tallies(days.filter(|(key, _)| query.matches(key)));
        report.position = tenant.position;
        Ok(report)
    }
}

impl MemoryAnalytics {
    /// Forgets `tenant`'s analytics, or with `conversations` only what is remembered per
    /// conversation (the anonymous tallies stay).
    pub(crate) fn forget(&self, tenant: &TenantId, conversations: Option<&std::collections::HashSet<ConversationId>>) {
        let mut tenants = self.tenants();
        match conversations {
            None => {
                tenants.remove(tenant);
            }
            Some(conversations) => {
                if let Some(analytics) = tenants.get_mut(tenant) {
                    analytics.tracks.retain(|id, _| !conversations.contains(id));
                }
            }
        }
    }
}
