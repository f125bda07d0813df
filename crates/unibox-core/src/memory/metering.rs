use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::metering::{UsageCounter, UsageDay, UsageIncrement, UsageMeter, UsageMetric, UsageQuery, sort_counters};
use crate::{ChannelKind, Result, TenantId};

type Key = (TenantId, Option<ChannelKind>, UsageMetric, UsageDay);

/// Usage counters in process memory.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_core::metering::{usage_of_send, UsageDay, UsageMeter, UsageQuery};
/// use unibox_core::memory::MemoryUsageMeter;
/// use unibox_core::{ChannelKind, Content, Timestamp};
/// let meter = MemoryUsageMeter::new();
/// let tenant = "acme".parse().unwrap();
/// let at = Timestamp::from_unix_seconds(1_732_170_000);
/// meter.add(&usage_of_send(&tenant, &ChannelKind::LINE, &Content::text("hi"), false, at)).await.unwrap();
/// let day = UsageDay::of(at);
/// assert_eq!(meter.usage(&tenant, &UsageQuery::days(day, day.next())).await.unwrap().len(), 2);
/// # });
/// ```
#[derive(Debug, Default)]
pub struct MemoryUsageMeter {
    counters: Mutex<HashMap<Key, u64>>,
}

impl MemoryUsageMeter {
    /// No usage yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn counters(&self) -> MutexGuard<'_, HashMap<Key, u64>> {
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl UsageMeter for MemoryUsageMeter {
    async fn add(&self, increments: &[UsageIncrement]) -> Result<()> {
        let mut counters = self.counters();
        for increment in increments {
            let key =
                (increment.tenant.clone(), increment.channel.clone(), increment.metric, UsageDay::of(increment.at));
            let counter = counters.entry(key).or_default();
            *counter = counter.saturating_add(increment.quantity);
        }
        Ok(())
    }

    async fn usage(&self, tenant: &TenantId, query: &UsageQuery) -> Result<Vec<UsageCounter>> {
        query.validate()?;
        let mut found: Vec<UsageCounter> = self
            .counters()
            .iter()
            .filter(|((t, ..), _)| t == tenant)
            .map(|((_, channel, metric, day), quantity)| UsageCounter {
                channel: channel.clone(),
                metric: *metric,
                day: *day,
                quantity: *quantity,
            })
            .filter(|counter| query.matches(counter))
            .collect();
        sort_counters(&mut found);
        Ok(found)
    }
}

impl MemoryUsageMeter {
    pub(crate) fn forget_tenant(&self, tenant: &TenantId) {
        self.counters().retain(|(owner, ..), _| owner != tenant);
    }
}
