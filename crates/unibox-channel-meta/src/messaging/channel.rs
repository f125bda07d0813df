//! [`MessagingChannel`]: the [`Channel`] both Messenger and Instagram are.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use unibox_core::channel::{
    Capabilities, MessagingWindow, OutsideWindow, PlatformProfile, SendReceipt, SendRequest, UnroutableAnswer,
    Verified, WebhookRequest, WebhookResponse,
};
use unibox_core::http::HttpClient;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, Clock, ContactIdentity, ContentKinds, Error, ErrorKind, InboundEvent, Result,
    SystemClock, TokenSet,
};
use url::Url;

use super::{MessagingPlatform, MessagingSender, SenderAction, parse_events};
use crate::catalog::{MetaCatalogSource, MetaCatalogs};
use crate::{AppCredentials, AppSecret, GraphClient, answer_handshake, verify_signature};

/// The 24-hour customer-service window of Messenger and Instagram.
pub const STANDARD_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// The window for human agents' replies with the `HUMAN_AGENT` tag: 7 days.
pub const HUMAN_AGENT_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// How [`Channel::refresh_tokens`] renews an account's token.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum TokenRefresh {
    /// Tokens do not expire (Page tokens from a long-lived user token, system-user tokens).
    #[default]
    None,
    /// Exchanges the current token for a new long-lived one (`fb_exchange_token`).
    FacebookExchange(AppCredentials),
    /// Refreshes a long-lived Instagram user token (`ig_refresh_token`, Instagram Login).
    InstagramRefresh,
}

/// A Messenger Platform channel (Messenger or Instagram), built with [`MessagingChannel::builder`].
///
/// ```
/// use unibox_channel_meta::AppSecret;
/// use unibox_channel_meta::messaging::{MessagingChannel, MessagingPlatform};
/// use unibox_core::{Channel, ChannelKind};
/// let channel = MessagingChannel::builder(MessagingPlatform::messenger())
///     .app_secret(AppSecret::new("appsecret"))
///     .verify_token("meatyhamhock")
///     .build()
///     .unwrap();
/// assert_eq!(channel.kind(), ChannelKind::MESSENGER);
/// assert!(channel.capabilities().subscription_handshake);
/// ```
pub struct MessagingChannel {
    platform: MessagingPlatform,
    secrets: Vec<AppSecret>,
    verify_token: SecretString,
    sender: Option<MessagingSender>,
    refresh: TokenRefresh,
    clock: Arc<dyn Clock>,
    capabilities: Capabilities,
    catalog: Option<MetaCatalogSource>,
}

/// Builds a [`MessagingChannel`].
pub struct MessagingChannelBuilder {
    platform: MessagingPlatform,
    secrets: Vec<AppSecret>,
    verify_token: Option<SecretString>,
    http: Option<Arc<dyn HttpClient>>,
    graph_base: Option<Url>,
    human_agent_tag: bool,
    refresh: TokenRefresh,
    clock: Arc<dyn Clock>,
    catalogs: MetaCatalogs,
}

impl MessagingChannelBuilder {
    /// The Meta commerce catalog each account sells from (Instagram product messages), synced
    /// through [`Channel::catalog`] (`GET /{catalog-id}/products`); needs an HTTP client.
    pub fn catalogs(mut self, catalogs: MetaCatalogs) -> Self {
        self.catalogs = catalogs;
        self
    }

    /// The app secret that signs webhooks; add a second one while rotating.
    pub fn app_secret(mut self, secret: AppSecret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// The verify token typed into the App Dashboard's webhook settings.
    pub fn verify_token(mut self, token: impl Into<String>) -> Self {
        self.verify_token = Some(SecretString::from(token.into()));
        self
    }

    /// Sends through `client`; without one the channel only receives.
    pub fn http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.http = Some(client);
        self
    }

    /// Calls this Graph host instead of the platform's (a fake Graph API in tests).
    pub fn graph_base_url(mut self, base: Url) -> Self {
        self.graph_base = Some(base);
        self
    }

    /// Whether human agents' replies after the 24-hour window use the `HUMAN_AGENT` tag and
    /// its 7-day window (default `false`: the app needs Meta's Human Agent permission, and
    /// without it every tagged send is refused). Inside 24 hours replies are never tagged.
    pub fn human_agent_tag(mut self, enabled: bool) -> Self {
        self.human_agent_tag = enabled;
        self
    }

    /// How tokens are refreshed (default: they do not expire).
    pub fn token_refresh(mut self, refresh: TokenRefresh) -> Self {
        self.refresh = refresh;
        self
    }

    /// Reads time from `clock` (token expiry dates).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the configuration: at least one app secret and a verify token.
    pub fn build(self) -> Result<MessagingChannel> {
        let configuration =
            |message: &'static str| Error::new(ErrorKind::Configuration, message).with_operation("meta.configure");
        if self.secrets.is_empty() {
            return Err(configuration("an app secret is required to verify Meta webhooks"));
        }
        let verify_token = self.verify_token.ok_or_else(|| configuration("a verify token is required"))?;
        let instagram_host = self.platform.channel == ChannelKind::INSTAGRAM;
        let sender = self.http.map(|http| {
            let graph = match (&self.graph_base, instagram_host, &self.refresh) {
                (Some(base), _, _) => GraphClient::new(http).with_base_url(base.clone()),
                (None, true, TokenRefresh::InstagramRefresh) => GraphClient::instagram(http),
                (None, _, _) => GraphClient::new(http),
            };
            let graph = match self.secrets.first() {
                // Instagram Login tokens are not Facebook app tokens: no appsecret_proof.
                Some(secret) if !matches!(self.refresh, TokenRefresh::InstagramRefresh) => {
                    graph.with_app_secret(secret.clone())
                }
                _ => graph,
            };
            MessagingSender::new(graph, self.platform.clone())
                .with_human_agent_tag(self.human_agent_tag)
                .with_catalogs(self.catalogs.clone())
        });
        let catalog = match (&sender, self.catalogs.is_empty()) {
            (Some(sender), false) => {
                Some(MetaCatalogSource::new(sender.graph().clone(), self.catalogs, self.clock.clone()))
            }
            _ => None,
        };
        let messenger = self.platform.channel == ChannelKind::MESSENGER;
        let capabilities = Capabilities {
            send: match &sender {
                Some(sender) => sender.sendable_kinds(),
                None => ContentKinds::NONE,
            },
            max_text_length: Some(if messenger { 2000 } else { 1000 }),
            messaging_window: Some(MessagingWindow {
                free_form: STANDARD_WINDOW,
                human_agent: self.human_agent_tag.then_some(HUMAN_AGENT_WINDOW),
                outside: OutsideWindow::Nothing,
            }),
            subscription_handshake: true,
            edits: messenger,
            reactions: true,
            delivery_receipts: true,
            token_refresh: !matches!(self.refresh, TokenRefresh::None),
            // `DELETE /me/permissions` with a Facebook Login token; Instagram Login tokens have no
            // documented revoke call.
            token_revocation: sender.is_some() && !matches!(self.refresh, TokenRefresh::InstagramRefresh),
            // The user profile API: `GET /{PSID}` (Messenger), `GET /{IGSID}` (Instagram).
            contact_profiles: sender.is_some(),
            // Meta retries a refused batch and then disables the app's webhook for every page.
            unroutable_delivery: UnroutableAnswer::Acknowledge,
            ..Capabilities::default()
        };
        Ok(MessagingChannel {
            platform: self.platform,
            secrets: self.secrets,
            verify_token,
            sender,
            refresh: self.refresh,
            clock: self.clock,
            capabilities,
            catalog,
        })
    }
}

impl fmt::Debug for MessagingChannelBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessagingChannelBuilder")
            .field("platform", &self.platform.channel)
            .field("secrets", &format_args!("[{} redacted]", self.secrets.len()))
            .field("http", &self.http.is_some())
            .finish_non_exhaustive()
    }
}

impl MessagingChannel {
    /// A builder for `platform`.
    pub fn builder(platform: MessagingPlatform) -> MessagingChannelBuilder {
        MessagingChannelBuilder {
            platform,
            secrets: Vec::new(),
            verify_token: None,
            http: None,
            graph_base: None,
            human_agent_tag: false,
            refresh: TokenRefresh::None,
            clock: Arc::new(SystemClock),
            catalogs: MetaCatalogs::new(),
        }
    }

    /// The platform.
    pub fn platform(&self) -> &MessagingPlatform {
        &self.platform
    }

    fn sender(&self) -> Result<&MessagingSender> {
        self.sender.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the channel has no HttpClient: build it with http_client to send")
                .with_operation("meta.send")
        })
    }

    /// The Send API sender (uploads, sender actions), when the channel can send.
    pub fn messaging_sender(&self) -> Option<&MessagingSender> {
        self.sender.as_ref()
    }

    /// Marks the customer's messages as seen (`sender_action: mark_seen`).
    pub async fn mark_seen(
        &self,
        account: &ChannelAccount,
        customer_id: &str,
        token: Option<&SecretString>,
    ) -> Result<()> {
        self.sender()?.sender_action(account, customer_id, SenderAction::MarkSeen, token).await
    }

    /// Shows or hides the typing indicator.
    pub async fn typing(
        &self,
        account: &ChannelAccount,
        customer_id: &str,
        on: bool,
        token: Option<&SecretString>,
    ) -> Result<()> {
        let action = if on { SenderAction::TypingOn } else { SenderAction::TypingOff };
        self.sender()?.sender_action(account, customer_id, action, token).await
    }
}

impl fmt::Debug for MessagingChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessagingChannel")
            .field("platform", &self.platform.channel)
            .field("secrets", &format_args!("[{} redacted]", self.secrets.len()))
            .field("sender", &self.sender)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Channel for MessagingChannel {
    fn kind(&self) -> ChannelKind {
        self.platform.channel.clone()
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn handshake(&self, request: &WebhookRequest) -> Option<Result<WebhookResponse>> {
        answer_handshake(request, &self.verify_token)
    }

    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
        verify_signature(request, &self.secrets)
    }

    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
        parse_events(&self.platform, request.body())
    }

    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        self.sender()?.send(request).await
    }

    /// The configured Meta catalogs (`GET /{catalog-id}/products`), when any is.
    fn catalog(&self) -> Option<&dyn unibox_core::catalog::ProductSource> {
        self.catalog.as_ref().map(|c| c as &dyn unibox_core::catalog::ProductSource)
    }

    async fn refresh_tokens(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<TokenSet> {
        let graph = self.sender()?.graph();
        let now = self.clock.now();
        let fresh = match &self.refresh {
            TokenRefresh::None => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("the {} channel is configured with tokens that do not expire", self.platform.channel),
                )
                .with_operation("meta.token.refresh"));
            }
            TokenRefresh::FacebookExchange(app) => {
                graph.exchange_for_long_lived_token(app, &tokens.access_token, now).await?
            }
            TokenRefresh::InstagramRefresh => graph.refresh_instagram_token(&tokens.access_token, now).await?,
        };
        tracing::debug!(target: "unibox::meta", account = %account.id, "token refreshed");
        Ok(TokenSet { scopes: tokens.scopes.clone(), ..fresh })
    }

    /// `DELETE /{version}/me/permissions` with the account's token: Meta revokes every grant of
    /// the app by the user (or system user) the token belongs to, and with them the token and
    /// the Page tokens derived from it. `Unsupported` for Instagram Login tokens.
    async fn revoke_tokens(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<()> {
        const OPERATION: &str = "meta.token.revoke";
        if !self.capabilities.token_revocation {
            return Err(Error::new(ErrorKind::Unsupported, "Instagram Login tokens have no revoke call")
                .with_operation(OPERATION));
        }
        let graph = self.sender()?.graph();
        let answer: Success = graph
            .delete("me/permissions", &tokens.access_token)
            .await
            .map_err(|e| e.with_operation(OPERATION).with_context("account", account.id))?;
        if !answer.success {
            return Err(Error::new(ErrorKind::PlatformRejected, "Meta answered the revoke call without success")
                .with_operation(OPERATION)
                .with_context("account", account.id));
        }
        Ok(())
    }

    /// The user profile API: `GET /{PSID}?fields=first_name,last_name,profile_pic` for
    /// Messenger, `GET /{IGSID}?fields=name,username,profile_pic` for Instagram, with the
    /// account's token. A user who blocked the page, deleted their account or never allowed
    /// the profile to be read is `RecipientUnavailable`.
    async fn contact_profile(
        &self,
        account: &ChannelAccount,
        identity: &ContactIdentity,
        tokens: Option<&TokenSet>,
    ) -> Result<PlatformProfile> {
        const OPERATION: &str = "meta.profile";
        let token = tokens.map(|t| &t.access_token).ok_or_else(|| {
            Error::new(ErrorKind::TokenInvalid, "no token is stored for the account").with_operation(OPERATION)
        })?;
        crate::messaging::profile::fetch(self.sender()?.graph(), &self.platform.channel, &identity.value, token)
            .await
            .map_err(|e| e.with_operation(OPERATION).with_context("account", account.id))
    }
}

/// Graph's answer to a DELETE.
#[derive(serde::Deserialize)]
struct Success {
    #[serde(default)]
    success: bool,
}
