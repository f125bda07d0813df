//! [`WhatsAppChannel`]: the [`Channel`] implementation.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use serde::Deserialize;
use unibox_channel_meta::catalog::MetaCatalogSource;
use unibox_channel_meta::{AppCredentials, GraphClient, answer_handshake, verify_signature};
use unibox_core::channel::{
    Capabilities, MessagingWindow, OutsideWindow, Rate, RateLimits, SendReceipt, SendRequest, UnroutableAnswer,
    Verified, WebhookRequest, WebhookResponse,
};
use unibox_core::http::HttpClient;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, Clock, ContentKind, ContentKinds, Error, ErrorKind, InboundEvent, Result,
    SystemClock, TokenSet,
};

use crate::inbound::{self, ParseOptions};
use crate::{WhatsAppConfig, error_map, outbound};

/// The longest text message WhatsApp accepts, in characters.
pub const MAX_TEXT_LENGTH: usize = 4096;

/// The customer-service window: free-form messages within 24 hours of the customer's last
/// message, only approved templates after it.
pub const CUSTOMER_SERVICE_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// A business number's default throughput: 80 messages a second (Meta raises it to 1,000 for
/// numbers with high quality and volume; error 130429 beyond it).
pub const NUMBER_THROUGHPUT: Rate = Rate::per_second(80);

/// The pair rate limit: about one message every 6 seconds to the same customer (10 a minute;
/// error 131056 beyond it).
pub const PAIR_RATE: Rate = Rate::new(10, Duration::from_secs(60));

/// The content kinds the channel sends.
const SENDABLE: [ContentKind; 12] = [
    ContentKind::Text,
    ContentKind::Image,
    ContentKind::Video,
    ContentKind::Audio,
    ContentKind::File,
    ContentKind::Sticker,
    ContentKind::Location,
    ContentKind::ContactCard,
    ContentKind::Buttons,
    ContentKind::QuickReplies,
    ContentKind::Template,
    ContentKind::Reaction,
];

/// The WhatsApp Business Cloud API channel.
///
/// One channel is one Meta app; every business number subscribed to it is a
/// [`ChannelAccount`] whose platform id is the number's `phone_number_id`, with its access
/// token (a system-user token) in the token store. Webhooks are verified with
/// `X-Hub-Signature-256` and the app secret, the subscription handshake is answered with the
/// verify token, and sends go to `POST /{phone_number_id}/messages` through an
/// [`HttpClient`]. The 24-hour customer-service window is declared in the capabilities, so the
/// hub refuses a free-form message outside it before any API call and says to send a template.
///
/// ```
/// use std::sync::Arc;
/// use unibox_channel_whatsapp::{WhatsAppChannel, WhatsAppConfig};
/// use unibox_core::channel::WebhookRequest;
/// use unibox_core::{Channel, ContentKind, EventKind};
///
/// let config = WhatsAppConfig::builder().app_secret("appsecret").verify_token("meatyhamhock").build().unwrap();
/// let channel = WhatsAppChannel::new(config);
/// assert!(channel.capabilities().can_send(ContentKind::Template));
///
/// let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]},"field":"messages"}]}]}"#;
/// let signature = unibox_channel_meta::AppSecret::new("appsecret").signature_header(body);
/// let request = WebhookRequest::post("https://inbox.example.com/whatsapp".parse().unwrap(), &body[..])
///     .with_header("X-Hub-Signature-256", &signature);
/// let events = channel.parse(&channel.verify(&request).unwrap()).unwrap();
/// assert_eq!(events[0].account, "106540352242922");
/// let EventKind::Message(message) = &events[0].kind else { panic!("a message") };
/// assert_eq!(message.customer.display_name.as_deref(), Some("Sheena Nelson"));
/// ```
pub struct WhatsAppChannel {
    pub(crate) config: WhatsAppConfig,
    capabilities: Capabilities,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) graph: Option<GraphClient>,
    catalog: Option<MetaCatalogSource>,
}

impl WhatsAppChannel {
    /// A channel with the system clock and no HTTP client (it verifies and parses; give it a
    /// client with [`with_http_client`](Self::with_http_client) to send).
    pub fn new(config: WhatsAppConfig) -> Self {
        let capabilities = Capabilities {
            // A product message names the number's catalog.
            send: if config.catalogs.is_empty() {
                ContentKinds::of(&SENDABLE)
            } else {
                ContentKinds::of(&SENDABLE).with(ContentKind::Product)
            },
            max_text_length: Some(MAX_TEXT_LENGTH),
            messaging_window: Some(MessagingWindow {
                free_form: CUSTOMER_SERVICE_WINDOW,
                human_agent: None,
                outside: OutsideWindow::TemplatesOnly,
            }),
            reply_token: false,
            // WhatsApp takes no idempotency key: a send whose answer was lost may have been delivered.
            idempotent_send: false,
            subscription_handshake: true,
            edits: true,
            reactions: true,
            delivery_receipts: true,
            // System-user tokens do not expire; expiring ones are exchanged when the app id is known.
            token_refresh: config.app_id.is_some(),
            token_revocation: false,
            contact_profiles: false,
            rate_limits: RateLimits {
                per_account: Some(NUMBER_THROUGHPUT),
                per_recipient: Some(PAIR_RATE),
                per_account_daily: None,
            },
            // Meta retries a refused batch and then disables the app's webhook for every number.
            unroutable_delivery: UnroutableAnswer::Acknowledge,
        };
        WhatsAppChannel { config, capabilities, clock: Arc::new(SystemClock), graph: None, catalog: None }
    }

    /// Reads time from `clock` (token expiry, items without a timestamp).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self.catalog = self.catalog_source();
        self
    }

    /// The catalog source, when there is a Graph client and a catalog is configured.
    fn catalog_source(&self) -> Option<MetaCatalogSource> {
        let graph = self.graph.clone()?;
        (!self.config.catalogs.is_empty())
            .then(|| MetaCatalogSource::new(graph, self.config.catalogs.clone(), self.clock.clone()))
    }

    /// Calls the Graph API through `client`, with `appsecret_proof` from the first app secret.
    pub fn with_http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        let mut graph = GraphClient::new(client);
        if let Some(base) = &self.config.graph_base_url {
            graph = graph.with_base_url(base.clone());
        }
        if let Some(version) = &self.config.graph_version {
            graph = graph.with_version(version.clone());
        }
        if let Some(secret) = self.config.app_secrets.first() {
            graph = graph.with_app_secret(secret.clone());
        }
        self.graph = Some(graph);
        self.catalog = self.catalog_source();
        self
    }

    /// The configuration.
    pub fn config(&self) -> &WhatsAppConfig {
        &self.config
    }

    /// The statuses of a verified delivery with their billing details (conversation and
    /// pricing), which the unified delivery updates of [`parse`](Channel::parse) leave out.
    /// Statuses that cannot be read are left out; a body that is not a WhatsApp notification
    /// is `MalformedPayload`.
    pub fn status_reports(&self, request: &Verified<'_>) -> Result<Vec<crate::StatusReport>> {
        inbound::status_reports(request.body())
    }

    pub(crate) fn graph(&self, operation: &'static str) -> Result<&GraphClient> {
        self.graph.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the WhatsApp channel has no HttpClient: call with_http_client")
                .with_operation(operation)
        })
    }
}

/// The account's `phone_number_id`, checked to be digits so it cannot redirect the call to
/// another Graph path.
pub(crate) fn phone_number_id<'a>(account: &'a ChannelAccount, operation: &'static str) -> Result<&'a str> {
    let id = account.platform_account_id.as_str();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(
            ErrorKind::Configuration,
            "a WhatsApp account's platform id is its phone_number_id (digits only)",
        )
        .with_operation(operation)
        .with_context("account", account.id));
    }
    Ok(id)
}

/// The access token of a call, which the hub takes from the token store.
pub(crate) fn token<'a>(token: Option<&'a SecretString>, operation: &'static str) -> Result<&'a SecretString> {
    token.ok_or_else(|| {
        Error::new(
            ErrorKind::Configuration,
            "no access token is stored for this WhatsApp number: connect it with its system-user token",
        )
        .with_operation(operation)
    })
}

/// `{"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]}`.
#[derive(Deserialize)]
struct SendAnswer {
    #[serde(default)]
    messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    #[serde(default)]
    id: String,
}

impl fmt::Debug for WhatsAppChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsAppChannel")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("graph", &self.graph)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Channel for WhatsAppChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::WHATSAPP
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn handshake(&self, request: &WebhookRequest) -> Option<Result<WebhookResponse>> {
        answer_handshake(request, &self.config.verify_token)
            .map(|answer| answer.map_err(|e| e.with_operation("whatsapp.handshake")))
    }

    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        verify_signature(request, &self.config.app_secrets).map_err(|e| e.with_operation("whatsapp.verify"))
    }

    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        let options = ParseOptions { keep_other_fields: self.config.keep_other_fields };
        inbound::parse(request.body(), options, self.clock.now())
    }

    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        const OPERATION: &str = "whatsapp.send";
        let graph = self.graph(OPERATION)?;
        let token = token(request.access_token, OPERATION)?;
        let phone_number_id = phone_number_id(request.account, OPERATION)?;
        let body = outbound::message_body(request, self.config.catalogs.of(phone_number_id))?;
        let answer: SendAnswer = graph
            .post_json(&format!("{phone_number_id}/messages"), token, &body)
            .await
            .map_err(|e| error_map::refine(e, OPERATION))?;
        match answer.messages.into_iter().next().filter(|m| !m.id.is_empty()) {
            Some(sent) => Ok(SendReceipt::new(sent.id)),
            None => Err(Error::new(
                ErrorKind::DeliveryUnknown,
                "WhatsApp accepted the request but named no message id: check before resending",
            )
            .with_operation(OPERATION)),
        }
    }

    /// The configured Meta catalogs (`GET /{catalog-id}/products`), when any is.
    fn catalog(&self) -> Option<&dyn unibox_core::catalog::ProductSource> {
        self.catalog.as_ref().map(|c| c as &dyn unibox_core::catalog::ProductSource)
    }

    /// Cart messages as orders (items, total, currency); WhatsApp has no order API to fetch.
    fn orders(&self) -> Option<&dyn unibox_core::orders::OrderSource> {
        Some(self)
    }

    /// Exchanges an expiring token for a new long-lived one (`fb_exchange_token`, about 60
    /// days), when the configuration names the app id.
    ///
    /// WhatsApp numbers are normally connected with a system-user token set to never expire:
    /// store it without `expires_at` and the vault never calls this. Tokens that do expire (a
    /// system-user token with the 60-day option, a user token from Embedded Signup) are renewed
    /// here; without an app id this is `Unsupported`, and the capabilities say so
    /// (`token_refresh` is false). A token Meta no longer accepts is `TokenInvalid`.
    async fn refresh_tokens(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<TokenSet> {
        const OPERATION: &str = "whatsapp.token.refresh";
        let (Some(app_id), Some(secret)) = (&self.config.app_id, self.config.app_secrets.first()) else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "the WhatsApp channel refreshes tokens only when configured with the Meta app id; system-user tokens set to never expire need no refresh",
            )
            .with_operation(OPERATION)
            .with_context("account", account.id));
        };
        let app = AppCredentials::new(app_id.clone(), secret.clone());
        let fresh = self
            .graph(OPERATION)?
            .exchange_for_long_lived_token(&app, &tokens.access_token, self.clock.now())
            .await
            .map_err(|e| error_map::refine(e, OPERATION).with_context("account", account.id))?;
        Ok(TokenSet { scopes: tokens.scopes.clone(), ..fresh })
    }
}
