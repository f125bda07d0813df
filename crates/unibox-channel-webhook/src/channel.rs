//! [`WebhookChannel`]: the [`Channel`] implementation.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use unibox_core::channel::{Capabilities, SendReceipt, SendRequest, UnroutableAnswer, Verified, WebhookRequest};
use unibox_core::http::HttpClient;
use unibox_core::{Channel, ChannelKind, Clock, ContentKinds, Error, ErrorKind, InboundEvent, Result, SystemClock};

use crate::replay::ReplayGuard;
use crate::send::display_url;
use crate::verify::Verifier;
use crate::{WebhookChannelBuilder, WebhookChannelConfig, error_map, payload, send};

/// The generic channel: Standard Webhooks signed JSON in, signed JSON POSTs out.
///
/// It is the "API channel" for any system unibox has no adapter for: a shop backend, a CRM,
/// a form, another chat platform behind your own bridge. Build it from a
/// [`WebhookChannelConfig`]; it reads time from a [`Clock`] (default [`SystemClock`]) and
/// sends through an [`HttpClient`] (required only when a send URL is configured).
///
/// ```
/// use std::sync::Arc;
/// use unibox_channel_webhook::{WebhookChannel, WebhookChannelConfig, WebhookSecret};
/// use unibox_core::channel::WebhookRequest;
/// use unibox_core::{Channel, ManualClock, Timestamp};
///
/// let config = WebhookChannelConfig::builder()
///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into())
///     .build()
///     .unwrap();
/// let clock = ManualClock::new(Timestamp::from_unix_seconds(1_732_000_000));
/// let channel = WebhookChannel::new(config).with_clock(Arc::new(clock));
///
/// let body = br#"{"account":"shop-1","events":[{"kind":{"type":"follow","customer":{"kind":"external","id":"c-9"}}}]}"#;
/// let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()).unwrap();
/// let request = WebhookRequest::post("https://inbox.example.com/hooks/crm".parse().unwrap(), &body[..])
///     .with_header("webhook-id", "msg_2Kd9")
///     .with_header("webhook-timestamp", "1732000000")
///     .with_header("webhook-signature", &secret.sign("msg_2Kd9", 1_732_000_000, body));
///
/// let verified = channel.verify(&request).unwrap();
/// let events = channel.parse(&verified).unwrap();
/// assert_eq!(events[0].id, "msg_2Kd9:0");
/// assert_eq!(events[0].account, "shop-1");
/// assert_eq!(events[0].kind.name(), "follow");
/// ```
pub struct WebhookChannel {
    config: WebhookChannelConfig,
    capabilities: Capabilities,
    clock: Arc<dyn Clock>,
    http: Option<Arc<dyn HttpClient>>,
    replay: ReplayGuard,
}

impl WebhookChannel {
    /// A channel with the system clock and no HTTP client.
    pub fn new(config: WebhookChannelConfig) -> Self {
        let sends = config.send_url.is_some();
        let capabilities = Capabilities {
            // The receiver gets the unified JSON, so every content kind can be sent.
            send: if sends { ContentKinds::all() } else { ContentKinds::NONE },
            max_text_length: None,
            messaging_window: None,
            reply_token: false,
            idempotent_send: sends,
            subscription_handshake: false,
            // The inbound format carries every event kind of the unified model.
            edits: true,
            reactions: true,
            delivery_receipts: true,
            token_refresh: false,
            token_revocation: false,
            contact_profiles: false,
            // A receiver of our own choosing documents no limit.
            rate_limits: Default::default(),
            // 404 tells the sender the account is not connected; Standard Webhooks senders
            // retry and surface it.
            unroutable_delivery: UnroutableAnswer::Refuse,
        };
        let replay = ReplayGuard::new(config.replay_capacity, config.tolerance);
        WebhookChannel { config, capabilities, clock: Arc::new(SystemClock), http: None, replay }
    }

    /// A builder for the configuration, clock and HTTP client in one chain.
    pub fn builder() -> WebhookChannelBuilder {
        WebhookChannelBuilder::default()
    }

    /// Reads time from `clock` (timestamp tolerance, outbound signing time).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sends through `client`.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.http = Some(client);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &WebhookChannelConfig {
        &self.config
    }
}

impl fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookChannel")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("http", &self.http.is_some())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Channel for WebhookChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::WEBHOOK
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        let verifier = Verifier {
            secrets: &self.config.verification_secrets,
            tolerance: self.config.tolerance,
            replay: &self.replay,
        };
        verifier.verify(request, self.clock.now())
    }

    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        payload::parse(request)
    }

    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        let Some(url) = &self.config.send_url else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "this webhook channel only receives: configure a send URL to send",
            )
            .with_operation("webhook.send"));
        };
        let Some(http) = &self.http else {
            return Err(Error::new(
                ErrorKind::Configuration,
                "the webhook channel has a send URL but no HttpClient: call with_http_client",
            )
            .with_operation("webhook.send"));
        };
        let kind = request.content.kind();
        if !self.capabilities.can_send(kind) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("the webhook channel cannot send {}", kind.as_str()),
            )
            .with_operation("webhook.send"));
        }
        let timestamp = self.clock.now().as_unix_seconds();
        let (http_request, webhook_id) = send::build_request(url, &self.config.signing_secrets, timestamp, request)?;
        let outcome = http.execute(http_request).await;
        error_map::send_outcome(outcome, &webhook_id)
            .map_err(|e| e.with_operation("webhook.send").with_context("url", display_url(url)))
    }
}
