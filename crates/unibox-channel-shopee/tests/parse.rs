//! Every push fixture to unified events: buyer messages of every type, echoes, conversation
//! notifications, orders, tracking numbers, and authorization granted, expiring and revoked.

mod common;

use unibox_channel_shopee::{AUTHORIZATION_EXPIRING, ShopeeChannel, TRACKING_NUMBER_ASSIGNED};
use unibox_core::{Channel, Content, Direction, EventKind, IdentityKind, InboundMessage, MediaSource, Timestamp};

fn message(name: &str) -> (String, InboundMessage) {
    let event = common::event(name);
    match event.kind {
        EventKind::Message(message) => (event.account, message),
        other => panic!("{name} should be a message, got {other:?}"),
    }
}

#[test]
fn a_buyer_text_names_the_shop_the_buyer_and_a_stable_id() {
    let event = common::event("text");
    assert_eq!(event.id, "message:2302748948493123953");
    // The envelope's shop (the receiving shop), not content.shop_id, which Shopee documents differently.
    assert_eq!(event.account, "947042923");
    assert_eq!(event.occurred_at, Timestamp::from_unix_seconds(1726044721));
    let EventKind::Message(message) = event.kind else { panic!("a message") };
    assert_eq!(message.direction, Direction::Inbound);
    assert_eq!(message.customer.kind, IdentityKind::MarketplaceBuyerId);
    assert_eq!(message.customer.id, "165105353");
    assert_eq!(message.customer.display_name.as_deref(), Some("vn_cstoreponorogo"));
    assert_eq!(message.message_id, "2302748948493123953");
    assert_eq!(message.content, Content::text("Baik kak .. 🤗"));
    assert_eq!(message.reply_to, None, "an empty quoted message is no reply");
}

#[test]
fn every_message_type_maps_to_content() {
    let (_, image) = message("image");
    match image.content {
        Content::Image(media) => assert_eq!(
            media.source,
            MediaSource::Url {
                url: "https://cf.shopee.vn/file/09591ecdc9f1dc7bd507817797d826fe_dynamic".parse().unwrap()
            }
        ),
        other => panic!("an image, got {other:?}"),
    }
    let (_, video) = message("video");
    match video.content {
        // Shopee sends the file id of its video service, not a URL.
        Content::Video(media) => {
            assert_eq!(media.source, MediaSource::PlatformId { id: "cf03c9e1fe2c0992cdb51c3cb6eab2bd".into() })
        }
        other => panic!("a video, got {other:?}"),
    }
    let (_, item) = message("item");
    assert_eq!(item.content, Content::Product { product_id: "9112503530".into(), name: None, url: None });
    let (_, order) = message("order");
    assert_eq!(order.content, Content::Order { order_id: "2411290R48U37H".into(), status: None });
    let (_, sticker) = message("sticker");
    assert_eq!(sticker.content, Content::Sticker { sticker_id: "11".into(), package_id: Some("1".into()), url: None });
    let (_, faq) = message("faq_liveagent");
    assert_eq!(faq.content, Content::text("Chat dengan Penjual"));
    let (_, bundle) = message("bundle_message");
    match bundle.content {
        Content::Unsupported { platform_type, raw } => {
            assert_eq!(platform_type, "bundle_message");
            assert_eq!(raw["content"]["messages"][1], "2302748948493124029", "kept whole");
        }
        other => panic!("kept whole, got {other:?}"),
    }
}

#[test]
fn ids_past_two_to_the_53_never_pass_through_a_float() {
    let channel = common::channel();
    let events = common::events_of(&channel, &common::fixture("big_ids_quoted"));
    let EventKind::Message(message) = &events[0].kind else { panic!("a message") };
    assert_eq!(message.customer.id, "9007199254740993", "2^53 + 1 as a float would read ...992");
    assert_eq!(message.message_id, "9223372036854775001");
    assert_eq!(message.reply_to.as_deref(), Some("9007199254740997"));
    assert_eq!(channel.conversation_of("600000012", "9007199254740993").as_deref(), Some("9007199254740995"));
}

#[test]
fn a_message_the_shop_sent_elsewhere_is_an_echo_to_the_buyer() {
    let (account, echo) = message("seller_echo");
    assert_eq!(account, "600000012");
    assert_eq!(echo.direction, Direction::Outbound);
    assert_eq!(echo.customer.id, "384920111");
    assert_eq!(echo.customer.display_name.as_deref(), Some("somchai.k"));
}

#[test]
fn a_conversation_notification_is_kept_whole() {
    let event = common::event("notification");
    assert_eq!(event.id, "conversation:4670954831706433:mark_as_replied:12252079:1719883961");
    assert_eq!(event.account, "600000012");
    match event.kind {
        EventKind::Unsupported { platform_type, raw } => {
            assert_eq!(platform_type, "conversation.mark_as_replied");
            assert_eq!(raw["conversation_id"], "4670954831706433");
        }
        other => panic!("kept whole, got {other:?}"),
    }
}

#[test]
fn order_status_and_tracking_numbers_are_order_updates() {
    let event = common::event("order_status");
    assert_eq!(event.id, "order:220810QSK8S7BX:PROCESSED:1660123127");
    assert_eq!(event.account, "727720655");
    match event.kind {
        EventKind::OrderUpdate(update) => {
            assert_eq!((update.order_id.as_str(), update.status.as_str()), ("220810QSK8S7BX", "PROCESSED"));
            assert_eq!(update.raw["completed_scenario"], "");
        }
        other => panic!("an order update, got {other:?}"),
    }
    let event = common::event("tracking_number");
    assert_eq!(event.id, "tracking:2411290R48U37H:OFG175323981239871:TH2411290123456");
    match event.kind {
        EventKind::OrderUpdate(update) => {
            assert_eq!(update.status, TRACKING_NUMBER_ASSIGNED);
            assert_eq!(update.raw["tracking_no"], "TH2411290123456");
        }
        other => panic!("an order update, got {other:?}"),
    }
}

#[test]
fn revocation_names_every_shop_it_disconnects() {
    let event = common::event("authorization_canceled");
    assert_eq!(event.account, "600000012");
    assert_eq!(event.id, "revoked:600000012:1732010000");
    assert_eq!(
        event.kind,
        EventKind::AuthorizationRevoked {
            reason: "user cancel shop authorization: shop id 600000012 (TH) has cancelled authorization".into()
        }
    );
    // A main account's disconnection, with Shopee's `shopid` spelling and a shop list.
    let events = common::events("authorization_canceled_main_account");
    let shops: Vec<&str> = events.iter().map(|e| e.account.as_str()).collect();
    assert_eq!(shops, ["62000001", "62000002"]);
    assert!(events.iter().all(|e| matches!(&e.kind, EventKind::AuthorizationRevoked { reason } if reason.starts_with("shop and main account is disconnected"))));
}

#[test]
fn an_expiring_authorization_becomes_one_event_per_shop() {
    let events = common::events("authorization_expiring");
    let shops: Vec<&str> = events.iter().map(|e| e.account.as_str()).collect();
    // Shopee's sample repeats a shop; each is named once. 42342345656 is past u32.
    assert_eq!(shops, ["23213", "243242", "342343", "42342345656", "45345"]);
    for event in &events {
        assert!(
            matches!(&event.kind, EventKind::Unsupported { platform_type, .. } if platform_type == AUTHORIZATION_EXPIRING)
        );
        assert_eq!(ShopeeChannel::authorization_expiry(event), Some(Timestamp::from_unix_seconds(1619740800)));
        assert_eq!(event.id, format!("expiring:{}:1619740800", event.account));
    }
}

#[test]
fn other_pushes_are_kept_whole_per_shop_and_the_console_check_has_no_events() {
    let event = common::event("shopee_updates");
    assert_eq!(event.account, "600000012");
    assert!(event.id.starts_with("push:5:600000012:1732020000:"));
    assert!(
        matches!(&event.kind, EventKind::Unsupported { platform_type, raw } if platform_type == "shopee_updates" && raw["actions"][0]["title"] == "Scheduled maintenance")
    );
    let granted = common::events("shop_authorization");
    assert_eq!(
        granted.iter().map(|e| e.account.as_str()).collect::<Vec<_>>(),
        ["62000001", "62000002", "62000003", "62000004"]
    );
    assert!(common::events("verify").is_empty(), "the console's Verify push is answered without events");
}

#[test]
fn a_redelivered_push_has_the_same_ids() {
    for name in common::fixture_names() {
        let first: Vec<String> = common::events(&name).into_iter().map(|e| e.id).collect();
        let again: Vec<String> = common::events(&name).into_iter().map(|e| e.id).collect();
        assert_eq!(first, again, "{name}");
        let unique: std::collections::HashSet<&String> = first.iter().collect();
        assert_eq!(unique.len(), first.len(), "{name}: ids within a push are distinct");
    }
}

#[test]
fn malformed_pushes_are_typed_errors() {
    let channel = common::channel();
    for body in [
        &b"not json"[..],
        br#"{"data":{}}"#,
        br#"{"code":10,"shop_id":1,"data":{"type":"message","content":{"message_type":"text"}}}"#,
        br#"{"code":10,"data":{"type":"message","content":{}}}"#,
        br#"{"code":3,"shop_id":1,"data":{"status":"PROCESSED"}}"#,
        br#"{"code":10,"shop_id":7.5e20,"data":{}}"#,
    ] {
        let request = common::signed(body);
        let verified = channel.verify(&request).unwrap();
        let error = channel.parse(&verified).unwrap_err();
        assert_eq!(error.kind(), unibox_core::ErrorKind::MalformedPayload, "{}", String::from_utf8_lossy(body));
    }
}
