//! Realistic test data: tenants, channel accounts, customers and routed events shaped like the
//! ones LINE, Messenger and Shopee deliver, with Thai and English texts.
//!
//! Every helper is deterministic (no clock, no randomness) except for the unibox ids that
//! [`ChannelAccount::new`] draws, so a failing test prints the same payloads every run.
//!
//! ```
//! use unibox_testkit::fixtures::{self, AccountEvents};
//! let tenant = fixtures::tenant("acme");
//! let account = fixtures::line_account(&tenant);
//! let events = AccountEvents::new(&account);
//! let event = events.text("evt-1", &fixtures::line_user(), "msg-1", fixtures::THAI_ORDER_TEXT, fixtures::at(0));
//! assert_eq!(event.tenant, tenant);
//! assert_eq!(event.event.account, account.platform_account_id);
//! ```

use unibox_core::inbox::{OutboundDraft, RoutedEvent};
use unibox_core::{
    Author, ChannelAccount, ChannelId, ChannelKind, Content, ConversationId, DeliveryStatus, DeliveryUpdate, Direction,
    EventKind, IdentityKind, InboundEvent, InboundMessage, MessageId, PlatformUser, TenantId, Timestamp, UserId,
};

/// The LINE userId of the customer in the LINE fixtures.
pub const LINE_USER_ID: &str = "U4af4980629c37e7b3ad0a4e2e0a8b2ed";
/// The LINE bot user id (`destination`) of the LINE fixture account.
pub const LINE_BOT_ID: &str = "Ub9952f8f7a2c6e0d3b4a5f6e7d8c9b0a";
/// The page-scoped id of the customer in the Messenger fixtures.
pub const MESSENGER_PSID: &str = "6201234567890123";
/// The page id of the Messenger fixture account.
pub const MESSENGER_PAGE_ID: &str = "104738291837465";
/// The Shopee buyer id in the Shopee fixtures.
pub const SHOPEE_BUYER_ID: &str = "81231577";
/// The Shopee shop id of the Shopee fixture account.
pub const SHOPEE_SHOP_ID: &str = "220045872";

/// A Thai customer asking to order ("Hello, I'd like to order the red shirt, size M").
pub const THAI_ORDER_TEXT: &str = "สวัสดีค่ะ อยากสั่งซื้อเสื้อสีแดงไซส์ M ค่ะ";
/// A Thai customer asking about shipping ("When will my order ship?").
pub const THAI_SHIPPING_TEXT: &str = "สินค้าจะจัดส่งเมื่อไหร่คะ";
/// An English question about an order, as Shopee buyers write it.
pub const ENGLISH_ORDER_TEXT: &str = "Hi, when will order 241121ABCDEF ship? Need it before Friday";
/// An English refund request.
pub const ENGLISH_REFUND_TEXT: &str = "The REFUND for my last Order has not arrived yet";

/// 2024-11-21T08:20:00Z, the moment every fixture time is measured from.
pub const BASE_TIME: Timestamp = Timestamp::from_unix_seconds(1_732_177_200);

/// [`BASE_TIME`] plus `seconds` (negative goes back).
///
/// ```
/// use unibox_testkit::fixtures;
/// assert_eq!(fixtures::at(60).as_unix_millis() - fixtures::at(0).as_unix_millis(), 60_000);
/// ```
pub fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_millis(BASE_TIME.as_unix_millis().saturating_add(seconds.saturating_mul(1000)))
}

/// A tenant id. Panics when `name` is not a valid tenant id, which only a typo in a test causes.
///
/// ```
/// assert_eq!(unibox_testkit::fixtures::tenant("acme").as_str(), "acme");
/// ```
pub fn tenant(name: &str) -> TenantId {
    TenantId::new(name).unwrap_or_else(|e| panic!("fixture tenant {name:?} is not a valid tenant id: {e}"))
}

/// A user (agent) id. Panics on an invalid name, like [`tenant`].
///
/// ```
/// assert_eq!(unibox_testkit::fixtures::user("agent-7").as_str(), "agent-7");
/// ```
pub fn user(name: &str) -> UserId {
    UserId::new(name).unwrap_or_else(|e| panic!("fixture user {name:?} is not a valid user id: {e}"))
}

fn channel(name: &str) -> ChannelId {
    ChannelId::new(name).unwrap_or_else(|e| panic!("fixture channel {name:?} is not a valid channel id: {e}"))
}

/// An account of `kind` on channel `channel` with the given platform account id, connected at
/// [`BASE_TIME`] minus a day.
///
/// ```
/// use unibox_core::ChannelKind;
/// let tenant = unibox_testkit::fixtures::tenant("acme");
/// let account = unibox_testkit::fixtures::account(&tenant, "acme-tg", ChannelKind::TELEGRAM, "7012345678");
/// assert_eq!(account.platform_account_id, "7012345678");
/// ```
pub fn account(tenant: &TenantId, channel_name: &str, kind: ChannelKind, platform_account_id: &str) -> ChannelAccount {
    ChannelAccount::new(tenant.clone(), channel(channel_name), kind, platform_account_id, at(-86_400))
        .with_display_name(format!("{} {}", tenant, channel_name))
}

/// A LINE official account on channel `line`, bot id [`LINE_BOT_ID`].
///
/// ```
/// let account = unibox_testkit::fixtures::line_account(&unibox_testkit::fixtures::tenant("acme"));
/// assert_eq!(account.kind, unibox_core::ChannelKind::LINE);
/// ```
pub fn line_account(tenant: &TenantId) -> ChannelAccount {
    account(tenant, "line", ChannelKind::LINE, LINE_BOT_ID)
}

/// A Facebook page on channel `meta`, page id [`MESSENGER_PAGE_ID`].
///
/// ```
/// let account = unibox_testkit::fixtures::messenger_account(&unibox_testkit::fixtures::tenant("acme"));
/// assert_eq!(account.kind, unibox_core::ChannelKind::MESSENGER);
/// ```
pub fn messenger_account(tenant: &TenantId) -> ChannelAccount {
    account(tenant, "meta", ChannelKind::MESSENGER, MESSENGER_PAGE_ID)
}

/// A Shopee shop on channel `shopee`, shop id [`SHOPEE_SHOP_ID`].
///
/// ```
/// let account = unibox_testkit::fixtures::shopee_account(&unibox_testkit::fixtures::tenant("acme"));
/// assert_eq!(account.kind, unibox_core::ChannelKind::SHOPEE);
/// ```
pub fn shopee_account(tenant: &TenantId) -> ChannelAccount {
    account(tenant, "shopee", ChannelKind::SHOPEE, SHOPEE_SHOP_ID)
}

/// The LINE customer [`LINE_USER_ID`], named "Somchai".
///
/// ```
/// assert_eq!(unibox_testkit::fixtures::line_user().id, unibox_testkit::fixtures::LINE_USER_ID);
/// ```
pub fn line_user() -> PlatformUser {
    PlatformUser::new(IdentityKind::LineUserId, LINE_USER_ID).with_name("Somchai")
}

/// The Messenger customer [`MESSENGER_PSID`], named "Malee".
///
/// ```
/// assert_eq!(unibox_testkit::fixtures::messenger_user().id, unibox_testkit::fixtures::MESSENGER_PSID);
/// ```
pub fn messenger_user() -> PlatformUser {
    PlatformUser::new(IdentityKind::PageScopedId, MESSENGER_PSID).with_name("Malee")
}

/// The Shopee buyer [`SHOPEE_BUYER_ID`], named by their Shopee username.
///
/// ```
/// assert_eq!(unibox_testkit::fixtures::shopee_buyer().id, unibox_testkit::fixtures::SHOPEE_BUYER_ID);
/// ```
pub fn shopee_buyer() -> PlatformUser {
    PlatformUser::new(IdentityKind::MarketplaceBuyerId, SHOPEE_BUYER_ID).with_name("nattapong.s")
}

/// A numbered customer of `kind`, for tests that need many distinct customers.
///
/// ```
/// use unibox_core::IdentityKind;
/// let a = unibox_testkit::fixtures::customer(IdentityKind::LineUserId, 1);
/// let b = unibox_testkit::fixtures::customer(IdentityKind::LineUserId, 2);
/// assert_ne!(a.id, b.id);
/// ```
pub fn customer(kind: IdentityKind, number: u32) -> PlatformUser {
    let id = match kind {
        IdentityKind::LineUserId => format!("U{number:032x}"),
        IdentityKind::PageScopedId => format!("62012345{number:08}"),
        IdentityKind::MarketplaceBuyerId => format!("8123{number:04}"),
        _ => format!("customer-{number}"),
    };
    PlatformUser::new(kind, id).with_name(format!("Customer {number}"))
}

/// Builds [`RoutedEvent`]s for one channel account, as its channel would parse them.
///
/// ```
/// use unibox_core::EventKind;
/// use unibox_testkit::fixtures::{self, AccountEvents};
/// let account = fixtures::shopee_account(&fixtures::tenant("acme"));
/// let events = AccountEvents::new(&account);
/// let edit = events.edit("evt-9", &fixtures::shopee_buyer(), "msg-1", "typo fixed", fixtures::at(5));
/// assert!(matches!(edit.event.kind, EventKind::Edit { .. }));
/// ```
#[derive(Clone, Debug)]
pub struct AccountEvents {
    account: ChannelAccount,
    received_after: i64,
}

impl AccountEvents {
    /// Events for `account`, received two seconds after they happened.
    pub fn new(account: &ChannelAccount) -> Self {
        AccountEvents { account: account.clone(), received_after: 2_000 }
    }

    /// The account the events belong to.
    pub fn account(&self) -> &ChannelAccount {
        &self.account
    }

    /// Any event kind, routed to the account.
    pub fn event(&self, event_id: &str, kind: EventKind, occurred_at: Timestamp) -> RoutedEvent {
        RoutedEvent {
            tenant: self.account.tenant.clone(),
            account: self.account.id,
            received_at: Timestamp::from_unix_millis(occurred_at.as_unix_millis().saturating_add(self.received_after)),
            event: InboundEvent {
                id: event_id.to_string(),
                account: self.account.platform_account_id.clone(),
                occurred_at,
                kind,
            },
        }
    }

    /// A message event.
    pub fn message(&self, event_id: &str, message: InboundMessage, occurred_at: Timestamp) -> RoutedEvent {
        self.event(event_id, EventKind::Message(message), occurred_at)
    }

    /// A text message from `customer`.
    pub fn text(
        &self,
        event_id: &str,
        customer: &PlatformUser,
        message_id: &str,
        text: &str,
        occurred_at: Timestamp,
    ) -> RoutedEvent {
        self.message(event_id, InboundMessage::inbound(customer.clone(), message_id, Content::text(text)), occurred_at)
    }

    /// An echo: a text the business sent to `customer` from the platform's own app.
    pub fn echo(
        &self,
        event_id: &str,
        customer: &PlatformUser,
        message_id: &str,
        text: &str,
        occurred_at: Timestamp,
    ) -> RoutedEvent {
        let message = InboundMessage {
            customer: customer.clone(),
            direction: Direction::Outbound,
            message_id: message_id.to_string(),
            content: Content::text(text),
            reply_to: None,
        };
        self.message(event_id, message, occurred_at)
    }

    /// `customer` edited message `message_id` to `text`.
    pub fn edit(
        &self,
        event_id: &str,
        customer: &PlatformUser,
        message_id: &str,
        text: &str,
        occurred_at: Timestamp,
    ) -> RoutedEvent {
        let kind = EventKind::Edit {
            customer: customer.clone(),
            message_id: message_id.to_string(),
            content: Content::text(text),
        };
        self.event(event_id, kind, occurred_at)
    }

    /// `customer` unsent message `message_id`.
    pub fn unsend(
        &self,
        event_id: &str,
        customer: &PlatformUser,
        message_id: &str,
        occurred_at: Timestamp,
    ) -> RoutedEvent {
        let kind = EventKind::Unsend { customer: customer.clone(), message_id: message_id.to_string() };
        self.event(event_id, kind, occurred_at)
    }

    /// `customer` reacted to `message_id` with `emoji`, or removed their reaction (`None`).
    pub fn reaction(
        &self,
        event_id: &str,
        customer: &PlatformUser,
        message_id: &str,
        emoji: Option<&str>,
        occurred_at: Timestamp,
    ) -> RoutedEvent {
        let kind = EventKind::Reaction {
            customer: customer.clone(),
            message_id: message_id.to_string(),
            emoji: emoji.map(str::to_string),
        };
        self.event(event_id, kind, occurred_at)
    }

    /// A delivery receipt for outbound messages `message_ids`.
    pub fn delivery(
        &self,
        event_id: &str,
        message_ids: &[&str],
        status: DeliveryStatus,
        occurred_at: Timestamp,
    ) -> RoutedEvent {
        let kind = EventKind::Delivery(DeliveryUpdate {
            customer: None,
            message_ids: message_ids.iter().map(|id| id.to_string()).collect(),
            status,
        });
        self.event(event_id, kind, occurred_at)
    }

    /// `customer` tapped a button with `payload`.
    pub fn postback(
        &self,
        event_id: &str,
        customer: &PlatformUser,
        payload: &str,
        title: Option<&str>,
        occurred_at: Timestamp,
    ) -> RoutedEvent {
        let kind = EventKind::Postback {
            customer: customer.clone(),
            payload: payload.to_string(),
            title: title.map(str::to_string),
        };
        self.event(event_id, kind, occurred_at)
    }

    /// `customer` followed (added) the account.
    pub fn follow(&self, event_id: &str, customer: &PlatformUser, occurred_at: Timestamp) -> RoutedEvent {
        self.event(event_id, EventKind::Follow { customer: customer.clone() }, occurred_at)
    }

    /// The platform revoked the app's access to the account.
    pub fn authorization_revoked(&self, event_id: &str, reason: &str, occurred_at: Timestamp) -> RoutedEvent {
        self.event(event_id, EventKind::AuthorizationRevoked { reason: reason.to_string() }, occurred_at)
    }
}

/// A text reply by `agent` to record with [`OutboundMessages::record_outbound`](unibox_core::inbox::OutboundMessages::record_outbound).
///
/// ```
/// use unibox_core::{ConversationId, Author};
/// use unibox_testkit::fixtures;
/// let draft = fixtures::agent_reply(ConversationId::new(), &fixtures::user("agent-7"), "ได้เลยค่ะ", fixtures::at(30));
/// assert!(matches!(draft.author, Author::Agent(_)));
/// ```
pub fn agent_reply(conversation: ConversationId, agent: &UserId, text: &str, at: Timestamp) -> OutboundDraft {
    OutboundDraft {
        id: MessageId::new(),
        conversation,
        author: Author::Agent(agent.clone()),
        content: Content::text(text),
        reply_to: None,
        at,
    }
}
