//! An IM message's content (a JSON document in a string) to unified [`Content`], by template.

use unibox_channel_marketplace::nested;
use unibox_core::{Content, Media, MediaSource};
use url::Url;

use super::wire;

/// Lazada's IM message templates (`template_id`).
pub mod template {
    /// Text: `{"txt": …}` (cross-border sellers also get `translateTxt`).
    pub const TEXT: i64 = 1;
    /// A system message: `{"txt", "recallContent"}`.
    pub const SYSTEM: i64 = 2;
    /// An image: `{"imgUrl", "osskey", "width", "height"}`.
    pub const IMAGE: i64 = 3;
    /// An emoji sticker: `{"txt": "[happy]", "imgUrl", "smallImgUrl"}`.
    pub const EMOJI: i64 = 4;
    /// A video.
    pub const VIDEO: i64 = 6;
    /// A product (item) card.
    pub const ITEM: i64 = 10006;
    /// An order card.
    pub const ORDER: i64 = 10007;
    /// A voucher.
    pub const VOUCHER: i64 = 10008;
    /// An invitation to follow the store.
    pub const FOLLOW_INVITATION: i64 = 10010;
}

fn url(text: Option<&str>) -> Option<Url> {
    text.and_then(|t| Url::parse(t).ok())
}

fn unsupported(template: i64, raw: &str) -> Content {
    Content::Unsupported { platform_type: format!("lazada.template.{template}"), raw: nested::value(raw) }
}

/// The content of a message of `template` whose content string is `raw`; what unibox has no
/// mapping for, or what lacks what its template needs, is `Unsupported` with the decoded JSON.
pub(crate) fn content(template: i64, raw: &str) -> Content {
    let Some(fields) = nested::decode::<wire::Content>(raw) else {
        return unsupported(template, raw);
    };
    mapped(template, fields).unwrap_or_else(|| unsupported(template, raw))
}

fn mapped(template: i64, fields: wire::Content) -> Option<Content> {
    Some(match template {
        template::TEXT => Content::text(fields.txt?),
        template::IMAGE => Content::Image(Media::from_url(url(fields.img_url.as_deref())?)),
        template::EMOJI => Content::Sticker {
            sticker_id: fields.txt.filter(|t| !t.is_empty())?,
            package_id: None,
            url: url(fields.img_url.as_deref()),
        },
        template::VIDEO => match (url(fields.video_url.as_deref()), fields.video_id.0) {
            (Some(url), _) => Content::Video(Media::from_url(url)),
            (None, Some(id)) => Content::Video(Media {
                source: MediaSource::PlatformId { id },
                mime_type: None,
                caption: None,
                file_name: None,
            }),
            (None, None) => return None,
        },
        template::ITEM => {
            Content::Product { product_id: fields.item_id.0?, name: fields.title, url: url(fields.item_url.as_deref()) }
        }
        template::ORDER => Content::Order { order_id: fields.order_id.0?, status: fields.status },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_maps_and_the_rest_is_kept() {
        assert_eq!(content(1, r#"{"txt":"hello world!"}"#), Content::text("hello world!"));
        assert!(matches!(
            content(3, r#"{"imgUrl":"https://sg-live.slatic.net/p/a.jpg","width":800,"height":600}"#),
            Content::Image(_)
        ));
        assert!(
            matches!(content(4, r#"{"txt":"[happy]","imgUrl":"https://sg-live.slatic.net/e/happy.png"}"#), Content::Sticker { sticker_id, url: Some(_), .. } if sticker_id == "[happy]")
        );
        assert!(matches!(content(6, r#"{"videoId":"30012345"}"#), Content::Video(_)));
        assert!(
            matches!(content(10006, r#"{"itemId":2736412345,"title":"Standing desk"}"#), Content::Product { product_id, .. } if product_id == "2736412345")
        );
        assert!(
            matches!(content(10007, r#"{"orderId":"260422900198363"}"#), Content::Order { order_id, .. } if order_id == "260422900198363")
        );
        assert!(
            matches!(content(10008, r#"{"voucherId":"1"}"#), Content::Unsupported { platform_type, .. } if platform_type == "lazada.template.10008")
        );
        assert!(matches!(content(1, "not json"), Content::Unsupported { raw, .. } if raw == "not json"));
        assert!(matches!(content(1, r#"{"imgUrl":"https://x/y.png"}"#), Content::Unsupported { .. }));
    }
}
