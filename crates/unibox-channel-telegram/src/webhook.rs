//! Registering and diagnosing the bot's webhook: `setWebhook` (with the channel's secret token,
//! and never the bot token in the URL), `deleteWebhook` and `getWebhookInfo`.

use serde::Deserialize;
use serde_json::{Value, json};
use unibox_core::{Error, ErrorKind, Result, Timestamp};
use url::Url;

use crate::TelegramChannel;
use crate::error_map::{self, Call};

/// The updates the channel maps, asked for by default in `setWebhook`'s `allowed_updates`
/// (Telegram's own default leaves out `message_reaction`).
pub const ALLOWED_UPDATES: [&str; 11] = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "callback_query",
    "my_chat_member",
    "message_reaction",
];

/// The ports Telegram delivers webhooks to.
const WEBHOOK_PORTS: [u16; 4] = [443, 80, 88, 8443];

/// Options of [`TelegramChannel::set_webhook`].
///
/// ```
/// use unibox_channel_telegram::WebhookOptions;
/// let options = WebhookOptions::default().max_connections(10).drop_pending_updates();
/// assert_eq!(options.allowed_updates.len(), 11);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookOptions {
    /// The update types to receive (default [`ALLOWED_UPDATES`]).
    pub allowed_updates: Vec<String>,
    /// Concurrent webhook connections Telegram opens, 1 to 100 (Telegram's default 40).
    pub max_connections: Option<u8>,
    /// Drop the updates waiting for delivery.
    pub drop_pending_updates: bool,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        WebhookOptions {
            allowed_updates: ALLOWED_UPDATES.iter().map(|u| (*u).to_owned()).collect(),
            max_connections: None,
            drop_pending_updates: false,
        }
    }
}

impl WebhookOptions {
    /// Concurrent webhook connections, 1 to 100.
    pub fn max_connections(mut self, connections: u8) -> Self {
        self.max_connections = Some(connections);
        self
    }

    /// Drops the updates waiting for delivery.
    pub fn drop_pending_updates(mut self) -> Self {
        self.drop_pending_updates = true;
        self
    }
}

/// What `getWebhookInfo` reports: where updates go and whether delivering them fails.
///
/// ```
/// # fn show(info: &unibox_channel_telegram::WebhookInfo) {
/// if let Some(error) = &info.last_error_message {
///     eprintln!("{} updates waiting; Telegram's last delivery error: {error}", info.pending_update_count);
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WebhookInfo {
    /// The webhook URL; empty when none is set.
    pub url: String,
    /// Updates waiting for delivery.
    #[serde(default)]
    pub pending_update_count: u64,
    /// When the latest delivery failed (Unix seconds).
    #[serde(default)]
    pub last_error_date: Option<i64>,
    /// Why the latest delivery failed, as Telegram says.
    #[serde(default)]
    pub last_error_message: Option<String>,
    /// Concurrent webhook connections.
    #[serde(default)]
    pub max_connections: Option<u32>,
    /// The update types asked for (absent: Telegram's default).
    #[serde(default)]
    pub allowed_updates: Option<Vec<String>>,
    /// The IP address Telegram resolved the webhook host to.
    #[serde(default)]
    pub ip_address: Option<String>,
}

impl WebhookInfo {
    /// When the latest delivery failed.
    pub fn last_error_at(&self) -> Option<Timestamp> {
        self.last_error_date.map(Timestamp::from_unix_seconds)
    }
}

impl TelegramChannel {
    /// Registers `url` as the bot's webhook with the channel's current secret token, so every
    /// delivery carries it in `X-Telegram-Bot-Api-Secret-Token`.
    ///
    /// The URL must be HTTPS on port 443, 80, 88 or 8443 (Telegram's rule), and must not
    /// contain the bot token: the secret token authenticates deliveries instead, and a URL
    /// ends up in access logs. Both are `InvalidInput` before any call.
    pub async fn set_webhook(&self, url: &Url, options: &WebhookOptions) -> Result<()> {
        const OPERATION: &str = "telegram.webhook.set";
        let invalid =
            |message: &'static str| Err(Error::new(ErrorKind::InvalidInput, message).with_operation(OPERATION));
        if self.config.bot_token.appears_in(url.as_str()) {
            return invalid(
                "the webhook URL must not contain the bot token: the secret token authenticates deliveries",
            );
        }
        if url.scheme() != "https" {
            return invalid("Telegram delivers webhooks over HTTPS only");
        }
        if !url.port_or_known_default().is_some_and(|port| WEBHOOK_PORTS.contains(&port)) {
            return invalid("Telegram delivers webhooks to ports 443, 80, 88 and 8443 only");
        }
        if options.max_connections.is_some_and(|n| !(1..=100).contains(&n)) {
            return invalid("max_connections is 1 to 100");
        }
        let mut body = json!({
            "url": url.as_str(),
            "secret_token": self.config.current_secret().expose(),
            "allowed_updates": options.allowed_updates,
            "drop_pending_updates": options.drop_pending_updates,
        });
        if let Some(connections) = options.max_connections {
            body["max_connections"] = connections.into();
        }
        self.query("setWebhook", &body, OPERATION).await.map(drop)
    }

    /// Removes the webhook (to switch to `getUpdates`, or to stop deliveries), dropping the
    /// waiting updates if asked.
    pub async fn delete_webhook(&self, drop_pending_updates: bool) -> Result<()> {
        let body = json!({"drop_pending_updates": drop_pending_updates});
        self.query("deleteWebhook", &body, "telegram.webhook.delete").await.map(drop)
    }

    /// The webhook's state as Telegram sees it: the URL, waiting updates and the latest
    /// delivery error, for diagnosing deliveries that do not arrive.
    pub async fn webhook_info(&self) -> Result<WebhookInfo> {
        const OPERATION: &str = "telegram.webhook.info";
        let result = self.query("getWebhookInfo", &json!({}), OPERATION).await?;
        serde_json::from_value(result).map_err(|e| {
            Error::new(ErrorKind::PlatformRejected, format!("unexpected getWebhookInfo answer: {e}"))
                .with_operation(OPERATION)
        })
    }

    /// Calls a method that is safe to repeat and returns its `result`.
    pub(crate) async fn query(&self, method: &'static str, body: &Value, operation: &'static str) -> Result<Value> {
        #[derive(Deserialize)]
        struct Answer {
            ok: bool,
            #[serde(default)]
            result: Value,
        }
        let api = self.api(operation)?;
        let response = api
            .call(&self.config.bot_token, method, body)
            .await
            .map_err(|e| error_map::from_transport(Call::Query, e).with_operation(operation))?;
        match serde_json::from_slice::<Answer>(response.body()) {
            Ok(Answer { ok: true, result }) if response.status().is_success() => Ok(result),
            _ => Err(error_map::from_response(&response).with_operation(operation)),
        }
    }
}
