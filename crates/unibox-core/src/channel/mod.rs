//! The [`Channel`] trait and what it works with: capabilities, webhook requests, the
//! verification proof, and sends.

mod capabilities;
pub mod hex;
mod profile;
mod rate;
mod send;
pub mod signature;
mod unroutable;
mod verified;
mod webhook;
mod window;

use async_trait::async_trait;

pub use capabilities::Capabilities;
pub use profile::PlatformProfile;
pub use rate::{Rate, RateLimits};
pub use send::{SendReceipt, SendRequest};
pub use unroutable::UnroutableAnswer;
pub use verified::{SignatureProof, Verified};
pub use webhook::{WebhookRequest, WebhookResponse};
pub use window::{MessagingWindow, OutsideWindow};

use crate::{ChannelAccount, ChannelKind, ContactIdentity, InboundEvent, Result, TokenSet};

/// A platform adapter: it verifies and parses the platform's webhooks and sends messages.
///
/// One `Channel` value is one configured connection to a platform (a Meta app, a LINE
/// channel, a Telegram bot, a Standard Webhooks endpoint) holding its secrets. It may serve
/// many [`ChannelAccount`]s: every event it parses names its account.
///
/// The flow for a webhook is fixed by the types: [`verify`](Channel::verify) checks the raw
/// request in constant time and returns a [`Verified`] proof, and only a `Verified` request
/// can be [`parse`](Channel::parse)d, so unverified bytes are never parsed by mistake.
///
/// Implementations map platform errors to [`ErrorKind`](crate::ErrorKind)s in one table
/// (token invalid, rate limited with the server's delay, messaging window closed, recipient
/// unavailable, temporary, permanent). `docs/writing-a-channel.md` walks through one.
///
/// ```
/// use async_trait::async_trait;
/// use unibox_core::channel::{signature, Capabilities, SendReceipt, SendRequest, Verified, WebhookRequest};
/// use unibox_core::{Channel, ChannelKind, Error, ErrorKind, InboundEvent, Result};
///
/// /// A toy channel whose webhooks carry a shared secret in a header.
/// #[derive(Debug)]
/// struct Toy { secret: String, capabilities: Capabilities }
///
/// #[async_trait]
/// impl Channel for Toy {
///     fn kind(&self) -> ChannelKind { ChannelKind::new("toy") }
///     fn capabilities(&self) -> &Capabilities { &self.capabilities }
///     fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
///         let given = request.header("x-toy-secret").unwrap_or_default();
///         let proof = signature::secrets_match(given.as_bytes(), self.secret.as_bytes())?;
///         Ok(Verified::new(request, proof))
///     }
///     fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
///         serde_json::from_slice(request.body())
///             .map_err(|e| Error::new(ErrorKind::MalformedPayload, format!("not a list of events: {e}")))
///     }
///     async fn send(&self, _request: &SendRequest<'_>) -> Result<SendReceipt> {
///         Err(Error::new(ErrorKind::Unsupported, "the toy channel cannot send"))
///     }
/// }
///
/// let toy = Toy { secret: "s3cret".into(), capabilities: Capabilities::default() };
/// let request = WebhookRequest::post("https://example.com/hook".parse().unwrap(), "[]")
///     .with_header("x-toy-secret", "s3cret");
/// let verified = toy.verify(&request).unwrap();
/// assert!(toy.parse(&verified).unwrap().is_empty());
/// let forged = WebhookRequest::post("https://example.com/hook".parse().unwrap(), "[]");
/// assert_eq!(toy.verify(&forged).unwrap_err().kind(), ErrorKind::SignatureInvalid);
/// ```
#[async_trait]
pub trait Channel: Send + Sync + std::fmt::Debug + 'static {
    /// The platform.
    fn kind(&self) -> ChannelKind;

    /// What this channel can do; the hub checks sends against it and the testkit picks the
    /// conformance tests that apply.
    fn capabilities(&self) -> &Capabilities;

    /// Answers a subscription handshake (Meta's `GET ?hub.mode=subscribe&hub.challenge=...`).
    ///
    /// Returns `None` when the request is not a handshake, so the hub goes on to verify it.
    /// The default has no handshake.
    fn handshake(&self, request: &WebhookRequest) -> Option<Result<WebhookResponse>> {
        let _ = request;
        None
    }

    /// Checks the request's authenticity over the exact raw bytes (method, full URL, headers,
    /// body), in constant time. Fails with [`ErrorKind::SignatureInvalid`](crate::ErrorKind).
    fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>>;

    /// Turns a verified request into events. Fails with
    /// [`ErrorKind::MalformedPayload`](crate::ErrorKind) when the payload cannot be understood;
    /// content it understands only partly becomes `Unsupported` with the raw JSON.
    fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>>;

    /// The response the platform expects once the events are durably stored. The default is
    /// an empty `200 OK`; some platforms want a body (Twilio: TwiML).
    fn acknowledgement(&self) -> WebhookResponse {
        WebhookResponse::ok()
    }

    /// Sends one message and returns the platform's id for it.
    async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt>;

    /// The channel's order API, if its platform has one (Shopee, Lazada, TikTok Shop): the hub
    /// fetches what an order push leaves out through it. The default has none.
    fn orders(&self) -> Option<&dyn crate::orders::OrderSource> {
        None
    }

    /// The channel's conversation and message lists, if its platform has them (Shopee,
    /// Lazada, TikTok Shop): the [`HistoryWorker`](crate::history::HistoryWorker) back-fills
    /// and recovers lost pushes through them. The default has none.
    fn history(&self) -> Option<&dyn crate::history::ConversationHistory> {
        None
    }

    /// The channel's product listing, if its platform has one (Shopee items, Meta catalogs):
    /// [`Hub::sync_catalog`](crate::Hub::sync_catalog) reads it. The default has none.
    fn catalog(&self) -> Option<&dyn crate::catalog::ProductSource> {
        None
    }

    /// Exchanges the account's current tokens for fresh ones (an OAuth refresh, Meta's
    /// long-lived token exchange, Shopee's single-use refresh token) and returns the new set.
    ///
    /// The token vault calls this ahead of expiry, at most once at a time per account across
    /// every process sharing the store, and stores the result before anyone uses it, so a
    /// single-use refresh token is never sent twice. Map the platform's answer like a send:
    /// a refresh token the platform no longer accepts is [`ErrorKind::TokenInvalid`] (the
    /// account then needs reauthorization and is not retried), a 5xx or connection failure
    /// is [`ErrorKind::PlatformUnavailable`] (retried later). Never put a token in the error.
    ///
    /// Channels that declare [`Capabilities::token_refresh`] implement it; the default fails
    /// with [`ErrorKind::Unsupported`].
    ///
    /// [`ErrorKind::TokenInvalid`]: crate::ErrorKind::TokenInvalid
    /// [`ErrorKind::PlatformUnavailable`]: crate::ErrorKind::PlatformUnavailable
    /// [`ErrorKind::Unsupported`]: crate::ErrorKind::Unsupported
    async fn refresh_tokens(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<TokenSet> {
        let _ = tokens;
        Err(crate::Error::new(
            crate::ErrorKind::Unsupported,
            format!("the {} channel cannot refresh tokens (account {})", self.kind(), account.id),
        ))
    }

    /// Revokes the account's access token at the platform, so a copy of it (a backup, a log
    /// someone kept) is dead too. [`Hub::disconnect_account`](crate::Hub::disconnect_account)
    /// calls it with the tokens it is about to delete, after deleting them locally.
    ///
    /// Channels that declare [`Capabilities::token_revocation`] implement it; the default fails
    /// with [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported). Map the platform's
    /// answer like a send, and never put a token in the error.
    async fn revoke_tokens(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<()> {
        let _ = tokens;
        Err(crate::Error::new(
            crate::ErrorKind::Unsupported,
            format!("the {} channel cannot revoke tokens at the platform (account {})", self.kind(), account.id),
        ))
    }

    /// Fetches the display name and picture of the customer `identity` on `account` (LINE
    /// `GET /v2/bot/profile/{userId}`, Graph user profile for Messenger and Instagram). The
    /// hub's [`ProfileWorker`](crate::profiles::ProfileWorker) calls it in the background when
    /// a contact first writes and again after a TTL, never on the ingest path.
    ///
    /// A user the platform will not describe (they blocked the bot, left, or never
    /// befriended it) is [`ErrorKind::RecipientUnavailable`](crate::ErrorKind::RecipientUnavailable).
    /// Channels that declare [`Capabilities::contact_profiles`] implement it; the default fails
    /// with [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported).
    async fn contact_profile(
        &self,
        account: &ChannelAccount,
        identity: &ContactIdentity,
        tokens: Option<&TokenSet>,
    ) -> Result<PlatformProfile> {
        let _ = (identity, tokens);
        Err(crate::Error::new(
            crate::ErrorKind::Unsupported,
            format!("the {} channel cannot fetch contact profiles (account {})", self.kind(), account.id),
        ))
    }
}
