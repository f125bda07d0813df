//! One realistic [`Content`] of each kind, for send tests.

use unibox_core::{Button, ButtonAction, Content, ContentKind, Media, MediaSource, QuickReply};
use url::Url;

fn url(text: &str) -> Url {
    // The literals below are valid URLs; a typo would fail every send test loudly.
    Url::parse(text).unwrap_or_else(|error| panic!("sample URL {text:?} is invalid: {error}"))
}

fn media(link: &str, mime_type: &str, caption: Option<&str>, file_name: Option<&str>) -> Media {
    Media {
        source: MediaSource::Url { url: url(link) },
        mime_type: Some(mime_type.to_owned()),
        caption: caption.map(str::to_owned),
        file_name: file_name.map(str::to_owned),
    }
}

/// A realistic content of `kind`, or `None` for a kind this version of the testkit does not
/// know.
///
/// ```
/// use unibox_core::ContentKind;
/// use unibox_testkit::channel::sample_content;
/// for kind in ContentKind::ALL {
///     assert_eq!(sample_content(kind).map(|c| c.kind()), Some(kind));
/// }
/// ```
pub fn sample_content(kind: ContentKind) -> Option<Content> {
    let content = match kind {
        ContentKind::Text => Content::text("Hi Somchai, your order #TH-20931 left our Bangkok warehouse this morning."),
        ContentKind::Image => Content::Image(media(
            "https://cdn.example.com/parcels/TH-20931.jpg",
            "image/jpeg",
            Some("Your parcel, packed and sealed"),
            None,
        )),
        ContentKind::Video => Content::Video(media(
            "https://cdn.example.com/howto/assemble-desk.mp4",
            "video/mp4",
            Some("How to assemble the desk in 3 minutes"),
            None,
        )),
        ContentKind::Audio => {
            Content::Audio(media("https://cdn.example.com/voice/reply-8812.ogg", "audio/ogg", None, None))
        }
        ContentKind::File => Content::File(media(
            "https://cdn.example.com/invoices/INV-2024-0042.pdf",
            "application/pdf",
            Some("Invoice INV-2024-0042"),
            Some("INV-2024-0042.pdf"),
        )),
        ContentKind::Sticker => {
            Content::Sticker { sticker_id: "52002734".into(), package_id: Some("11537".into()), url: None }
        }
        ContentKind::Location => Content::Location {
            latitude: 13.7466,
            longitude: 100.5393,
            name: Some("Acme Store Siam".into()),
            address: Some("991 Rama I Rd, Pathum Wan, Bangkok 10330".into()),
        },
        ContentKind::ContactCard => Content::ContactCard {
            name: "Acme Support".into(),
            phones: vec!["+6621234567".into()],
            emails: vec!["support@acme.example".into()],
        },
        ContentKind::Buttons => Content::Buttons {
            text: "Was your problem solved?".into(),
            buttons: vec![
                Button { title: "Yes".into(), action: ButtonAction::Postback { payload: "CSAT_YES".into() } },
                Button {
                    title: "Track order".into(),
                    action: ButtonAction::Url { url: url("https://acme.example/track/TH-20931") },
                },
            ],
        },
        ContentKind::QuickReplies => Content::QuickReplies {
            text: "Which size would you like?".into(),
            replies: vec![
                QuickReply { title: "S".into(), payload: "SIZE_S".into() },
                QuickReply { title: "M".into(), payload: "SIZE_M".into() },
                QuickReply { title: "L".into(), payload: "SIZE_L".into() },
            ],
        },
        ContentKind::Template => Content::Template {
            name: "order_shipped".into(),
            language: "en_US".into(),
            parameters: vec!["Somchai".into(), "TH-20931".into()],
        },
        ContentKind::Postback => {
            Content::Postback { title: Some("Talk to a person".into()), payload: "HANDOFF".into() }
        }
        ContentKind::Reaction => Content::Reaction { target_message_id: "m_8812".into(), emoji: "👍".into() },
        // A numeric id: marketplaces (Shopee item_id, Lazada, TikTok Shop) take nothing else.
        ContentKind::Product => Content::Product {
            product_id: "9112503530".into(),
            name: Some("Standing desk 120 cm".into()),
            url: Some(url("https://acme.example/p/9112503530")),
        },
        ContentKind::Order => Content::Order { order_id: "TH-20931".into(), status: Some("shipped".into()) },
        ContentKind::Unsupported => Content::Unsupported {
            platform_type: "poll".into(),
            raw: serde_json::json!({"question": "Delivery slot?", "options": ["morning", "evening"]}),
        },
        ContentKind::Command => Content::Command(unibox_core::command::Command::new("order", "TH-20931")),
        _ => return None,
    };
    Some(content)
}
