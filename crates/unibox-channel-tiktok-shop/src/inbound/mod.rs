//! TikTok Shop webhooks to unified events.
//!
//! | webhook (`type`) | unified event | event id |
//! |---|---|---|
//! | 14 NEW_MESSAGE from the buyer | `Message` with the decoded content | `message:{message_id}` |
//! | 14 from the shop, an agent or a robot | `Message`, direction outbound | `message:{message_id}` |
//! | 14 from the system | `Unsupported` (`tiktok_shop.system_message`) | `message:{message_id}` |
//! | 13 NEW_CONVERSATION (an agent joined or left) | `Unsupported` (`tiktok_shop.conversation_update`) | `notification:{tts_notification_id}` |
//! | 1 ORDER_STATUS_CHANGE | `OrderUpdate` (`order_id`, `order_status`) | `notification:{id}` |
//! | 11 cancellation, 12 return status | `OrderUpdate` with the cancellation or return status | `notification:{id}` |
//! | 4 package update (combined, split) | one `OrderUpdate` per order of each package, status `PACKAGE_{sc_type}` | `notification:{id}:{order_id}` |
//! | 6 SELLER_DEAUTHORIZATION | `AuthorizationRevoked`: the inbox marks the shop for reauthorization | `notification:{id}` |
//! | 7 UPCOMING_AUTHORIZATION_EXPIRATION | `Unsupported` (`tiktok_shop.authorization_expiring`) and an `ExpiryAlert` for renewal | `notification:{id}` |
//! | anything else | `Unsupported` (`tiktok_shop.{type}`) with the whole webhook | `notification:{id}`, else a fingerprint of the body |
//!
//! The account is the `shop_id`. The customer of a chat is the conversation
//! ([`CONVERSATION_IDENTITY`]): messages are sent to a conversation, and the buyer's
//! `im_user_id` cannot be used to look up orders.

mod content;
mod wire;

use serde_json::value::RawValue;
use unibox_channel_marketplace::event_id::fingerprint;
use unibox_channel_marketplace::lenient::unix_time;
use unibox_channel_marketplace::renewal::{ExpiryAlert, Parsed};
use unibox_core::{
    Direction, Error, ErrorKind, EventKind, IdentityKind, InboundEvent, InboundMessage, OrderUpdate, PlatformUser,
    Result, Timestamp,
};

/// The identity kind of a TikTok Shop chat: the Customer Service conversation id.
pub const CONVERSATION_IDENTITY: &str = "tiktok_shop_conversation";

mod webhook_type {
    pub(super) const ORDER_STATUS: i64 = 1;
    pub(super) const PACKAGE_UPDATE: i64 = 4;
    pub(super) const DEAUTHORIZATION: i64 = 6;
    pub(super) const AUTHORIZATION_EXPIRING: i64 = 7;
    pub(super) const CANCELLATION: i64 = 11;
    pub(super) const RETURN: i64 = 12;
    pub(super) const NEW_CONVERSATION: i64 = 13;
    pub(super) const NEW_MESSAGE: i64 = 14;
}

fn malformed(why: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::MalformedPayload, why).with_operation("tiktok_shop.parse")
}

fn raw_json(raw: &RawValue) -> serde_json::Value {
    serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null)
}

/// Parses a verified webhook body.
pub(crate) fn parse(body: &[u8], now: Timestamp) -> Result<Parsed> {
    // serde reads a struct from a JSON array too; a webhook is an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(malformed("a TikTok Shop webhook is a JSON object"));
    }
    let notification: wire::Notification<'_> = serde_json::from_slice(body)
        .map_err(|e| malformed(format!("not a TikTok Shop webhook (type, shop_id, data): {e}")))?;
    let kind = notification.kind.ok_or_else(|| malformed("the TikTok Shop webhook has no type"))?;
    let shop = notification.shop_id.0.ok_or_else(|| malformed("the TikTok Shop webhook names no shop_id"))?;
    let occurred_at = notification.timestamp.map_or(now, unix_time);
    let notification_id = notification.tts_notification_id.0.map(|id| format!("notification:{id}"));
    let event = |id: String, occurred_at: Timestamp, kind: EventKind| InboundEvent {
        id,
        account: shop.clone(),
        occurred_at,
        kind,
    };
    let stable_id = || notification_id.clone().unwrap_or_else(|| fingerprint("tiktok-shop", body));
    let mut alert = None;
    let data = notification.data;
    let mapped: Option<Vec<InboundEvent>> = match (kind, data) {
        (webhook_type::NEW_MESSAGE, Some(data)) => message(data, now).map(|(id, at, kind)| vec![event(id, at, kind)]),
        (webhook_type::NEW_CONVERSATION, Some(data)) => {
            serde_json::from_str::<wire::Conversation>(data.get()).ok().and_then(|c| c.conversation_id.0).map(|_| {
                let kind = EventKind::Unsupported {
                    platform_type: "tiktok_shop.conversation_update".into(),
                    raw: raw_json(data),
                };
                vec![event(stable_id(), occurred_at, kind)]
            })
        }
        (webhook_type::ORDER_STATUS | webhook_type::CANCELLATION | webhook_type::RETURN, Some(data)) => {
            serde_json::from_str::<wire::Order>(data.get()).ok().and_then(|order| {
                let status = match kind {
                    webhook_type::ORDER_STATUS => order.order_status,
                    webhook_type::CANCELLATION => order.cancel_status.or(order.order_status),
                    _ => order.return_status.or(order.order_status),
                }?;
                let update = OrderUpdate { buyer: None, order_id: order.order_id.0?, status, raw: raw_json(data) };
                Some(vec![event(stable_id(), occurred_at, EventKind::OrderUpdate(update))])
            })
        }
        (webhook_type::PACKAGE_UPDATE, Some(data)) => {
            serde_json::from_str::<wire::PackageUpdate>(data.get()).ok().and_then(|update| {
                let status = format!("PACKAGE_{}", update.sc_type?);
                let raw = raw_json(data);
                let base = stable_id();
                let events: Vec<InboundEvent> = update
                    .package_list
                    .iter()
                    .flat_map(|package| package.order_id_list.iter().filter_map(|o| o.0.clone()))
                    .map(|order_id| {
                        let id = format!("{base}:{order_id}");
                        let update = OrderUpdate { buyer: None, order_id, status: status.clone(), raw: raw.clone() };
                        event(id, occurred_at, EventKind::OrderUpdate(update))
                    })
                    .collect();
                (!events.is_empty()).then_some(events)
            })
        }
        (webhook_type::DEAUTHORIZATION, data) => {
            let reason = data
                .and_then(|d| serde_json::from_str::<wire::Authorization>(d.get()).ok())
                .and_then(|a| a.message)
                .unwrap_or_else(|| "the seller deauthorized the app on TikTok Shop".to_owned());
            Some(vec![event(stable_id(), occurred_at, EventKind::AuthorizationRevoked { reason })])
        }
        (webhook_type::AUTHORIZATION_EXPIRING, Some(data)) => serde_json::from_str::<wire::Authorization>(data.get())
            .ok()
            .and_then(|a| a.expiration_time.0?.parse::<i64>().ok())
            .map(|expires| {
                alert = Some(ExpiryAlert { platform_account_id: shop.clone(), expires_at: unix_time(expires) });
                let kind = EventKind::Unsupported {
                    platform_type: "tiktok_shop.authorization_expiring".into(),
                    raw: raw_json(data),
                };
                vec![event(stable_id(), occurred_at, kind)]
            }),
        _ => None,
    };
    let events = match mapped {
        Some(events) => events,
        None => {
            let raw = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
            let kind = EventKind::Unsupported { platform_type: format!("tiktok_shop.{kind}"), raw };
            vec![event(stable_id(), occurred_at, kind)]
        }
    };
    Ok(Parsed { events, alert })
}

/// A type-14 message: its id, time and event.
fn message(data: &RawValue, now: Timestamp) -> Option<(String, Timestamp, EventKind)> {
    let message: wire::Message = serde_json::from_str(data.get()).ok()?;
    let conversation = message.conversation_id.0?;
    let message_id = message.message_id.0?;
    let id = format!("message:{message_id}");
    let at = message.create_time.map_or(now, unix_time);
    let sender = message.sender.as_ref();
    let role = sender.and_then(|s| s.role.as_deref()).unwrap_or("BUYER");
    let kind = message.kind.as_deref().unwrap_or("OTHER");
    let content = content::content(kind, message.content.as_deref().unwrap_or(""));
    if role == "SYSTEM" {
        let raw = raw_json(data);
        return Some((id, at, EventKind::Unsupported { platform_type: "tiktok_shop.system_message".into(), raw }));
    }
    let mut customer = PlatformUser::new(IdentityKind::Other(CONVERSATION_IDENTITY.into()), conversation);
    let mut inbound = InboundMessage::inbound(customer.clone(), message_id, content);
    if role == "BUYER" {
        customer.display_name = sender.and_then(|s| s.nickname.clone()).filter(|n| !n.is_empty());
        inbound.customer = customer;
    } else {
        // The shop's own messages (Seller Center, an agent, a robot): echoes.
        inbound.direction = Direction::Outbound;
    }
    Some((id, at, EventKind::Message(inbound)))
}
