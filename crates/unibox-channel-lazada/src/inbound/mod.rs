//! Lazada pushes to unified events.
//!
//! | push (`message_type`) | unified event | event id |
//! |---|---|---|
//! | 2, IM message from the buyer | `Message` with the decoded content (see [`template`]) | `im:{message_id}` |
//! | 2, IM message from the seller (another device, Seller Center) | `Message`, direction outbound | `im:{message_id}` |
//! | 2, with `status` 1 (recalled) | `Unsend` | `im:{message_id}:recalled` |
//! | 2, a system message (`type` 2) | `Message` with `Content::Unsupported` (`lazada.template.2`) | `im:{message_id}` |
//! | 19, session update | `Unsupported` (`lazada.session_update`) with the read positions | `session:{id}:{self}:{to}:{unread}` |
//! | 0, trade order status | `OrderUpdate` (`trade_order_id`, `order_status`) | `order:{id}:{line}:{status}:{time}` |
//! | 10, reverse order | `OrderUpdate` (`trade_order_id`, the reverse status) | `reverse:{id}:{status}:{time}` |
//! | 14, fulfillment package (tracking) | `OrderUpdate` with the buyer and the package's logistics status | `package:{id}:{status}:{time}` |
//! | 8, authorization expires in 48 h | `Unsupported` (`lazada.authorization_expiring`), and an `ExpiryAlert` for renewal | `authorization-expiry:{seller}:{time}` |
//! | anything else (product, stock, promotion, seller status, …) | `Unsupported` (`lazada.{message_type}`) with the whole push | a fingerprint of the body |
//!
//! Lazada delivers at least once and retries every 30 minutes up to 12 times, so every id
//! comes from the payload, the same on every retry. The account is the seller id (the push's
//! `seller_id`, or `data.seller_id` where the push says `"null"`). The customer of a chat is
//! its session ([`SESSION_IDENTITY`]): sends go to a session, and one buyer has one session per
//! seller.

mod content;
mod wire;

pub use content::template;

use serde_json::value::RawValue;
use unibox_channel_marketplace::event_id::fingerprint;
use unibox_channel_marketplace::lenient::unix_time;
use unibox_channel_marketplace::renewal::{ExpiryAlert, Parsed};
use unibox_core::{
    Direction, Error, ErrorKind, EventKind, IdentityKind, InboundEvent, InboundMessage, OrderUpdate, PlatformUser,
    Result, Timestamp,
};

/// The identity kind of a Lazada chat: the IM session id (`100094063_2_1011822749_1_103`:
/// seller account, 2, buyer account, 1, a suffix), which is where messages are sent.
pub const SESSION_IDENTITY: &str = "lazada_session";

/// The buyer's account id in a Lazada IM session id (`{seller account}_2_{buyer account}_1_{suffix}`:
/// account type 2 is the seller, 1 the buyer), which is the `buyer_id` Lazada's orders and
/// fulfillment pushes name; `None` for any other shape.
///
/// ```
/// use unibox_channel_lazada::session_buyer;
/// assert_eq!(session_buyer("100094063_2_1011822749_1_103"), Some("1011822749"));
/// assert_eq!(session_buyer("1011822749_1_100094063_2_103"), None, "not the documented order");
/// assert_eq!(session_buyer("not-a-session"), None);
/// ```
pub fn session_buyer(session: &str) -> Option<&str> {
    let mut parts = session.split('_');
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let (seller, seller_type, buyer, buyer_type) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (digits(seller) && seller_type == "2" && digits(buyer) && buyer_type == "1").then_some(buyer)
}

/// `message_type` values unibox maps.
mod push_type {
    pub(super) const TRADE_ORDER: i64 = 0;
    pub(super) const IM_MESSAGE: i64 = 2;
    pub(super) const AUTHORIZATION_EXPIRY: i64 = 8;
    pub(super) const REVERSE_ORDER: i64 = 10;
    pub(super) const FULFILLMENT: i64 = 14;
    pub(super) const SESSION_UPDATE: i64 = 19;
}

fn malformed(why: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::MalformedPayload, why).with_operation("lazada.parse")
}

fn raw_json(raw: &RawValue) -> serde_json::Value {
    serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null)
}

/// Parses a verified push body.
pub(crate) fn parse(body: &[u8], now: Timestamp) -> Result<Parsed> {
    // serde reads a struct from a JSON array too; a push is an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(malformed("a Lazada push is a JSON object"));
    }
    let push: wire::Push<'_> =
        serde_json::from_slice(body).map_err(|e| malformed(format!("not a Lazada push (message_type, data): {e}")))?;
    let message_type = push.message_type.ok_or_else(|| malformed("the Lazada push has no message_type"))?;
    let data = push.data;
    let occurred_at = push.timestamp.map_or(now, unix_time);
    let mut alert = None;
    let mapped = match (message_type, data) {
        (push_type::IM_MESSAGE, Some(data)) => im_message(data, now),
        (push_type::SESSION_UPDATE, Some(data)) => session_update(data),
        (push_type::TRADE_ORDER | push_type::REVERSE_ORDER | push_type::FULFILLMENT, Some(data)) => {
            order(message_type, data, occurred_at)
        }
        (push_type::AUTHORIZATION_EXPIRY, Some(data)) => {
            let expiry: Option<wire::AuthorizationExpiry> = serde_json::from_str(data.get()).ok();
            expiry.and_then(|expiry| {
                let seller = expiry.seller_id.0.or_else(|| push.seller_id.0.clone())?;
                let expires_at = unix_time(expiry.auth_expiry_time?);
                alert = Some(ExpiryAlert { platform_account_id: seller.clone(), expires_at });
                let id = format!("authorization-expiry:{seller}:{}", expires_at.as_unix_seconds());
                Some(Mapped {
                    id,
                    account: Some(seller),
                    occurred_at: None,
                    kind: EventKind::Unsupported {
                        platform_type: "lazada.authorization_expiring".into(),
                        raw: raw_json(data),
                    },
                })
            })
        }
        _ => None,
    };
    let event = match mapped {
        Some(mapped) => {
            let account =
                mapped.account.or(push.seller_id.0).ok_or_else(|| malformed("the Lazada push names no seller_id"))?;
            InboundEvent {
                id: mapped.id,
                account,
                occurred_at: mapped.occurred_at.unwrap_or(occurred_at),
                kind: mapped.kind,
            }
        }
        None => {
            // Kept whole under a fingerprint of the exact body (the same on every retry).
            let account = push
                .seller_id
                .0
                .or_else(|| {
                    data.and_then(|d| serde_json::from_str::<wire::AuthorizationExpiry>(d.get()).ok()?.seller_id.0)
                })
                .ok_or_else(|| malformed("the Lazada push names no seller_id"))?;
            let raw = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
            InboundEvent {
                id: fingerprint("lazada", body),
                account,
                occurred_at,
                kind: EventKind::Unsupported { platform_type: format!("lazada.{message_type}"), raw },
            }
        }
    };
    Ok(Parsed { events: vec![event], alert })
}

/// What a push type's mapping produced.
struct Mapped {
    id: String,
    /// Set when the data names the seller better than the envelope.
    account: Option<String>,
    occurred_at: Option<Timestamp>,
    kind: EventKind,
}

fn session(id: &str) -> PlatformUser {
    PlatformUser::new(IdentityKind::Other(SESSION_IDENTITY.into()), id)
}

fn im_message(data: &RawValue, now: Timestamp) -> Option<Mapped> {
    let message: wire::ImMessage = serde_json::from_str(data.get()).ok()?;
    let session_id = message.session_id.filter(|s| !s.is_empty())?;
    let message_id = message.message_id.0?;
    let customer = session(&session_id);
    let occurred_at = Some(message.send_time.map_or(now, unix_time));
    if message.status == Some(1) {
        return Some(Mapped {
            id: format!("im:{message_id}:recalled"),
            account: None,
            occurred_at,
            kind: EventKind::Unsend { customer, message_id },
        });
    }
    let template = if message.kind == Some(2) { template::SYSTEM } else { message.template_id.unwrap_or(0) };
    let content = content::content(template, message.content.as_deref().unwrap_or(""));
    let mut inbound = InboundMessage::inbound(customer, message_id.clone(), content);
    // The seller's own messages (Seller Center, another app) arrive too: echoes.
    if message.from_account_type == Some(2) {
        inbound.direction = Direction::Outbound;
    }
    Some(Mapped { id: format!("im:{message_id}"), account: None, occurred_at, kind: EventKind::Message(inbound) })
}

fn session_update(data: &RawValue) -> Option<Mapped> {
    let update: wire::SessionUpdate = serde_json::from_str(data.get()).ok()?;
    let session_id = update.session_id.filter(|s| !s.is_empty())?;
    let id = format!(
        "session:{session_id}:{}:{}:{}",
        update.self_position.unwrap_or(0),
        update.to_position.unwrap_or(0),
        update.unread_count.unwrap_or(0)
    );
    Some(Mapped {
        id,
        account: None,
        occurred_at: None,
        kind: EventKind::Unsupported { platform_type: "lazada.session_update".into(), raw: raw_json(data) },
    })
}

fn order(message_type: i64, data: &RawValue, occurred_at: Timestamp) -> Option<Mapped> {
    let order: wire::Order = serde_json::from_str(data.get()).ok()?;
    let order_id = order.trade_order_id.0?;
    let time = order.status_update_time.unwrap_or(0);
    let (id, status, buyer) = match message_type {
        push_type::TRADE_ORDER => {
            let status = order.order_status?;
            let line = order.trade_order_line_id.0.unwrap_or_default();
            let reverse = order.reverse_order_id.0.map(|r| format!(":{r}")).unwrap_or_default();
            (format!("order:{order_id}:{line}{reverse}:{status}:{time}"), status, None)
        }
        push_type::REVERSE_ORDER => {
            let status = order.reverse_status.or(order.status)?;
            let reverse = order.reverse_order_id.0.unwrap_or_default();
            (format!("reverse:{order_id}:{reverse}:{status}:{time}"), status, None)
        }
        _ => {
            let status = order.status?;
            let package = order.fulfillment_package_id.0.unwrap_or_default();
            let buyer = order.buyer_id.0.map(|b| PlatformUser::new(IdentityKind::MarketplaceBuyerId, b));
            (format!("package:{order_id}:{package}:{status}:{time}"), status, buyer)
        }
    };
    let occurred_at = Some(order.status_update_time.map_or(occurred_at, unix_time));
    Some(Mapped {
        id,
        account: None,
        occurred_at,
        kind: EventKind::OrderUpdate(OrderUpdate { buyer, order_id, status, raw: raw_json(data) }),
    })
}
