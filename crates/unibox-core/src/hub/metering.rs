//! The hooks that feed usage metering from the message paths. Metering never fails or slows a
//! send or a webhook: a failure to count is logged.

use crate::channel::Channel;
use crate::hub::Hub;
use crate::inbox::{Acceptance, RoutedEvent};
use crate::metering::{usage_of_accept, usage_of_send};
use crate::{ChannelAccount, Message};

impl Hub {
    /// Counts a message the platform accepted for sending.
    pub(crate) async fn meter_send(&self, account: &ChannelAccount, message: &Message) {
        let Some(meter) = &self.inner.meter else { return };
        // unibox sends without LINE reply tokens, so every LINE send counts as a push.
        let usage = usage_of_send(&account.tenant, &account.kind, &message.content, false, self.inner.clock.now());
        if let Err(error) = meter.add(&usage).await {
            tracing::error!(target: "unibox::metering", %error, message = %message.id, "a sent message was not counted");
        }
    }

    /// The events of a webhook delivery to count once accepted: a copy, taken only when a meter
    /// is configured (`accept` consumes the events).
    pub(crate) fn events_to_meter(&self, events: &[RoutedEvent]) -> Option<Vec<RoutedEvent>> {
        self.inner.meter.as_ref().map(|_| events.to_vec())
    }

    /// Counts the customer messages a webhook delivery brought for the first time, in a task of
    /// its own so the acknowledgement never waits for it.
    pub(crate) fn meter_accepted(
        &self,
        channel: &dyn Channel,
        events: Option<Vec<RoutedEvent>>,
        outcomes: &[Acceptance],
    ) {
        let (Some(meter), Some(events)) = (self.inner.meter.clone(), events) else { return };
        let kind = channel.kind();
        let usage = usage_of_accept(&events, outcomes, |_| Some(kind.clone()));
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
