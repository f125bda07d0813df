//! Analytics reports, and the hooks that feed analytics from the message paths.

use crate::analytics::{AnalyticsQuery, AnalyticsReport, IngestedMessage, Observation};
use crate::hub::Hub;
use crate::inbox::IngestOutcome;
use crate::{Action, Actor, Message, Resource, Result};

impl Hub {
    /// Response times, resolution times and message counts of the actor's tenant for a range of
    /// UTC days, in total, per day, per agent and per account. Requires
    /// [`Action::ViewAnalytics`].
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, admin: unibox_core::Actor) -> unibox_core::Result<()> {
    /// use unibox_core::analytics::AnalyticsQuery;
    /// use unibox_core::Timestamp;
    /// let november = AnalyticsQuery::new(Timestamp::from_unix_seconds(1_730_419_200), Timestamp::from_unix_seconds(1_733_011_200));
    /// let report = hub.analytics(&admin, &november).await?;
    /// println!("median first response: {:?}", report.totals.first_response.p50);
    /// # Ok(()) }
    /// ```
    pub async fn analytics(&self, actor: &Actor, query: &AnalyticsQuery) -> Result<AnalyticsReport> {
        self.authorize(actor, Action::ViewAnalytics, Resource::Tenant)?;
        self.inner.analytics.report(actor.tenant(), query).await.map_err(|e| e.with_operation("hub.analytics"))
    }

    /// Feeds analytics the messages an ingest stored for the first time (the webhook path calls
    /// it after the commit; redeliveries are duplicates and are not counted again).
    pub(crate) async fn observe_ingest(&self, messages: Vec<IngestedMessage>, outcomes: &[IngestOutcome]) {
        if messages.is_empty() {
            return;
        }
        let mut by_tenant: Vec<(crate::TenantId, Vec<Observation>)> = Vec::new();
        for (tenant, observation) in Observation::of_ingest(&messages, outcomes) {
            match by_tenant.iter_mut().find(|(t, _)| *t == tenant) {
                Some((_, observations)) => observations.push(observation),
                None => by_tenant.push((tenant, vec![observation])),
            }
        }
        for (tenant, observations) in by_tenant {
            self.observe(&tenant, observations).await;
        }
    }

    /// Feeds analytics an outbound message the hub recorded (the send path calls it).
    pub(crate) async fn observe_outbound(&self, message: &Message) {
        self.observe(&message.tenant, vec![Observation::of_outbound(message)]).await;
    }
}
