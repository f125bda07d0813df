use std::time::Duration;

use secrecy::SecretString;

use crate::metering::UsageMetric;
use crate::{ChannelAccount, ContactIdentity, Content, MessageId, Timestamp};

/// Everything a channel needs to send one message.
///
/// ```
/// use unibox_core::channel::SendRequest;
/// use unibox_core::{ChannelAccount, ChannelKind, ContactIdentity, Content, IdentityKind, MessageId, Timestamp};
/// let account = ChannelAccount::new("acme".parse().unwrap(), "api".parse().unwrap(),
///     ChannelKind::WEBHOOK, "store-1", Timestamp::from_unix_seconds(0));
/// let recipient = ContactIdentity { account: account.id, kind: IdentityKind::External, value: "c-1".into() };
/// let content = Content::text("Your parcel left the warehouse.");
/// let request = SendRequest::new(&account, &recipient, &content, MessageId::new());
/// assert!(request.access_token.is_none());
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct SendRequest<'a> {
    /// The account to send from.
    pub account: &'a ChannelAccount,
    /// The customer's identity on that account.
    pub recipient: &'a ContactIdentity,
    /// What to send.
    pub content: &'a Content,
    /// The platform id of the message being replied to.
    pub reply_to: Option<&'a str>,
    /// unibox's id of the message; stable across retries, so it is the idempotency key for
    /// platforms that accept one.
    pub message_id: MessageId,
    /// The account's current access token, from the token store (None if the channel keeps
    /// its credentials itself).
    pub access_token: Option<&'a SecretString>,
    /// The sender is a human agent (allows the platform's human-agent tag where one exists).
    pub human_agent: bool,
    /// How long ago the customer last wrote in this conversation, by the hub's clock at this
    /// attempt; `None` when they never wrote (or the caller does not know). Channels with a
    /// messaging window choose the message type from it (Meta: a plain response inside 24
    /// hours, the human-agent tag only after) and refuse a closed window before calling.
    pub since_customer_message: Option<Duration>,
}

impl<'a> SendRequest<'a> {
    /// A request with no reply target, no token, sent by automation.
    pub fn new(
        account: &'a ChannelAccount,
        recipient: &'a ContactIdentity,
        content: &'a Content,
        message_id: MessageId,
    ) -> Self {
        SendRequest {
            account,
            recipient,
            content,
            reply_to: None,
            message_id,
            access_token: None,
            human_agent: false,
            since_customer_message: None,
        }
    }

    /// Sets the token.
    pub fn with_access_token(mut self, token: Option<&'a SecretString>) -> Self {
        self.access_token = token;
        self
    }

    /// Sets the message replied to.
    pub fn with_reply_to(mut self, reply_to: Option<&'a str>) -> Self {
        self.reply_to = reply_to;
        self
    }

    /// Marks the sender as a human agent.
    pub fn with_human_agent(mut self, human_agent: bool) -> Self {
        self.human_agent = human_agent;
        self
    }

    /// Says how long ago the customer last wrote (`None`: never).
    ///
    /// ```
    /// use std::time::Duration;
    /// use unibox_core::channel::SendRequest;
    /// use unibox_core::{ChannelAccount, ChannelKind, ContactIdentity, Content, IdentityKind, MessageId, Timestamp};
    /// let account = ChannelAccount::new("acme".parse().unwrap(), "fb".parse().unwrap(),
    ///     ChannelKind::MESSENGER, "104738291837465", Timestamp::from_unix_seconds(0));
    /// let recipient = ContactIdentity { account: account.id, kind: IdentityKind::PageScopedId, value: "6201".into() };
    /// let content = Content::text("On its way");
    /// let request = SendRequest::new(&account, &recipient, &content, MessageId::new())
    ///     .with_since_customer_message(Some(Duration::from_secs(90)));
    /// assert_eq!(request.since_customer_message, Some(Duration::from_secs(90)));
    /// ```
    pub fn with_since_customer_message(mut self, since: Option<Duration>) -> Self {
        self.since_customer_message = since;
        self
    }
}

/// The platform's answer to an accepted send.
///
/// ```
/// use unibox_core::channel::SendReceipt;
/// let receipt = SendReceipt::new("wamid.HBgLMTY1MDU1NTEyMzQ");
/// assert_eq!(receipt.platform_message_id, "wamid.HBgLMTY1MDU1NTEyMzQ");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendReceipt {
    /// The platform's id for the sent message.
    pub platform_message_id: String,
    /// When the platform says it accepted it, if it says.
    pub accepted_at: Option<Timestamp>,
    /// It went out with a free reply context (a LINE reply token) rather than a metered push.
    pub used_reply_token: bool,
    /// Billable units the platform (or the adapter) reports for this send, metered as they are
    /// (Twilio's SMS segments), in addition to the one message out the hub counts.
    pub usage: Vec<(UsageMetric, u64)>,
}

impl SendReceipt {
    /// A receipt with the platform's message id.
    pub fn new(platform_message_id: impl Into<String>) -> Self {
        SendReceipt {
            platform_message_id: platform_message_id.into(),
            accepted_at: None,
            used_reply_token: false,
            usage: Vec::new(),
        }
    }

    /// Adds `quantity` of `metric` that the adapter reports for this send; the hub's meter counts
    /// it as reported, so the rule (Twilio's segment count, say) stays in the adapter.
    ///
    /// ```
    /// use unibox_core::channel::SendReceipt;
    /// use unibox_core::metering::UsageMetric;
    /// let receipt = SendReceipt::new("SM3f1c7a0e9b2d4c6e8a0b2d4f6a8c0e2d").with_usage(UsageMetric::SmsSegments, 3);
    /// assert_eq!(receipt.usage, vec![(UsageMetric::SmsSegments, 3)]);
    /// ```
    pub fn with_usage(mut self, metric: UsageMetric, quantity: u64) -> Self {
        self.usage.push((metric, quantity));
        self
    }

    /// Marks the send as made with a reply token (LINE), which the platform does not bill.
    ///
    /// ```
    /// use unibox_core::channel::SendReceipt;
    /// assert!(SendReceipt::new("481234567890123456").replied_with_token().used_reply_token);
    /// ```
    pub fn replied_with_token(mut self) -> Self {
        self.used_reply_token = true;
        self
    }
}
