use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{ChannelAccountId, ChannelId, TenantId, Timestamp};

/// Which platform a channel speaks to.
///
/// The platforms unibox ships adapters for are constants; an integrator writing an adapter
/// for another platform makes its own kind with [`ChannelKind::new`].
///
/// ```
/// use unibox_core::ChannelKind;
/// assert_eq!(ChannelKind::TIKTOK_SHOP.as_str(), "tiktok-shop");
/// assert_eq!("line".parse::<ChannelKind>().unwrap(), ChannelKind::LINE);
/// let viber = ChannelKind::new("viber");
/// assert_eq!(viber.to_string(), "viber");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelKind(Cow<'static, str>);

impl ChannelKind {
    /// Facebook Messenger (a Facebook page).
    pub const MESSENGER: ChannelKind = ChannelKind(Cow::Borrowed("messenger"));
    /// Instagram Direct (an Instagram professional account).
    pub const INSTAGRAM: ChannelKind = ChannelKind(Cow::Borrowed("instagram"));
    /// WhatsApp Business Cloud API (a phone number).
    pub const WHATSAPP: ChannelKind = ChannelKind(Cow::Borrowed("whatsapp"));
    /// LINE Messaging API (a LINE official account).
    pub const LINE: ChannelKind = ChannelKind(Cow::Borrowed("line"));
    /// Telegram Bot API (a bot).
    pub const TELEGRAM: ChannelKind = ChannelKind(Cow::Borrowed("telegram"));
    /// Twilio Programmable Messaging (SMS, MMS and WhatsApp through Twilio).
    pub const TWILIO: ChannelKind = ChannelKind(Cow::Borrowed("twilio"));
    /// Shopee buyer chat (a shop).
    pub const SHOPEE: ChannelKind = ChannelKind(Cow::Borrowed("shopee"));
    /// Lazada buyer chat (a seller).
    pub const LAZADA: ChannelKind = ChannelKind(Cow::Borrowed("lazada"));
    /// TikTok Shop customer service (a shop).
    pub const TIKTOK_SHOP: ChannelKind = ChannelKind(Cow::Borrowed("tiktok-shop"));
    /// The generic Standard Webhooks channel, for any system without an adapter.
    pub const WEBHOOK: ChannelKind = ChannelKind(Cow::Borrowed("webhook"));

    /// Every kind unibox ships an adapter for.
    pub const BUILT_IN: [ChannelKind; 10] = [
        Self::MESSENGER,
        Self::INSTAGRAM,
        Self::WHATSAPP,
        Self::LINE,
        Self::TELEGRAM,
        Self::TWILIO,
        Self::SHOPEE,
        Self::LAZADA,
        Self::TIKTOK_SHOP,
        Self::WEBHOOK,
    ];

    /// A kind for a platform of your own adapter. Use lowercase kebab-case.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        ChannelKind(name.into())
    }

    /// The kind's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ChannelKind {
    type Err = crate::Error;

    /// Parses one of the built-in kinds; anything else is an error listing them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::BUILT_IN.into_iter().find(|kind| kind.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Self::BUILT_IN.iter().map(|k| k.as_str()).collect();
            crate::Error::new(
                crate::ErrorKind::InvalidInput,
                format!("unknown channel kind {s:?}; expected one of: {}", known.join(", ")),
            )
        })
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChannelKind({})", self.0)
    }
}

/// Whether a channel account can be used.
///
/// ```
/// use unibox_core::ChannelAccountState;
/// assert!(ChannelAccountState::Connected.can_send());
/// let state = ChannelAccountState::ReauthorizationRequired { reason: "token expired".into() };
/// assert!(!state.can_send());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ChannelAccountState {
    /// Receiving and sending.
    Connected,
    /// The platform no longer accepts the stored credentials; an admin must reconnect.
    ReauthorizationRequired {
        /// Why, in words an admin understands (never a token).
        reason: String,
    },
    /// Disconnected on purpose: events for it are refused and nothing is sent.
    Disconnected,
}

impl ChannelAccountState {
    /// True when sends may be attempted.
    pub fn can_send(&self) -> bool {
        matches!(self, ChannelAccountState::Connected)
    }
}

/// One connected account on a platform: a Facebook page, an Instagram account, a WhatsApp
/// phone number, a LINE official account, a Telegram bot, a Twilio number or a marketplace shop.
///
/// ```
/// use unibox_core::{ChannelAccount, ChannelKind, Timestamp};
/// let account = ChannelAccount::new(
///     "acme".parse().unwrap(),
///     "acme-line".parse().unwrap(),
///     ChannelKind::LINE,
///     "U4af4980629c37e7b3ad0a4e2e0a8b2ed",
///     Timestamp::from_unix_seconds(1_700_000_000),
/// );
/// assert!(account.state.can_send());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAccount {
    /// unibox's id for the account.
    pub id: ChannelAccountId,
    /// The tenant that owns the account.
    pub tenant: TenantId,
    /// The configured channel that receives and sends for this account.
    pub channel: ChannelId,
    /// The platform.
    pub kind: ChannelKind,
    /// The platform's id of the account: page id, Instagram account id, WhatsApp phone number
    /// id, LINE bot user id (`destination`), Telegram bot id, Twilio number, shop id.
    /// Inbound events name it, which is how a batched webhook is routed to its tenants.
    pub platform_account_id: String,
    /// A name for people ("Acme Thailand LINE").
    pub display_name: String,
    /// Whether the account can be used.
    pub state: ChannelAccountState,
    /// When it was connected.
    pub connected_at: Timestamp,
}

impl ChannelAccount {
    /// A connected account with a new id; the display name starts as the platform id.
    pub fn new(
        tenant: TenantId,
        channel: ChannelId,
        kind: ChannelKind,
        platform_account_id: impl Into<String>,
        connected_at: Timestamp,
    ) -> Self {
        let platform_account_id = platform_account_id.into();
        ChannelAccount {
            id: ChannelAccountId::new(),
            tenant,
            channel,
            kind,
            display_name: platform_account_id.clone(),
            platform_account_id,
            state: ChannelAccountState::Connected,
            connected_at,
        }
    }

    /// Sets the display name.
    pub fn with_display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = name.into();
        self
    }
}
