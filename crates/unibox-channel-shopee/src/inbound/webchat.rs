//! Webchat pushes (code 10): a chat message, or a conversation notification.

use serde_json::value::RawValue;
use unibox_core::{
    Content, Direction, EventKind, IdentityKind, InboundEvent, InboundMessage, Media, MediaSource, PlatformUser,
    Result, Timestamp,
};
use url::Url;

use super::wire::{MessageBody, Quoted, Webchat, WebchatContent, WebchatRaw};
use super::{Conversation, Id, malformed, seconds, value};

/// The `platform_type` prefix of conversation notifications (`conversation.mark_as_replied`).
pub(crate) const CONVERSATION_PREFIX: &str = "conversation.";

pub(crate) fn parse(
    shop: &str,
    data: Option<&RawValue>,
    at: Timestamp,
    seen: &mut Vec<Conversation>,
) -> Result<Vec<InboundEvent>> {
    let data = data.ok_or_else(|| malformed("the Shopee webchat push has no data"))?;
    let webchat: Webchat<'_> = serde_json::from_str(data.get())
        .map_err(|e| malformed(format!("the Shopee webchat push is not as documented: {e}")))?;
    match &*webchat.kind {
        "message" => message(shop, webchat.content, data, at, seen).map(|event| vec![event]),
        "notification" => {
            let note = webchat.content;
            let kind = note.kind.as_deref().filter(|k| !k.is_empty()).unwrap_or("notification");
            Ok(vec![InboundEvent {
                id: format!(
                    "conversation:{}:{kind}:{}:{}",
                    note.conversation_id.as_str(),
                    note.user_id.as_str(),
                    note.timestamp.unwrap_or_default()
                ),
                account: shop.to_owned(),
                occurred_at: seconds(note.timestamp, at),
                kind: EventKind::Unsupported {
                    platform_type: format!("{CONVERSATION_PREFIX}{kind}"),
                    raw: raw_content(data),
                },
            }])
        }
        other => Ok(vec![InboundEvent {
            id: format!("webchat:{other}:{}", super::fingerprint(data)),
            account: shop.to_owned(),
            occurred_at: at,
            kind: EventKind::Unsupported { platform_type: format!("webchat.{other}"), raw: raw_content(data) },
        }]),
    }
}

/// The JSON of `data.content`, for what is kept whole (read again: the rare path).
fn raw_content(data: &RawValue) -> serde_json::Value {
    serde_json::from_str::<WebchatRaw<'_>>(data.get()).map(|raw| value(raw.content)).unwrap_or(serde_json::Value::Null)
}

fn message(
    shop: &str,
    message: WebchatContent<'_>,
    data: &RawValue,
    at: Timestamp,
    seen: &mut Vec<Conversation>,
) -> Result<InboundEvent> {
    if message.message_id.is_empty() {
        return Err(malformed("the Shopee chat message has no message_id"));
    }
    let Some(message_type) = message.message_type.as_deref() else {
        return Err(malformed("the Shopee chat message has no message_type"));
    };
    // A message the shop itself sent (Seller Centre, another tool) comes back as an echo.
    let from_the_shop = message.from_shop_id.as_ref().is_some_and(|id| !id.is_empty() && id.as_str() == shop);
    let (customer_id, customer_name, direction) = if from_the_shop {
        (&message.to_id, message.to_user_name.as_deref(), Direction::Outbound)
    } else {
        (&message.from_id, message.from_user_name.as_deref(), Direction::Inbound)
    };
    if customer_id.is_empty() {
        return Err(malformed("the Shopee chat message names no buyer (from_id / to_id)"));
    }
    let mut customer = PlatformUser::new(IdentityKind::MarketplaceBuyerId, customer_id.as_str());
    if let Some(name) = customer_name.filter(|n| !n.is_empty()) {
        customer = customer.with_name(name);
    }
    if !message.conversation_id.is_empty() {
        seen.push(Conversation {
            shop: shop.to_owned(),
            buyer: customer_id.0.clone(),
            conversation: message.conversation_id.0.clone(),
        });
    }
    let content = content(&message, message_type, data);
    let reply_to = message.quoted_msg.and_then(quoted).filter(|id| !id.is_empty()).map(|id| id.0);
    Ok(InboundEvent {
        id: format!("message:{}", message.message_id.as_str()),
        account: shop.to_owned(),
        occurred_at: seconds(message.created_timestamp, at),
        kind: EventKind::Message(InboundMessage {
            customer,
            direction,
            message_id: message.message_id.0,
            content,
            reply_to,
        }),
    })
}

/// `quoted_msg` is documented as an array and sent as an object.
fn quoted(raw: &RawValue) -> Option<Id> {
    let text = raw.get().trim_start();
    if text.starts_with('[') {
        serde_json::from_str::<Vec<Quoted>>(text).ok()?.into_iter().next().map(|q| q.message_id)
    } else {
        serde_json::from_str::<Quoted>(text).ok().map(|q| q.message_id)
    }
}

/// Where media lives: a URL when Shopee gives one, else the file id on Shopee's media service.
fn media(location: &str) -> Media {
    match Url::parse(location) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Media::from_url(url),
        _ => Media {
            source: MediaSource::PlatformId { id: location.to_owned() },
            mime_type: None,
            caption: None,
            file_name: None,
        },
    }
}

fn content(message: &WebchatContent<'_>, message_type: &str, data: &RawValue) -> Content {
    let body: MessageBody = message.content.and_then(|c| serde_json::from_str(c.get()).ok()).unwrap_or_default();
    let nonempty = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let id = |id: &Option<Id>| id.as_ref().filter(|i| !i.is_empty()).map(|i| i.0.clone());
    let mapped = match message_type {
        // `faq_liveagent`: the buyer tapped a FAQ entry asking for the seller ("Chat dengan Penjual").
        "text" | "faq_liveagent" => body.text.filter(|t| !t.is_empty()).map(Content::text),
        "image" => nonempty(&body.url).map(|url| Content::Image(media(&url))),
        "video" => nonempty(&body.video_url).map(|url| Content::Video(media(&url))),
        "sticker" => id(&body.sticker_id).map(|sticker_id| Content::Sticker {
            sticker_id,
            package_id: id(&body.sticker_package_id),
            url: None,
        }),
        "item" => id(&body.item_id)
            .or_else(|| message.source_content.as_ref().and_then(|s| id(&s.item_id)))
            .map(|product_id| Content::Product { product_id, name: None, url: None }),
        "order" => nonempty(&body.order_sn)
            .or_else(|| message.source_content.as_ref().and_then(|s| nonempty(&s.order_sn)))
            .map(|order_id| Content::Order { order_id, status: None }),
        _ => None,
    };
    mapped.unwrap_or_else(|| Content::Unsupported { platform_type: message_type.to_owned(), raw: raw_content(data) })
}
