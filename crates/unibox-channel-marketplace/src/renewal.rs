//! Expiring-authorization pushes turned into token refreshes.
//!
//! Lazada (push type 8, 48 hours before the access token expires) and TikTok Shop (type 7,
//! daily from 30 days before the authorization ends) warn ahead of time. A channel records
//! each warning in its [`ExpiryAlerts`] while parsing (parsing cannot wait on the network);
//! [`renew`] then refreshes each warned account's tokens through the hub's token store with
//! [`TokenStore::get_fresh_before`](unibox_core::TokenStore::get_fresh_before): the vault's
//! single flight, so a refresh token is never sent twice and a redelivered warning refreshes
//! nothing once the new tokens outlive it.
//!
//! Call [`renew`] after the hub handled a push (or from a periodic task):
//!
//! ```no_run
//! # use unibox_channel_marketplace::renewal::{ExpiryAlerts, renew};
//! # use unibox_core::{ChannelId, Hub, channel::WebhookRequest};
//! // `alerts` is the channel's: `LazadaChannel::expiry_alerts()`, `TikTokShopChannel::expiry_alerts()`.
//! async fn on_push(hub: &Hub, channel_id: &ChannelId, alerts: &ExpiryAlerts, request: WebhookRequest) {
//!     let response = hub.handle_webhook(channel_id, request).await;
//!     let renewal = renew(hub, channel_id, alerts.take()).await;
//!     for (seller, error) in &renewal.failed {
//!         eprintln!("could not renew {seller}: {error}");
//!     }
//!     # drop(response);
//! }
//! ```

use std::collections::HashMap;
use std::sync::Mutex;

use unibox_core::{ChannelId, Error, ErrorKind, Hub, InboundEvent, Timestamp};

/// The most warnings kept between two [`renew`] calls; older ones are dropped first (the
/// platforms repeat them daily).
pub const MAX_PENDING_ALERTS: usize = 10_000;

/// A platform's warning that an account's authorization expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiryAlert {
    /// The account's platform id (Lazada `seller_id`, TikTok Shop `shop_id`).
    pub platform_account_id: String,
    /// When the platform says it expires.
    pub expires_at: Timestamp,
}

/// A parsed push: its events, and the expiry warning it carried, if any.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// The push's events.
    pub events: Vec<InboundEvent>,
    /// The authorization-expiry warning it carried.
    pub alert: Option<ExpiryAlert>,
}

/// Warnings a channel parsed and nobody has renewed yet.
///
/// ```
/// use unibox_channel_marketplace::renewal::{ExpiryAlert, ExpiryAlerts};
/// use unibox_core::Timestamp;
/// let alerts = ExpiryAlerts::default();
/// let alert = ExpiryAlert { platform_account_id: "1000165972".into(), expires_at: Timestamp::from_unix_seconds(1_627_542_238) };
/// alerts.record(alert.clone());
/// alerts.record(alert.clone()); // a redelivery
/// assert_eq!(alerts.take(), vec![alert]);
/// assert!(alerts.take().is_empty());
/// ```
#[derive(Debug, Default)]
pub struct ExpiryAlerts {
    pending: Mutex<Vec<ExpiryAlert>>,
}

impl ExpiryAlerts {
    /// Records a warning.
    pub fn record(&self, alert: ExpiryAlert) {
        let mut pending = self.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if pending.len() >= MAX_PENDING_ALERTS {
            pending.remove(0);
        }
        pending.push(alert);
    }

    /// Records the warning a parsed push carried, if any; its events.
    ///
    /// ```
    /// use unibox_channel_marketplace::renewal::{ExpiryAlert, ExpiryAlerts, Parsed};
    /// use unibox_core::Timestamp;
    /// let alerts = ExpiryAlerts::default();
    /// let alert = ExpiryAlert { platform_account_id: "1000165972".into(), expires_at: Timestamp::from_unix_seconds(1_627_542_238) };
    /// assert!(alerts.keep(Parsed { events: Vec::new(), alert: Some(alert) }).is_empty());
    /// assert_eq!(alerts.len(), 1);
    /// ```
    pub fn keep(&self, parsed: Parsed) -> Vec<InboundEvent> {
        if let Some(alert) = parsed.alert {
            self.record(alert);
        }
        parsed.events
    }

    /// The warnings recorded since the last call, one per account (its earliest expiry).
    pub fn take(&self) -> Vec<ExpiryAlert> {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        let mut earliest: HashMap<String, Timestamp> = HashMap::new();
        let mut order = Vec::new();
        for alert in taken {
            match earliest.get_mut(&alert.platform_account_id) {
                Some(at) => *at = (*at).min(alert.expires_at),
                None => {
                    order.push(alert.platform_account_id.clone());
                    earliest.insert(alert.platform_account_id, alert.expires_at);
                }
            }
        }
        order
            .into_iter()
            .filter_map(|id| earliest.get(&id).map(|&expires_at| ExpiryAlert { platform_account_id: id, expires_at }))
            .collect()
    }

    /// How many warnings wait.
    pub fn len(&self) -> usize {
        self.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    /// Whether none wait.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What [`renew`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Renewal {
    /// Accounts whose tokens are now valid past the warning (refreshed now, or earlier).
    pub renewed: Vec<String>,
    /// Platform account ids no connected account has on this channel.
    pub unknown: Vec<String>,
    /// Accounts whose refresh failed, with why (`TokenInvalid`: the account now needs
    /// reauthorization; the vault has marked it).
    pub failed: Vec<(String, Error)>,
}

/// Refreshes the tokens of every warned account of the channel registered as `channel_id`
/// that expire before the warning's time, through the hub's token store.
pub async fn renew(hub: &Hub, channel_id: &ChannelId, alerts: Vec<ExpiryAlert>) -> Renewal {
    let mut renewal = Renewal::default();
    let Some(channel) = hub.channel(channel_id) else {
        let missing = || Error::new(ErrorKind::NotFound, format!("no channel is registered as {channel_id}"));
        renewal.failed = alerts.into_iter().map(|a| (a.platform_account_id, missing())).collect();
        return renewal;
    };
    for alert in alerts {
        let id = alert.platform_account_id;
        let account = match hub.store().accounts.route(channel_id, &id).await {
            Ok(Some(account)) => account,
            Ok(None) => {
                renewal.unknown.push(id);
                continue;
            }
            Err(error) => {
                renewal.failed.push((id, error));
                continue;
            }
        };
        match hub.tokens().get_fresh_before(&account, channel.as_ref(), alert.expires_at).await {
            Ok(_) => renewal.renewed.push(id),
            Err(error) => renewal.failed.push((id, error.with_operation("marketplace.renew"))),
        }
    }
    renewal
}
