//! A message's content (a JSON document in a string) to unified [`Content`], by message type.

use unibox_channel_marketplace::nested;
use unibox_core::{Content, Media, MediaSource};
use url::Url;

use super::wire;

fn url(text: Option<&str>) -> Option<Url> {
    text.and_then(|t| Url::parse(t).ok())
}

fn unsupported(kind: &str, raw: &str) -> Content {
    Content::Unsupported {
        platform_type: format!("tiktok_shop.{}", kind.to_ascii_lowercase()),
        raw: nested::value(raw),
    }
}

/// The content of a message of `kind` (`TEXT`, `IMAGE`, …) whose content string is `raw`; what
/// unibox has no mapping for, or what lacks what its type needs, is `Unsupported` with the
/// decoded JSON.
pub(crate) fn content(kind: &str, raw: &str) -> Content {
    let Some(fields) = nested::decode::<wire::Content>(raw) else {
        return unsupported(kind, raw);
    };
    mapped(kind, fields).unwrap_or_else(|| unsupported(kind, raw))
}

fn mapped(kind: &str, fields: wire::Content) -> Option<Content> {
    Some(match kind {
        "TEXT" => Content::text(fields.content?),
        "IMAGE" => Content::Image(Media::from_url(url(fields.url.as_deref())?)),
        "EMOTICONS" => Content::Sticker {
            sticker_id: fields.emoticon_id.0.or(fields.content).filter(|s| !s.is_empty())?,
            package_id: None,
            url: url(fields.url.as_deref()),
        },
        "VIDEO" => match (url(fields.url.as_deref()), fields.video_id.0) {
            (Some(url), _) => Content::Video(Media::from_url(url)),
            (None, Some(id)) => Content::Video(Media {
                source: MediaSource::PlatformId { id },
                mime_type: None,
                caption: None,
                file_name: None,
            }),
            (None, None) => return None,
        },
        // A card, or the buyer arriving in the chat from a product or an order page.
        "PRODUCT_CARD" | "BUYER_ENTER_FROM_PRODUCT" => {
            Content::Product { product_id: fields.product_id.0?, name: fields.title, url: None }
        }
        "ORDER_CARD" | "BUYER_ENTER_FROM_ORDER" => Content::Order { order_id: fields.order_id.0?, status: None },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_maps_and_the_rest_is_kept() {
        assert_eq!(content("TEXT", r#"{"content":"444"}"#), Content::text("444"));
        assert!(matches!(
            content("IMAGE", r#"{"url":"https://p16-oec-va.ibyteimg.com/a.jpeg","width":800,"height":600}"#),
            Content::Image(_)
        ));
        assert!(
            matches!(content("EMOTICONS", r#"{"content":"[smile]"}"#), Content::Sticker { sticker_id, .. } if sticker_id == "[smile]")
        );
        assert!(matches!(content("VIDEO", r#"{"video_id":"v0d3f2"}"#), Content::Video(_)));
        assert!(
            matches!(content("PRODUCT_CARD", r#"{"product_id":"1729587769570529475"}"#), Content::Product { product_id, .. } if product_id == "1729587769570529475")
        );
        assert!(matches!(content("ORDER_CARD", r#"{"order_id":"576486316948490001"}"#), Content::Order { .. }));
        assert!(
            matches!(content("COUPON_CARD", r#"{"coupon_id":"1"}"#), Content::Unsupported { platform_type, .. } if platform_type == "tiktok_shop.coupon_card")
        );
        assert!(matches!(content("TEXT", "oops"), Content::Unsupported { .. }));
    }
}
