//! unibox content to a `sellerchat/send_message` body: `{to_id, message_type, content}`.

mod send;

use serde_json::{Value, json};
use unibox_core::{Content, ContentKind, Error, ErrorKind, MediaSource, Result};

/// The content kinds the channel sends.
pub(crate) const SENDABLE: [ContentKind; 5] =
    [ContentKind::Text, ContentKind::Image, ContentKind::Sticker, ContentKind::Product, ContentKind::Order];

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidInput, message).with_operation("shopee.send")
}

/// A Shopee numeric id given as text (an item id).
fn numeric(id: &str, what: &str) -> Result<u64> {
    id.parse::<u64>().map_err(|_| invalid(format!("a Shopee {what} is a number; {id:?} is not")))
}

/// The `message_type` and `content` of one message.
pub(crate) fn message(content: &Content) -> Result<(&'static str, Value)> {
    Ok(match content {
        Content::Text { text } if text.trim().is_empty() => {
            return Err(invalid("a Shopee text message cannot be empty"));
        }
        Content::Text { text } => ("text", json!({"text": text})),
        Content::Image(media) => match &media.source {
            // sellerchat shows images by URL; Shopee's own CDN URLs (from `upload_image`) are
            // the ones it documents.
            MediaSource::Url { url } => ("image", json!({"image_url": url.as_str()})),
            MediaSource::PlatformId { .. } => {
                return Err(invalid("a Shopee image is sent by URL (upload it with sellerchat/upload_image first)"));
            }
        },
        Content::Sticker { sticker_id, package_id, .. } => {
            let package =
                package_id.as_deref().ok_or_else(|| invalid("a Shopee sticker needs its sticker package id"))?;
            ("sticker", json!({"sticker_id": sticker_id, "sticker_package_id": package}))
        }
        Content::Product { product_id, .. } => ("item", json!({"item_id": numeric(product_id, "item id")?})),
        Content::Order { order_id, .. } if order_id.is_empty() => {
            return Err(invalid("a Shopee order card needs the order_sn"));
        }
        Content::Order { order_id, .. } => ("order", json!({"order_sn": order_id})),
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "Shopee chat cannot send {} messages (text, image, sticker, item and order cards only)",
                    other.kind().as_str()
                ),
            )
            .with_operation("shopee.send"));
        }
    })
}
