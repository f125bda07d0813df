//! [`TwilioChannel`]: the [`Channel`] implementation.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::HeaderValue;
use unibox_core::channel::{
    Capabilities, MessagingWindow, OutsideWindow, SendReceipt, SendRequest, UnroutableAnswer, Verified, WebhookRequest,
    WebhookResponse,
};
use unibox_core::http::HttpClient;
use unibox_core::{
    Channel, ChannelKind, Clock, ContentKind, ContentKinds, Error, ErrorKind, InboundEvent, Result, SystemClock,
};

use crate::api::TwilioApi;
use crate::{MAX_BODY_LENGTH, TwilioConfig, inbound, verify};

/// The content kinds the channel sends.
const SENDABLE: [ContentKind; 6] = [
    ContentKind::Text,
    ContentKind::Image,
    ContentKind::Video,
    ContentKind::Audio,
    ContentKind::File,
    ContentKind::Template,
];

/// What Twilio is answered once a webhook's events are stored: an empty TwiML response (no
/// automatic reply; replies go through the REST API).
const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;

/// The Twilio Programmable Messaging channel: SMS, MMS and WhatsApp through Twilio.
///
/// One channel is one Twilio account (or subaccount); each of its phone numbers and WhatsApp
/// senders is a [`ChannelAccount`](unibox_core::ChannelAccount) whose platform account id is
/// the address (`+14155550100`, `whatsapp:+14155238886`), with its REST credentials
/// ([`TwilioCredentials`](crate::TwilioCredentials)) in the token store. Webhooks are verified
/// with `X-Twilio-Signature` against the configured public URL; sends post to the Messages
/// resource and report the SMS segments Twilio bills.
///
/// ```
/// use unibox_channel_twilio::{TwilioChannel, TwilioConfig, signature_header};
/// use unibox_core::channel::WebhookRequest;
/// use unibox_core::{Channel, EventKind};
///
/// let url = "https://inbox.example.com/webhooks/twilio";
/// let channel = TwilioChannel::new(
///     TwilioConfig::builder()
///         .account_sid("AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c")
///         .auth_token("9c1f0e2d3b4a59687f6e5d4c3b2a1908")
///         .webhook_url(url)
///         .build()?,
/// );
/// assert!(!channel.capabilities().idempotent_send);
///
/// let body = b"ToCountry=US&SmsMessageSid=SM0b8c2d4e6f8a0b2c4d6e8f0a2b4c6d8e&NumMedia=0&SmsStatus=received&Body=Is+my+order+on+its+way%3F&To=%2B14155550100&NumSegments=1&MessageSid=SM0b8c2d4e6f8a0b2c4d6e8f0a2b4c6d8e&AccountSid=AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c&From=%2B66812345678&ApiVersion=2010-04-01";
/// let request = WebhookRequest::post(url.parse().unwrap(), &body[..])
///     .with_header("X-Twilio-Signature", &signature_header("9c1f0e2d3b4a59687f6e5d4c3b2a1908", url, body));
/// let events = channel.parse(&channel.verify(&request)?)?;
/// assert_eq!(events[0].id, "SM0b8c2d4e6f8a0b2c4d6e8f0a2b4c6d8e");
/// assert_eq!(events[0].account, "+14155550100");
/// assert!(matches!(&events[0].kind, EventKind::Message(m) if m.customer.id == "+66812345678"));
/// # Ok::<(), unibox_core::Error>(())
/// ```
pub struct TwilioChannel {
    pub(crate) config: TwilioConfig,
    capabilities: Capabilities,
    clock: Arc<dyn Clock>,
    api: Option<TwilioApi>,
}

impl TwilioChannel {
    /// A channel with the system clock and no HTTP client (it verifies and parses; give it a
    /// client with [`with_http_client`](Self::with_http_client) to send and download media).
    pub fn new(config: TwilioConfig) -> Self {
        let messaging_window = config.whatsapp_window.then(|| MessagingWindow {
            free_form: Duration::from_secs(24 * 3600),
            human_agent: None,
            outside: OutsideWindow::TemplatesOnly,
        });
        let capabilities = Capabilities {
            send: ContentKinds::of(&SENDABLE),
            max_text_length: Some(MAX_BODY_LENGTH),
            messaging_window,
            reply_token: false,
            // Twilio's Messages resource has no idempotency key: an ambiguous send is never
            // resent automatically.
            idempotent_send: false,
            subscription_handshake: false,
            edits: false,
            reactions: false,
            delivery_receipts: true,
            // Auth Tokens and API keys do not expire.
            token_refresh: false,
            token_revocation: false,
            contact_profiles: false,
            // Twilio queues messages beyond a sender's throughput instead of refusing them, and
            // answers too many concurrent requests with 429 and Retry-After.
            rate_limits: Default::default(),
            // Twilio logs a refused webhook in its debugger (error 11200): the operator of a
            // number nobody connected sees why.
            unroutable_delivery: UnroutableAnswer::Refuse,
        };
        TwilioChannel { config, capabilities, clock: Arc::new(SystemClock), api: None }
    }

    /// Reads time from `clock` (events are stamped with their time of receipt: Twilio's
    /// webhooks carry none).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Calls Twilio's API through `client`.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.api = Some(TwilioApi::new(client, self.config.api_base_url.clone()));
        self
    }

    /// The configuration.
    pub fn config(&self) -> &TwilioConfig {
        &self.config
    }

    /// The Account SID, which every API call names.
    pub(crate) fn account_sid(&self, operation: &'static str) -> Result<&str> {
        self.config.account_sid.as_deref().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the Twilio channel needs the Account SID (AC…) to call the API")
                .with_operation(operation)
        })
    }

    pub(crate) fn api(&self, operation: &'static str) -> Result<&TwilioApi> {
        self.api.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the Twilio channel has no HttpClient: call with_http_client")
                .with_operation(operation)
        })
    }
}

impl fmt::Debug for TwilioChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioChannel")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

/// The events `verify` read from the form it decoded, for `parse` (a type of this crate's own,
/// so no other value in the slot is mistaken for them).
struct PreparedEvents(Result<Vec<InboundEvent>>);

#[async_trait]
impl Channel for TwilioChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::TWILIO
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Checks `X-Twilio-Signature`; a form webhook's events are read from the parameters just
    /// decoded and kept on the [`Verified`] request for the `parse` that follows, so a body is
    /// decoded once.
    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        let (verified, form) = verify::verify_signature(request, &self.config)?;
        Ok(match form {
            Some(form) => verified.with_prepared(PreparedEvents(inbound::events_of(&form, self.clock.now()))),
            None => verified,
        })
    }

    fn parse(&self, verified: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        if let Some(PreparedEvents(events)) = verified.take_prepared::<PreparedEvents>() {
            return events;
        }
        let request = verified.request();
        inbound::parse(&request.body, verify::has_json_body(request), self.clock.now())
    }

    /// An empty TwiML `<Response>`: Twilio sends no automatic reply.
    fn acknowledgement(&self) -> WebhookResponse {
        let mut response = WebhookResponse::text(200, EMPTY_TWIML);
        response.headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
        response
    }

    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        self.deliver(request).await
    }
}
