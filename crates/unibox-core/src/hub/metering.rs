//! The hooks that feed usage metering from the message paths. Metering never fails or slows a
//! send or a webhook: a failure to count is logged.

use crate::channel::Channel;
use crate::channel::SendReceipt;
use crate::hub::Hub;
use crate::inbox::{Acceptance, RoutedEvent};
use crate::metering::{UsageIncrement, usage_of_event, usage_of_send, usage_reported};
use crate::{ChannelAccount, Message};

impl Hub {
    /// Counts a message the platform accepted for sending, with what the channel reported for it
    /// (`receipt.usage`); a LINE send that used a reply token is not a push.
    /// The same usage settles the credits reserved for the send.
    pub(crate) async fn meter_send(&self, account: &ChannelAccount, message: &Message, receipt: &SendReceipt) {
        if self.inner.meter.is_none() && self.inner.credits.is_none() {
            return;
        }
        let now = self.inner.clock.now();
        let mut usage = usage_of_send(&account.tenant, &account.kind, &message.content, receipt.used_reply_token, now);
        usage.extend(usage_reported(&account.tenant, &account.kind, &receipt.usage, now));
        self.settle_credits(&account.tenant, &account.kind, &message.content, message.id, &usage).await;
        let Some(meter) = &self.inner.meter else { return };
        if let Err(error) = meter.add(&usage).await {
            tracing::error!(target: "unibox::metering", %error, message = %message.id, "a sent message was not counted");
        }
    }

    /// What each event of a webhook delivery counts as if it is new, taken before `accept`
    /// consumes the events (only when a meter is configured; no event content is copied).
    pub(crate) fn usage_to_meter(
        &self,
        channel: &dyn Channel,
        events: &[RoutedEvent],
    ) -> Option<Vec<Option<UsageIncrement>>> {
        self.inner.meter.as_ref()?;
        let kind = channel.kind();
        Some(events.iter().map(|routed| usage_of_event(routed, Some(kind.clone()))).collect())
    }

    /// Counts the customer messages a webhook delivery brought for the first time, in a task of
    /// its own so the acknowledgement never waits for it.
    pub(crate) fn meter_accepted(&self, usage: Option<Vec<Option<UsageIncrement>>>, outcomes: &[Acceptance]) {
        let (Some(meter), Some(usage)) = (self.inner.meter.clone(), usage) else { return };
        let usage: Vec<UsageIncrement> = usage
            .into_iter()
            .zip(outcomes)
            .filter(|(_, outcome)| **outcome == Acceptance::Accepted)
            .filter_map(|(usage, _)| usage)
            .collect();
        if usage.is_empty() {
            return;
        }
        let count = async move {
            if let Err(error) = meter.add(&usage).await {
                tracing::error!(target: "unibox::metering", %error, "received messages were not counted");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(count);
            }
            Err(_) => {
                tracing::error!(target: "unibox::metering", "no tokio runtime: received messages were not counted")
            }
        }
    }
}
