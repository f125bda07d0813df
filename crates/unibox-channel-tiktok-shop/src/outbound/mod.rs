//! Unified content to TikTok Shop Customer Service messages
//! (`POST /customer_service/202309/conversations/{id}/messages`, body
//! `{"type": …, "content": "<JSON in a string>"}`), the send, and marking a conversation read.
//!
//! | content | TikTok Shop message |
//! |---|---|
//! | `Text` (1–2,000 characters) | `TEXT` `{"content": …}` |
//! | `Image` at an `https` URL | `IMAGE` `{"url": …}`; a caption follows as a text message |
//! | `Product` | `PRODUCT_CARD` `{"product_id": …}` |
//! | `Order` | `ORDER_CARD` `{"order_id": …}` |
//!
//! Everything else is `Unsupported` before any call. The recipient is the conversation id
//! ([`CONVERSATION_IDENTITY`](crate::CONVERSATION_IDENTITY)).

pub(crate) mod send;

use serde_json::json;
use unibox_core::{Content, Error, ErrorKind, MediaSource, Result};

/// The longest text message TikTok Shop accepts, in characters.
pub const MAX_TEXT_LENGTH: usize = 2000;

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidInput, message).with_operation("tiktok_shop.send")
}

/// The JSON bodies `content` is sent as: one, or an image and its caption.
pub(crate) fn bodies(content: &Content) -> Result<Vec<Vec<u8>>> {
    let body = |kind: &str, inner: serde_json::Value| {
        json!({"type": kind, "content": inner.to_string()}).to_string().into_bytes()
    };
    let text = |text: &str| -> Result<Vec<u8>> {
        let length = text.chars().count();
        if text.trim().is_empty() {
            return Err(invalid("a TikTok Shop text message cannot be empty"));
        }
        if length > MAX_TEXT_LENGTH {
            return Err(invalid(format!(
                "a TikTok Shop text message has at most {MAX_TEXT_LENGTH} characters; this one has {length}"
            )));
        }
        Ok(body("TEXT", json!({"content": text})))
    };
    Ok(match content {
        Content::Text { text: t } => vec![text(t)?],
        Content::Image(media) => {
            let url = match &media.source {
                MediaSource::Url { url } if url.scheme() == "https" => url,
                MediaSource::Url { .. } => return Err(invalid("TikTok Shop sends images by https URL")),
                MediaSource::PlatformId { .. } => {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        "TikTok Shop sends images by URL, not by a media id",
                    )
                    .with_operation("tiktok_shop.send"));
                }
            };
            let mut bodies = vec![body("IMAGE", json!({"url": url.as_str()}))];
            if let Some(caption) = media.caption.as_deref().filter(|c| !c.trim().is_empty()) {
                bodies.push(text(caption)?);
            }
            bodies
        }
        Content::Product { product_id, .. } if !product_id.is_empty() => {
            vec![body("PRODUCT_CARD", json!({"product_id": product_id}))]
        }
        Content::Order { order_id, .. } if !order_id.is_empty() => {
            vec![body("ORDER_CARD", json!({"order_id": order_id}))]
        }
        Content::Product { .. } | Content::Order { .. } => return Err(invalid("a product or order card needs its id")),
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("the TikTok Shop channel does not send {} content", other.kind().as_str()),
            )
            .with_operation("tiktok_shop.send"));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_a_json_document_in_a_string() {
        let sent = bodies(&Content::text("test")).unwrap();
        // Key order is serde_json's (sorted, or insertion order with `preserve_order`
        // unified in by another crate); the request is signed over whatever bytes go out.
        let body: serde_json::Value = serde_json::from_slice(&sent[0]).unwrap();
        assert_eq!(body, serde_json::json!({"type": "TEXT", "content": r#"{"content":"test"}"#}));
        let card = bodies(&Content::Order { order_id: "576486316948490001".into(), status: None }).unwrap();
        assert!(String::from_utf8(card[0].clone()).unwrap().contains(r#"ORDER_CARD"#));
        let long = "ก".repeat(MAX_TEXT_LENGTH + 1);
        assert_eq!(bodies(&Content::text(long)).unwrap_err().kind(), ErrorKind::InvalidInput);
        assert!(bodies(&Content::text("ก".repeat(MAX_TEXT_LENGTH))).is_ok());
    }
}
