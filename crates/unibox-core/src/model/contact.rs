use serde::{Deserialize, Serialize};

use crate::{ChannelAccountId, ContactId, TenantId, Timestamp};

/// What kind of platform identifier a contact identity is.
///
/// Most platform user ids are scoped: a Messenger PSID is valid only for one page, a LINE
/// userId only for one provider. That is why an identity always names its channel account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdentityKind {
    /// Messenger page-scoped id (PSID).
    PageScopedId,
    /// Instagram-scoped id (IGSID).
    InstagramScopedId,
    /// WhatsApp id (`wa_id`, usually the phone number without `+`).
    WhatsappId,
    /// WhatsApp business-scoped user id (BSUID), for users hiding their number.
    BusinessScopedUserId,
    /// LINE userId (`U` + 32 hex characters), scoped to the provider.
    LineUserId,
    /// Telegram user id.
    TelegramUserId,
    /// Telegram chat id (groups and channels).
    TelegramChatId,
    /// A phone number in E.164 form (Twilio SMS).
    PhoneNumber,
    /// A marketplace buyer id (Shopee, Lazada, TikTok Shop).
    MarketplaceBuyerId,
    /// An id chosen by an external system (the generic webhook channel).
    External,
    /// An identifier kind of a third-party adapter.
    Other(String),
}

/// One identity of a contact: who the customer is on one channel account.
///
/// ```
/// use unibox_core::{ChannelAccountId, ContactIdentity, IdentityKind};
/// let identity = ContactIdentity {
///     account: ChannelAccountId::new(),
///     kind: IdentityKind::LineUserId,
///     value: "U4af4980629c37e7b3ad0a4e2e0a8b2ed".into(),
/// };
/// assert_eq!(identity.kind, IdentityKind::LineUserId);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContactIdentity {
    /// The channel account the identity is valid on.
    pub account: ChannelAccountId,
    /// What the value is.
    pub kind: IdentityKind,
    /// The platform's id.
    pub value: String,
}

/// A customer as a platform names them in an event, before unibox knows the contact.
///
/// ```
/// use unibox_core::{IdentityKind, PlatformUser};
/// let user = PlatformUser::new(IdentityKind::PageScopedId, "6201234567890123").with_name("Somchai");
/// assert_eq!(user.display_name.as_deref(), Some("Somchai"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformUser {
    /// What the id is.
    pub kind: IdentityKind,
    /// The platform's id of the user.
    pub id: String,
    /// A display name, when the payload carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl PlatformUser {
    /// A user without a display name.
    pub fn new(kind: IdentityKind, id: impl Into<String>) -> Self {
        PlatformUser { kind, id: id.into(), display_name: None }
    }

    /// Sets the display name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }
}

/// A customer, with one identity per channel they have written on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// unibox's id.
    pub id: ContactId,
    /// The owning tenant.
    pub tenant: TenantId,
    /// The best known name.
    pub display_name: Option<String>,
    /// Identities on channel accounts.
    pub identities: Vec<ContactIdentity>,
    /// When the contact was first seen.
    pub created_at: Timestamp,
}
