use crate::channel::{MessagingWindow, RateLimits, UnroutableAnswer};
use crate::{ContentKind, ContentKinds};

/// What a channel can do, as plain data: the hub checks sends against it, applications
/// adapt their UI to it, and the testkit runs the conformance tests that apply.
///
/// Build one with struct-update syntax, so new fields added later keep your code compiling:
///
/// ```
/// use std::time::Duration;
/// use unibox_core::channel::{Capabilities, MessagingWindow, OutsideWindow};
/// use unibox_core::{ContentKind, ContentKinds};
/// let caps = Capabilities {
///     send: ContentKinds::of(&[ContentKind::Text, ContentKind::Image, ContentKind::Template]),
///     max_text_length: Some(4096),
///     messaging_window: Some(MessagingWindow {
///         free_form: Duration::from_secs(24 * 3600),
///         human_agent: None,
///         outside: OutsideWindow::TemplatesOnly,
///     }),
///     ..Capabilities::default()
/// };
/// assert!(caps.can_send(ContentKind::Image));
/// assert!(!caps.can_send(ContentKind::Sticker));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The content kinds the channel can send.
    pub send: ContentKinds,
    /// The longest text the platform accepts, in characters.
    pub max_text_length: Option<usize>,
    /// The platform's rule for when a business may message a customer.
    pub messaging_window: Option<MessagingWindow>,
    /// Replies can use a short-lived reply token (LINE) instead of a push.
    pub reply_token: bool,
    /// The platform deduplicates retried sends by an idempotency key, so a send whose outcome
    /// is unknown may be retried safely (LINE `X-Line-Retry-Key`).
    pub idempotent_send: bool,
    /// The platform subscribes the webhook with a handshake (Meta's GET challenge).
    pub subscription_handshake: bool,
    /// The platform reports edits of messages.
    pub edits: bool,
    /// The platform reports reactions.
    pub reactions: bool,
    /// The platform reports delivery and read receipts.
    pub delivery_receipts: bool,
    /// Access tokens expire and are refreshed through the channel.
    pub token_refresh: bool,
    /// The platform can revoke an account's access token on request, and
    /// [`Channel::revoke_tokens`](crate::Channel::revoke_tokens) does it: disconnecting the
    /// account then kills the token at the platform, not only in the store.
    pub token_revocation: bool,
    /// The platform tells a contact's display name and picture, and
    /// [`Channel::contact_profile`](crate::Channel::contact_profile) fetches them.
    pub contact_profiles: bool,
    /// The platform's documented sending limits; the delivery worker keeps under them.
    pub rate_limits: RateLimits,
    /// How a webhook delivery none of whose events belongs to a connected account is answered.
    /// A delivery with at least one routable event is always acknowledged.
    pub unroutable_delivery: UnroutableAnswer,
}

impl Capabilities {
    /// Whether the channel can send `kind`.
    pub fn can_send(&self, kind: ContentKind) -> bool {
        self.send.contains(kind)
    }
}
