//! Pushes to unified events: buyer messages of every type, conversation notifications, order
//! status and tracking numbers, and authorization granted, expiring and revoked.
//!
//! Every event names the shop it belongs to (`account`, the shop id as a decimal string) and
//! has an id derived only from the push's content, so Shopee's redeliveries (webchat pushes are
//! retried after 1, 2 and 3 s; the others after 5 min, 30 min and 3 h) are stored once.

mod id;
mod webchat;
pub(crate) mod wire;

use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use unibox_core::channel::hex;
use unibox_core::{Error, ErrorKind, EventKind, InboundEvent, OrderUpdate, Result, Timestamp};

pub(crate) use id::Id;

/// The `platform_type` of the event an expiring authorization (push code 12) becomes, one per
/// shop: its raw JSON is `{"shop_id": "...", "expire_before": <unix seconds>}`. See
/// [`ShopeeChannel::authorization_expiry`](crate::ShopeeChannel::authorization_expiry).
pub const AUTHORIZATION_EXPIRING: &str = "authorization_expiring";

/// The status of the [`OrderUpdate`] a tracking-number push (code 4) becomes: the push carries
/// no order status, only the new tracking number (in the event's raw JSON).
pub const TRACKING_NUMBER_ASSIGNED: &str = "TRACKING_NUMBER_ASSIGNED";

pub(crate) fn malformed(why: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::MalformedPayload, why).with_operation("shopee.parse")
}

/// The JSON of a raw value (it was parsed once already, so this cannot fail in practice).
pub(crate) fn value(raw: &RawValue) -> serde_json::Value {
    serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null)
}

/// The push's name for the codes unibox keeps whole.
fn push_name(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "shop_authorization_push",
        5 => "shopee_updates",
        6 => "violation_item_push",
        7 => "item_promotion_push",
        8 => "reserved_stock_change_push",
        9 => "promotion_update_push",
        11 => "video_upload_push",
        13 => "brand_register_result",
        15 => "shipping_document_status_push",
        _ => return None,
    })
}

fn seconds(value: Option<i64>, fallback: Timestamp) -> Timestamp {
    match value {
        Some(seconds) if seconds > 0 => Timestamp::from_unix_seconds(seconds),
        _ => fallback,
    }
}

fn data_of<'a, T: serde::Deserialize<'a>>(code: i64, data: Option<&'a RawValue>) -> Result<T> {
    let data = data.ok_or_else(|| malformed(format!("the Shopee push (code {code}) has no data")))?;
    serde_json::from_str(data.get())
        .map_err(|e| malformed(format!("the data of the Shopee push (code {code}) is not as documented: {e}")))
}

/// A buyer's conversation with a shop, as a chat message named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Conversation {
    pub(crate) shop: String,
    pub(crate) buyer: String,
    pub(crate) conversation: String,
}

/// The events of one webchat push's `data` (a chat message pulled from `get_message` takes
/// this shape too).
pub(crate) fn webchat_events(
    shop: &str,
    data: &RawValue,
    now: Timestamp,
    seen: &mut Vec<Conversation>,
) -> Result<Vec<InboundEvent>> {
    webchat::parse(shop, Some(data), now, seen)
}

/// Parses one push body, noting in `seen` the conversation of every chat message. `now` only
/// stands in for a missing timestamp, never in an id.
pub(crate) fn parse(body: &[u8], now: Timestamp, seen: &mut Vec<Conversation>) -> Result<Vec<InboundEvent>> {
    let envelope: wire::Envelope<'_> =
        serde_json::from_slice(body).map_err(|e| malformed(format!("not a Shopee push: {e}")))?;
    let code = envelope.code;
    let at = seconds(envelope.timestamp, now);
    let shop = envelope.shop_id.as_ref().filter(|id| !id.is_empty()).map(Id::as_str);
    let in_shop = |what: &str| {
        shop.map(str::to_owned)
            .ok_or_else(|| malformed(format!("the Shopee {what} push (code {code}) names no shop_id")))
    };
    match code {
        // The console's "Verify" of the callback URL: `{"code":0,"data":{"verify_info":"..."}}`.
        0 => Ok(Vec::new()),
        10 => webchat::parse(&in_shop("webchat")?, envelope.data, at, seen),
        3 => {
            let order: wire::OrderStatus = data_of(code, envelope.data)?;
            let id = format!("order:{}:{}:{}", order.ordersn, order.status, order.update_time.unwrap_or_default());
            Ok(vec![order_event(
                id,
                in_shop("order status")?,
                seconds(order.update_time, at),
                order.ordersn,
                order.status,
                envelope.data,
            )])
        }
        4 => {
            let tracking: wire::OrderTracking = data_of(code, envelope.data)?;
            let id = format!(
                "tracking:{}:{}:{}",
                tracking.ordersn,
                tracking.package_number.as_deref().unwrap_or_default(),
                tracking.tracking_no.as_deref().unwrap_or_default()
            );
            let status = TRACKING_NUMBER_ASSIGNED.to_owned();
            Ok(vec![order_event(id, in_shop("tracking number")?, at, tracking.ordersn, status, envelope.data)])
        }
        2 => {
            let authorization: wire::Authorization = data_of(code, envelope.data)?;
            let reason = match (authorization.authorize_type.as_deref(), authorization.extra.as_deref()) {
                (Some(kind), Some(extra)) if !extra.is_empty() => format!("{kind}: {extra}"),
                (Some(kind), _) => kind.to_owned(),
                (None, Some(extra)) => extra.to_owned(),
                (None, None) => "the shop's authorization was canceled".to_owned(),
            };
            let timestamp = envelope.timestamp.unwrap_or_default();
            Ok(shops_of(shop, &authorization)
                .into_iter()
                .map(|shop| InboundEvent {
                    id: format!("revoked:{shop}:{timestamp}"),
                    account: shop,
                    occurred_at: at,
                    kind: EventKind::AuthorizationRevoked { reason: reason.clone() },
                })
                .collect())
        }
        12 => {
            let expiry: wire::AuthorizationExpiry = data_of(code, envelope.data)?;
            let before = expiry.expire_before.unwrap_or_default();
            let mut shops: Vec<String> = Vec::with_capacity(expiry.shop_expire_soon.len());
            for shop in expiry.shop_expire_soon.into_iter().filter(|s| !s.is_empty()) {
                // Shopee's own sample repeats ids.
                if !shops.contains(&shop.0) {
                    shops.push(shop.0);
                }
            }
            Ok(shops
                .into_iter()
                .map(|shop| InboundEvent {
                    id: format!("expiring:{shop}:{before}"),
                    kind: EventKind::Unsupported {
                        platform_type: AUTHORIZATION_EXPIRING.to_owned(),
                        raw: serde_json::json!({"shop_id": shop, "expire_before": before}),
                    },
                    account: shop,
                    occurred_at: at,
                })
                .collect())
        }
        _ => {
            let raw = envelope.data.map(value).unwrap_or(serde_json::Value::Null);
            let platform_type = push_name(code).map_or_else(|| format!("push_{code}"), str::to_owned);
            let accounts = match (code, shop) {
                (1, _) => match envelope.data.map(|d| serde_json::from_str::<wire::Authorization>(d.get())) {
                    Some(Ok(authorization)) => shops_of(shop, &authorization),
                    _ => shop.map(|s| vec![s.to_owned()]).unwrap_or_default(),
                },
                (_, Some(shop)) => vec![shop.to_owned()],
                // A push for a merchant or a partner with no shop cannot be routed to a tenant.
                (_, None) => Vec::new(),
            };
            let fingerprint = envelope.data.map(fingerprint).unwrap_or_default();
            let timestamp = envelope.timestamp.unwrap_or_default();
            Ok(accounts
                .into_iter()
                .map(|account| InboundEvent {
                    id: format!("push:{code}:{account}:{timestamp}:{fingerprint}"),
                    account,
                    occurred_at: at,
                    kind: EventKind::Unsupported { platform_type: platform_type.clone(), raw: raw.clone() },
                })
                .collect())
        }
    }
}

fn order_event(
    id: String,
    account: String,
    occurred_at: Timestamp,
    order_id: String,
    status: String,
    data: Option<&RawValue>,
) -> InboundEvent {
    let raw = data.map(value).unwrap_or(serde_json::Value::Null);
    InboundEvent {
        id,
        account,
        occurred_at,
        kind: EventKind::OrderUpdate(OrderUpdate { buyer: None, order_id, status, raw }),
    }
}

/// The shops an authorization push names: the envelope's, `shop_id` / `shopid`, and a main
/// account's `shop_id_list`, each once.
fn shops_of(envelope_shop: Option<&str>, authorization: &wire::Authorization) -> Vec<String> {
    let mut shops: Vec<String> = Vec::new();
    let named = envelope_shop
        .into_iter()
        .chain(authorization.shop_id.iter().map(Id::as_str))
        .chain(authorization.shopid.iter().map(Id::as_str))
        .chain(authorization.shop_id_list.iter().map(Id::as_str));
    for shop in named {
        if !shop.is_empty() && shop != "0" && !shops.iter().any(|s| s == shop) {
            shops.push(shop.to_owned());
        }
    }
    shops
}

/// A stable id part for pushes without an id of their own: a fingerprint of their exact data.
fn fingerprint(raw: &RawValue) -> String {
    let digest = Sha256::digest(raw.get().as_bytes());
    hex::encode(&digest[..12])
}
