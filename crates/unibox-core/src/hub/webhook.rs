//! The path of a webhook: route, handshake or verify, parse, ingest, acknowledge.

use crate::channel::{UnroutableAnswer, WebhookRequest, WebhookResponse};
use crate::hub::{Hub, UnroutableReport};
use crate::inbox::{Acceptance, RoutedEvent};
use crate::{Channel, ChannelId, Error, ErrorKind, InboundEvent, Result, TenantId};

/// What a webhook delivery did, once it is durably stored.
///
/// ```
/// use unibox_core::hub::WebhookReceipt;
/// let receipt = WebhookReceipt::default();
/// assert_eq!(receipt.events, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookReceipt {
    /// Events the request carried.
    pub events: usize,
    /// Events stored for the first time.
    pub stored: usize,
    /// Events stored before (redeliveries).
    pub duplicates: usize,
    /// Events no connected account owns, not stored (see [`Hub::unroutable`]).
    pub unroutable: usize,
    /// The request was a subscription handshake, answered without storing anything.
    pub handshake: bool,
}

impl Hub {
    /// Handles one webhook request for the channel registered as `channel`, and always answers.
    ///
    /// The answer is the channel's acknowledgement (`200`) only after every routable event is
    /// durably stored. Events for an account nobody connected (or one disconnected) are not
    /// stored: they are counted, logged without content and kept in [`Hub::unroutable`], and
    /// the delivery is still acknowledged when it carried any routable event; a delivery with
    /// only unroutable events is answered as the channel declares in
    /// [`Capabilities::unroutable_delivery`](crate::channel::Capabilities::unroutable_delivery)
    /// (404 by default, 200 for Meta). Otherwise the answer is an error response with the
    /// status of the error's kind: 404 for an unknown channel, 413 for an oversized body, 401
    /// for a bad signature, 400 for a malformed payload, 503 (with `Retry-After` when known)
    /// when the store is unavailable. Nothing is stored when the answer is an error.
    pub async fn handle_webhook(&self, channel: &ChannelId, request: WebhookRequest) -> WebhookResponse {
        match self.receive_webhook(channel, &request).await {
            Ok((_, response)) => response,
            Err(error) => {
                tracing::warn!(target: "unibox::webhook", channel = %channel, kind = %error.kind(), %error, "webhook refused");
                WebhookResponse::from_error(&error)
            }
        }
    }

    /// Like [`handle_webhook`](Hub::handle_webhook), but returns what happened as a typed
    /// result: the receipt and the response to send, or the error.
    pub async fn receive_webhook(
        &self,
        channel_id: &ChannelId,
        request: &WebhookRequest,
    ) -> Result<(WebhookReceipt, WebhookResponse)> {
        let channel = self.inner.channels.get(channel_id).ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("no channel is registered as {channel_id}"))
                .with_operation("hub.webhook")
        })?;
        if request.body.len() > self.inner.max_body_bytes {
            return Err(Error::new(
                ErrorKind::PayloadTooLarge,
                format!("the body is {} bytes; the limit is {}", request.body.len(), self.inner.max_body_bytes),
            )
            .with_operation("hub.webhook")
            .with_context("channel", channel_id));
        }
        if let Some(handshake) = channel.handshake(request) {
            let response =
                handshake.map_err(|e| e.with_operation("hub.webhook.handshake").with_context("channel", channel_id))?;
            return Ok((WebhookReceipt { handshake: true, ..WebhookReceipt::default() }, response));
        }
        // Only a POST is a delivery: a signed HEAD, or a GET that is not a handshake, stores nothing.
        if request.method != http::Method::POST {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("a {} is not a delivery; platforms POST their webhooks", request.method),
            )
            .with_operation("hub.webhook")
            .with_context("channel", channel_id));
        }
        let verified = channel
            .verify(request)
            .map_err(|e| e.with_operation("hub.webhook.verify").with_context("channel", channel_id))?;
        let events = channel
            .parse(&verified)
            .map_err(|e| e.with_operation("hub.webhook.parse").with_context("channel", channel_id))?;

        let receipt = self.accept_events(channel_id, channel.as_ref(), events).await?;
        tracing::debug!(target: "unibox::webhook", channel = %channel_id, events = receipt.events, duplicates = receipt.duplicates, unroutable = receipt.unroutable, "webhook stored");
        Ok((receipt, channel.acknowledgement()))
    }

    /// Stores events of `channel_id` that did not come in a webhook: what a
    /// [`HistoryWorker`](crate::history::HistoryWorker) pulled from the platform (history
    /// back-fill, lost pushes). They take the webhook's path from routing on (event times settled, order
    /// pushes applied, deduplicated by event id, counted), so a message pulled and pushed is
    /// stored once whichever arrives first. Returns the same receipt as a webhook.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// use unibox_core::{Hub, memory::MemoryStore};
    /// let hub = Hub::builder(MemoryStore::new()).build();
    /// let error = hub.accept_pulled(&"shopee".parse()?, Vec::new()).await.unwrap_err();
    /// assert_eq!(error.kind(), unibox_core::ErrorKind::NotFound, "no channel is registered as shopee");
    /// # Ok(()) }
    /// ```
    pub async fn accept_pulled(&self, channel_id: &ChannelId, events: Vec<InboundEvent>) -> Result<WebhookReceipt> {
        let channel = self.inner.channels.get(channel_id).ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("no channel is registered as {channel_id}"))
                .with_operation("hub.accept_pulled")
        })?;
        self.accept_events(channel_id, channel.as_ref(), events).await
    }

    /// Routes, settles, applies order pushes and durably accepts parsed events.
    async fn accept_events(
        &self,
        channel_id: &ChannelId,
        channel: &dyn Channel,
        events: Vec<InboundEvent>,
    ) -> Result<WebhookReceipt> {
        let received_at = self.inner.clock.now();
        let events_count = events.len();
        let mut routed = Vec::with_capacity(events_count);
        let mut unroutable = 0;
        let mut first_unroutable: Option<String> = None;
        for mut event in events {
            if let Some(adjustment) = self.inner.event_time.settle(&mut event.occurred_at, received_at) {
                tracing::warn!(target: "unibox::webhook", channel = %channel_id, adjustment = adjustment.as_str(), "event time clamped");
            }
            let route = self
                .inner
                .routes
                .resolve(self.inner.store.accounts.as_ref(), channel_id, &event.account)
                .await
                .map_err(|e| e.with_operation("hub.webhook.route"))?;
            match route {
                Some((tenant, account)) => routed.push(RoutedEvent { tenant, account, received_at, event }),
                None => {
                    unroutable += 1;
                    self.inner.routes.unroutable.record(channel_id, &event, received_at);
                    first_unroutable.get_or_insert(event.account);
                }
            }
        }
        if routed.is_empty() && unroutable > 0 && channel.capabilities().unroutable_delivery == UnroutableAnswer::Refuse
        {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "no connected account {:?} on channel {channel_id} ({unroutable} event(s) not stored); connect it with Hub::connect_account",
                    first_unroutable.unwrap_or_default()
                ),
            )
            .with_operation("hub.webhook.route"));
        }
        let count = routed.len();
        // Analytics read what was stored from the change log; they only need to hear which tenants.
        let mut tenants: Vec<TenantId> = Vec::new();
        for event in &routed {
            if !tenants.contains(&event.tenant) {
                tenants.push(event.tenant.clone());
            }
        }
        let metered = self.usage_to_meter(channel, &routed);
        // Orders first: a merge is idempotent, so an order push applied here and then refused by
        // the inbox is applied again, harmlessly, when the platform redelivers it.
        self.apply_order_pushes(channel, &routed).await?;
        // Follows and unfollows only: for the usual webhook this stays empty and allocates nothing.
        let reachability: Vec<_> = routed
            .iter()
            .enumerate()
            .filter_map(|(index, event)| {
                super::reachability::ReachabilityChange::of(event).map(|change| (index, change))
            })
            .collect();
        let outcomes = if routed.is_empty() {
            Vec::new()
        } else {
            // Accepted is enough to acknowledge: the events are durable and every later read sees them.
            self.inner.store.ingest.accept(routed).await.map_err(|e| e.with_operation("hub.webhook.ingest"))?
        };
        if outcomes.iter().any(|o| matches!(o, Acceptance::Accepted)) {
            self.analytics_changed(&tenants);
        }
        self.meter_accepted(metered, &outcomes);
        self.apply_reachability(reachability, &outcomes).await;
        let duplicates = outcomes.iter().filter(|o| matches!(o, Acceptance::Duplicate)).count();
        let receipt = WebhookReceipt {
            events: events_count,
            stored: count - duplicates,
            duplicates,
            unroutable,
            handshake: false,
        };
        Ok(receipt)
    }

    /// The webhook events no connected account owned since the hub started: how many, and the
    /// most recent ones (channel, platform account id, event kind, arrival time; never content).
    ///
    /// A steady stream here names an account that was disconnected while the platform still
    /// sends its events, or one nobody connected yet.
    ///
    /// ```
    /// use unibox_core::{Hub, memory::MemoryStore};
    /// let hub = Hub::builder(MemoryStore::new()).build();
    /// assert_eq!(hub.unroutable().total, 0);
    /// ```
    pub fn unroutable(&self) -> UnroutableReport {
        self.inner.routes.unroutable.report()
    }
}
