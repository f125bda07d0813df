//! The conformance suite for [`Channel`] adapters, ours and third-party ones.
//!
//! An adapter's test implements [`ChannelHarness`] (how to sign a delivery, some realistic
//! payloads, and optionally how to point the channel at a [`FakeServer`]) and calls
//! [`run_all`], or the individual suite functions. Each function panics with a message naming
//! the broken rule, like an assertion. Tests that only make sense for some channels are
//! selected from the channel's [`Capabilities`](unibox_core::channel::Capabilities), in the
//! manner of OpenDAL's behaviour tests:
//!
//! | suite function | runs when |
//! |---|---|
//! | [`samples_verify_and_parse`] | always |
//! | [`body_changes_fail_verification`] | the harness says the body is signed |
//! | [`missing_headers_fail_verification`] | always |
//! | [`other_secret_fails_verification`] | always |
//! | [`unsigned_requests_fail_verification`] | always |
//! | [`garbage_never_panics`] | always |
//! | [`handshake_is_consistent`] | always (checks `subscription_handshake`) |
//! | [`capabilities_are_consistent`] | always |
//! | [`declared_content_kinds_send`] | the harness has a send target |
//! | [`text_at_the_length_limit_sends`] | a send target, `max_text_length` set and text sendable |
//! | [`idempotent_resend_returns_the_same_receipt`] | a send target and `idempotent_send` |
//! | [`send_failures_map_to_the_right_kinds`] | a send target |
//!
//! A complete example: a toy platform that signs the body with HMAC-SHA256 in an
//! `x-toy-signature` header (hex) and posts `{"shop": ..., "id": ..., "text": ...}`. It cannot
//! send, so the send tests are skipped. A real adapter's harness lives in its `tests/`
//! (`unibox-channel-webhook/tests/conformance.rs` adds a send target on a [`FakeServer`]).
//!
//! ```
//! use std::sync::Arc;
//! use unibox_core::channel::{signature, Capabilities, SendReceipt, SendRequest, Verified, WebhookRequest};
//! use unibox_core::{
//!     Channel, ChannelKind, Content, Error, ErrorKind, EventKind, IdentityKind, InboundEvent, InboundMessage,
//!     PlatformUser, Result, Timestamp,
//! };
//! use unibox_testkit::channel::{run_all, ChannelHarness};
//!
//! fn hex(bytes: &[u8]) -> String {
//!     bytes.iter().map(|b| format!("{b:02x}")).collect()
//! }
//!
//! fn unhex(text: &str) -> Option<Vec<u8>> {
//!     if text.len() % 2 != 0 || !text.is_ascii() {
//!         return None;
//!     }
//!     (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
//! }
//!
//! #[derive(Debug)]
//! struct ToyChannel {
//!     secret: Vec<u8>,
//!     capabilities: Capabilities,
//! }
//!
//! #[unibox_core::async_trait]
//! impl Channel for ToyChannel {
//!     fn kind(&self) -> ChannelKind {
//!         ChannelKind::new("toy")
//!     }
//!     fn capabilities(&self) -> &Capabilities {
//!         &self.capabilities
//!     }
//!     fn verify<'r>(&self, request: &'r WebhookRequest) -> Result<Verified<'r>> {
//!         let invalid = || Error::new(ErrorKind::SignatureInvalid, "missing or malformed x-toy-signature");
//!         let tag = request.header("x-toy-signature").and_then(unhex).ok_or_else(invalid)?;
//!         let proof = signature::verify_hmac_sha256(&self.secret, &[&request.body], &tag)?;
//!         Ok(Verified::new(request, proof))
//!     }
//!     fn parse(&self, request: &Verified<'_>) -> Result<Vec<InboundEvent>> {
//!         let malformed = |why: &str| Error::new(ErrorKind::MalformedPayload, format!("not a toy message: {why}"));
//!         let toy: serde_json::Value = serde_json::from_slice(request.body()).map_err(|e| malformed(&e.to_string()))?;
//!         let field = |name: &str| toy.get(name).and_then(|v| v.as_str()).map(str::to_owned).ok_or_else(|| malformed(name));
//!         let (shop, id, from, text) = (field("shop")?, field("id")?, field("from")?, field("text")?);
//!         let customer = PlatformUser::new(IdentityKind::External, from);
//!         Ok(vec![InboundEvent {
//!             id: id.clone(),
//!             account: shop,
//!             occurred_at: Timestamp::from_unix_seconds(1_732_000_000),
//!             kind: EventKind::Message(InboundMessage::inbound(customer, id, Content::text(text))),
//!         }])
//!     }
//!     async fn send(&self, _request: &SendRequest<'_>) -> Result<SendReceipt> {
//!         Err(Error::new(ErrorKind::Unsupported, "the toy platform cannot send"))
//!     }
//! }
//!
//! struct ToyHarness {
//!     channel: Arc<ToyChannel>,
//! }
//!
//! impl ToyHarness {
//!     fn sign(&self, secret: &[u8], body: &[u8]) -> WebhookRequest {
//!         let url = "https://inbox.example.com/hooks/toy".parse().unwrap();
//!         WebhookRequest::post(url, body.to_vec())
//!             .with_header("x-toy-signature", &hex(&signature::hmac_sha256(secret, &[body])))
//!     }
//! }
//!
//! #[unibox_core::async_trait]
//! impl ChannelHarness for ToyHarness {
//!     fn channel(&self) -> Arc<dyn Channel> {
//!         self.channel.clone()
//!     }
//!     fn signed_request(&self, body: &[u8]) -> WebhookRequest {
//!         self.sign(&self.channel.secret, body)
//!     }
//!     fn request_signed_with_other_secret(&self, body: &[u8]) -> WebhookRequest {
//!         self.sign(b"another tenant's secret", body)
//!     }
//!     fn sample_payloads(&self) -> Vec<Vec<u8>> {
//!         vec![br#"{"shop":"shop-42","id":"t-1","from":"cust-9","text":"Is the blue one in stock?"}"#.to_vec()]
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let channel = ToyChannel { secret: b"toy-secret-0123456789".to_vec(), capabilities: Capabilities::default() };
//! run_all(&ToyHarness { channel: Arc::new(channel) }).await;
//! # }
//! ```

mod inbound;
mod samples;
mod send;

use std::sync::Arc;

use async_trait::async_trait;
use http::HeaderName;
use secrecy::SecretString;
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ChannelAccount, ContactIdentity};

pub use inbound::{
    body_changes_fail_verification, capabilities_are_consistent, garbage_never_panics, handshake_is_consistent,
    missing_headers_fail_verification, other_secret_fails_verification, samples_verify_and_parse,
    unsigned_requests_fail_verification,
};
pub use samples::sample_content;
pub use send::{
    declared_content_kinds_send, idempotent_resend_returns_the_same_receipt, send_failures_map_to_the_right_kinds,
    text_at_the_length_limit_sends,
};

use crate::http::FakeServer;

/// What the suite needs to know about an adapter. Implement it in the adapter's tests.
#[async_trait]
pub trait ChannelHarness: Send + Sync {
    /// The channel under test, holding the secret that [`signed_request`](Self::signed_request)
    /// signs with, and a clock under which those signatures are current.
    fn channel(&self) -> Arc<dyn Channel>;

    /// A delivery of `body` signed exactly as the platform signs it.
    ///
    /// Each call must return a request that verifies on its own, even if an earlier one with
    /// the same body was verified: channels that refuse replays need a fresh delivery id (or
    /// timestamp) per call. Include only the headers verification depends on, or override
    /// [`signature_headers`](Self::signature_headers).
    fn signed_request(&self, body: &[u8]) -> WebhookRequest;

    /// A delivery of `body` signed the same way but with a secret the channel does not hold
    /// (another tenant's, a rotated-out one).
    fn request_signed_with_other_secret(&self, body: &[u8]) -> WebhookRequest;

    /// Realistic, valid bodies as the platform sends them; each must parse into at least one
    /// event.
    fn sample_payloads(&self) -> Vec<Vec<u8>>;

    /// Whether the platform's signature covers the body. Platforms that authenticate with a
    /// shared secret echoed in a header (Telegram) answer `false`, which skips
    /// [`body_changes_fail_verification`].
    fn body_is_signed(&self) -> bool {
        true
    }

    /// The headers whose removal must make verification fail. The default is every header
    /// of [`signed_request`](Self::signed_request).
    fn signature_headers(&self) -> Vec<HeaderName> {
        let request = self.signed_request(b"{}");
        let mut names: Vec<HeaderName> = request.headers.keys().cloned().collect();
        names.dedup();
        names
    }

    /// A channel that sends to `platform` instead of the real API, and what to send with.
    ///
    /// Script `platform` here to answer as the platform does when it accepts a message
    /// ([`FakeServer::respond_with`] can look at each request); for idempotent channels, a
    /// repeated idempotency key must get the answer the platform gives to a duplicate. The
    /// suite queues its own failure answers ahead of that when it tests error mapping.
    /// `None` (the default) skips the send tests.
    async fn send_target(&self, platform: &FakeServer) -> Option<SendTarget> {
        let _ = platform;
        None
    }
}

/// A channel pointed at a fake platform, and the account and recipient to send with.
#[derive(Debug)]
pub struct SendTarget {
    /// The channel, sending to the fake server.
    pub channel: Arc<dyn Channel>,
    /// The account to send from.
    pub account: ChannelAccount,
    /// The customer to send to.
    pub recipient: ContactIdentity,
    /// The access token to pass, when the channel takes one from the token store.
    pub access_token: Option<SecretString>,
}

/// Runs every suite function that applies to the harness's channel.
pub async fn run_all(harness: &dyn ChannelHarness) {
    samples_verify_and_parse(harness);
    body_changes_fail_verification(harness);
    missing_headers_fail_verification(harness);
    other_secret_fails_verification(harness);
    unsigned_requests_fail_verification(harness);
    garbage_never_panics(harness);
    handshake_is_consistent(harness);
    capabilities_are_consistent(harness);
    declared_content_kinds_send(harness).await;
    text_at_the_length_limit_sends(harness).await;
    idempotent_resend_returns_the_same_receipt(harness).await;
    send_failures_map_to_the_right_kinds(harness).await;
}

/// The events of `request`, verified and parsed by `channel`; panics (failing the test) when
/// either refuses it. For adapters' fixture tests.
///
/// ```
/// # fn check(channel: &dyn unibox_core::Channel, request: &unibox_core::channel::WebhookRequest) {
/// let events = unibox_testkit::channel::events_of(channel, request);
/// assert!(events.iter().all(|e| !e.id.is_empty()));
/// # }
/// ```
pub fn events_of(
    channel: &dyn unibox_core::Channel,
    request: &unibox_core::channel::WebhookRequest,
) -> Vec<unibox_core::InboundEvent> {
    let verified = channel.verify(request).unwrap_or_else(|e| panic!("failed verification: {e}"));
    channel.parse(&verified).unwrap_or_else(|e| panic!("failed to parse: {e}"))
}

/// The one event of `request` (see [`events_of`]); panics unless there is exactly one.
pub fn one_event(
    channel: &dyn unibox_core::Channel,
    request: &unibox_core::channel::WebhookRequest,
) -> unibox_core::InboundEvent {
    let mut events = events_of(channel, request);
    assert_eq!(events.len(), 1, "the request should parse into exactly one event: {events:?}");
    events.remove(0)
}
