//! Every Messenger webhook event kind, signed as Meta signs it, verified and parsed.

mod common;

use serde_json::json;
use unibox_core::{
    Channel, Content, DeliveryStatus, Direction, ErrorKind, EventKind, IdentityKind, InboundEvent, InboundMessage,
    MediaSource, Timestamp,
};

use common::{OTHER_PAGE_ID, PAGE_ID, PSID, envelope, from_customer, signed};

fn parse(body: &[u8]) -> Vec<InboundEvent> {
    let channel = common::channel();
    let request = signed(body);
    let verified = channel.verify(&request).expect("a correctly signed delivery verifies");
    channel.parse(&verified).expect("a verified delivery parses")
}

fn only(body: &[u8]) -> InboundEvent {
    let mut events = parse(body);
    assert_eq!(events.len(), 1, "{events:?}");
    events.remove(0)
}

fn message(event: &InboundEvent) -> &InboundMessage {
    match &event.kind {
        EventKind::Message(message) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

fn customer_message(message: serde_json::Value) -> Vec<u8> {
    envelope(from_customer(json!({ "message": message })))
}

#[test]
fn the_fact_sheet_text_message_is_a_quick_reply_tap_from_the_page_scoped_customer() {
    let event = only(common::TEXT.as_bytes());
    assert_eq!(event.id, "mid.1457764197618:41d102a3e1ae206a38");
    assert_eq!(event.account, PAGE_ID);
    assert_eq!(event.occurred_at, Timestamp::from_unix_millis(1_458_692_752_478));
    let message = message(&event);
    assert_eq!(message.customer.kind, IdentityKind::PageScopedId);
    assert_eq!(message.customer.id, PSID);
    assert_eq!(message.direction, Direction::Inbound);
    assert_eq!(
        message.content,
        Content::Postback { title: Some("hello, world!".into()), payload: "<DEVELOPER_DEFINED_PAYLOAD>".into() }
    );
}

#[test]
fn a_plain_text_reply_names_the_message_it_replies_to() {
    let event = only(common::MESSAGE_600.as_bytes());
    let message = message(&event);
    assert!(matches!(&message.content, Content::Text { text } if text.starts_with("Hello, I ordered")));
    assert_eq!(message.reply_to.as_deref(), Some("m_1457764197618:41d102a3e1ae206a38"));
}

#[test]
fn every_attachment_kind_maps_to_its_content() {
    let cdn = "https://scontent.xx.fbcdn.net/v/t1.15752-9/316127058_n.jpg";
    let cases = [
        (json!({"type": "image", "payload": {"url": cdn}}), "image"),
        (json!({"type": "image", "payload": {"url": cdn, "sticker_id": 369239263222822_u64}}), "sticker"),
        (json!({"type": "audio", "payload": {"url": "https://cdn.fbsbx.com/v/t59.3654-21/clip.mp4"}}), "audio"),
        (json!({"type": "video", "payload": {"url": "https://video.xx.fbcdn.net/v/t42.3356-2/unbox.mp4"}}), "video"),
        (json!({"type": "file", "payload": {"url": "https://cdn.fbsbx.com/v/t59.2708-21/invoice.pdf"}}), "file"),
        (
            json!({"type": "reel", "payload": {"url": "https://www.facebook.com/reel/812345", "title": "Desk setup"}}),
            "video",
        ),
        (
            json!({"type": "location", "payload": {"coordinates": {"lat": 13.7466, "long": 100.5393}}, "title": "Siam"}),
            "location",
        ),
        (
            json!({"type": "fallback", "payload": {"url": "https://acme.example/p/1", "title": "Acme desk"}}),
            "unsupported",
        ),
        (json!({"type": "template", "payload": {"template_type": "button", "text": "Pick one"}}), "unsupported"),
        (json!({"type": "image"}), "unsupported"),
    ];
    for (index, (attachment, kind)) in cases.into_iter().enumerate() {
        let mid = format!("m_attachment_{index}");
        let event = only(&customer_message(json!({"mid": mid, "attachments": [attachment]})));
        let content = &message(&event).content;
        assert_eq!(content.kind().as_str(), kind, "case {index}: {content:?}");
        match content {
            Content::Image(media) => assert_eq!(media.source, MediaSource::Url { url: cdn.parse().unwrap() }),
            Content::Sticker { sticker_id, .. } => assert_eq!(sticker_id, "369239263222822"),
            Content::Location { latitude, longitude, .. } => assert_eq!((*latitude, *longitude), (13.7466, 100.5393)),
            Content::Unsupported { platform_type, raw } => {
                assert!(["fallback", "template", "image"].contains(&platform_type.as_str()));
                assert!(raw.is_object(), "the raw attachment is kept");
            }
            _ => {}
        }
    }
}

#[test]
fn several_attachments_become_several_messages_with_the_text_as_caption() {
    let events = parse(&customer_message(json!({
        "mid": "m_multi",
        "text": "Both boxes arrived damaged",
        "attachments": [
            {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/box1.jpg"}},
            {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/box2.jpg"}}
        ]
    })));
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["m_multi", "m_multi#1"]);
    match &message(&events[0]).content {
        Content::Image(media) => assert_eq!(media.caption.as_deref(), Some("Both boxes arrived damaged")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_echo_is_an_outbound_message_to_the_customer() {
    let item = json!({
        "sender": {"id": PAGE_ID}, "recipient": {"id": PSID}, "timestamp": 1_732_000_000_123_i64,
        "message": {"is_echo": true, "app_id": 1517776481860111_u64, "metadata": "sent-from-page-inbox",
                    "mid": "m_echo_1", "text": "We shipped it this morning"}
    });
    let event = only(&envelope(item));
    let message = message(&event);
    assert_eq!(message.direction, Direction::Outbound);
    assert_eq!(message.customer.id, PSID);
    assert_eq!(message.content, Content::text("We shipped it this morning"));
}

#[test]
fn deliveries_and_reads_are_receipts() {
    let delivery = only(&envelope(from_customer(
        json!({"delivery": {"mids": ["m_out_1", "m_out_2"], "watermark": 1_732_000_000_000_i64}}),
    )));
    match &delivery.kind {
        EventKind::Delivery(update) => {
            assert_eq!(update.message_ids, ["m_out_1", "m_out_2"]);
            assert_eq!(update.status, DeliveryStatus::Delivered);
            assert_eq!(update.customer.as_ref().unwrap().id, PSID);
        }
        other => panic!("{other:?}"),
    }
    let read = only(&envelope(from_customer(json!({"read": {"watermark": 1_732_000_000_000_i64}}))));
    assert!(matches!(&read.kind, EventKind::Delivery(update) if update.status == DeliveryStatus::Read));
    assert_ne!(delivery.id, read.id);
}

#[test]
fn reactions_and_their_removal() {
    let react = only(&envelope(from_customer(
        json!({"reaction": {"reaction": "love", "emoji": "\u{2764}\u{fe0f}", "action": "react", "mid": "m_out_1"}}),
    )));
    assert_eq!(
        react.kind,
        EventKind::Reaction {
            customer: unibox_core::PlatformUser::new(IdentityKind::PageScopedId, PSID),
            message_id: "m_out_1".into(),
            emoji: Some("\u{2764}\u{fe0f}".into())
        }
    );
    let unreact = only(&envelope(from_customer(
        json!({"reaction": {"reaction": "love", "action": "unreact", "mid": "m_out_1"}}),
    )));
    assert!(matches!(&unreact.kind, EventKind::Reaction { emoji: None, .. }));
    assert_ne!(react.id, unreact.id);
}

#[test]
fn postbacks_referrals_edits_and_unsends() {
    let postback = only(&envelope(from_customer(
        json!({"postback": {"title": "Talk to a person", "payload": "HANDOFF", "mid": "m_postback_1"}}),
    )));
    assert_eq!(postback.id, "postback:m_postback_1");
    assert!(
        matches!(&postback.kind, EventKind::Postback { payload, title: Some(t), .. } if payload == "HANDOFF" && t == "Talk to a person")
    );

    let referral = only(&envelope(from_customer(
        json!({"referral": {"ref": "summer-sale", "source": "SHORTLINK", "type": "OPEN_THREAD"}}),
    )));
    assert!(
        matches!(&referral.kind, EventKind::Referral { source, reference: Some(r), .. } if source == "SHORTLINK" && r == "summer-sale")
    );

    let edit = only(&envelope(from_customer(
        json!({"message_edit": {"mid": "m_in_7", "text": "Size M please", "num_edit": 1}}),
    )));
    assert_eq!(edit.id, "edit:m_in_7:1");
    assert!(
        matches!(&edit.kind, EventKind::Edit { message_id, content, .. } if message_id == "m_in_7" && *content == Content::text("Size M please"))
    );

    let unsend = only(&customer_message(json!({"mid": "m_in_8", "is_deleted": true})));
    assert!(matches!(&unsend.kind, EventKind::Unsend { message_id, .. } if message_id == "m_in_8"));
}

#[test]
fn unknown_events_and_changes_are_kept_whole() {
    let optin = only(&envelope(from_customer(
        json!({"optin": {"type": "notification_messages", "payload": "DEALS", "notification_messages_token": "1736452231"}}),
    )));
    match &optin.kind {
        EventKind::Unsupported { platform_type, raw } => {
            assert_eq!(platform_type, "optin");
            assert_eq!(raw["optin"]["payload"], "DEALS");
        }
        other => panic!("{other:?}"),
    }
    let feed = br#"{"object":"page","entry":[{"id":"104738291837465","time":1732000000,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","message":"nice"}}]}]}"#;
    let change = only(feed);
    assert!(matches!(&change.kind, EventKind::Unsupported { platform_type, .. } if platform_type == "feed"));
    // An event whose parties cannot be read does not fail the batch either.
    let odd = only(&envelope(json!({"sender": {"id": 42}, "recipient": {"id": PAGE_ID}, "message": {"mid": "m"}})));
    assert!(matches!(odd.kind, EventKind::Unsupported { .. }));
}

#[test]
fn a_batch_routes_every_entry_to_its_page_in_order() {
    let events = parse(common::BATCH.as_bytes());
    let summary: Vec<(&str, &str)> = events.iter().map(|e| (e.account.as_str(), e.kind.name())).collect();
    assert_eq!(
        summary,
        [
            (PAGE_ID, "message"),
            (PAGE_ID, "delivery"),
            (PAGE_ID, "delivery"),
            (OTHER_PAGE_ID, "reaction"),
            (OTHER_PAGE_ID, "message"),
        ]
    );
}

#[test]
fn a_notification_for_another_object_or_no_envelope_is_malformed() {
    let channel = common::channel();
    for body in [
        &br#"{"object":"instagram","entry":[]}"#[..],
        &br#"{"object":"whatsapp_business_account","entry":[]}"#[..],
        &b"[]"[..],
        &b"{\"entry\":[]}"[..],
        &b"\xff\xfe"[..],
    ] {
        let request = signed(body);
        let verified = channel.verify(&request).unwrap();
        assert_eq!(channel.parse(&verified).unwrap_err().kind(), ErrorKind::MalformedPayload);
    }
}
