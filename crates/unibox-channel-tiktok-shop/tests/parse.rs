//! Every webhook type, from the official samples and realistic ones of our own, to unified
//! events; stable ids; the expiry warning recorded for renewal.

mod common;

use unibox_core::{Channel, Content, Direction, ErrorKind, EventKind, IdentityKind, MediaSource, Timestamp};

use common::{CONVERSATION, SHOP, event};

fn message(name: &str) -> unibox_core::InboundMessage {
    match event(name).kind {
        EventKind::Message(message) => message,
        other => panic!("{name} is not a message: {other:?}"),
    }
}

#[test]
fn the_official_new_message_is_a_buyer_text_in_the_conversation() {
    let event = event("new_message_text");
    assert_eq!((event.id.as_str(), event.account.as_str()), ("message:722323407926368819", SHOP));
    assert_eq!(event.occurred_at, Timestamp::from_unix_seconds(1_681_790_246));
    let EventKind::Message(message) = event.kind else { panic!("a message") };
    assert_eq!(message.content, Content::text("444"));
    assert_eq!(message.direction, Direction::Inbound);
    assert_eq!(message.customer.kind, IdentityKind::Other(unibox_channel_tiktok_shop::CONVERSATION_IDENTITY.into()));
    assert_eq!(message.customer.id, CONVERSATION);
}

#[test]
fn every_message_type_is_decoded_from_its_json_string() {
    let Content::Image(image) = message("new_message_image").content else { panic!("an image") };
    assert!(matches!(image.source, MediaSource::Url { url } if url.host_str() == Some("p16-oec-sg.ibyteimg.com")));
    assert!(
        matches!(message("new_message_emoticon").content, Content::Sticker { sticker_id, .. } if sticker_id == "[smile]")
    );
    assert!(matches!(message("new_message_video").content, Content::Video(_)));
    assert_eq!(
        message("new_message_product_card").content,
        Content::Product {
            product_id: "1729587769570529475".into(),
            name: Some("Electric standing desk 140x70 cm, oak".into()),
            url: None
        }
    );
    assert_eq!(
        message("new_message_order_card").content,
        Content::Order { order_id: "576486316948490001".into(), status: None }
    );
    assert_eq!(
        message("new_message_from_order").content,
        Content::Order { order_id: "576486316948490001".into(), status: None }
    );
    let buyer = message("new_message_image").customer;
    assert_eq!(buyer.display_name.as_deref(), Some("somchai.k"));
}

#[test]
fn shop_and_agent_messages_are_echoes_and_system_messages_are_kept() {
    let echo = message("new_message_agent_echo");
    assert_eq!(echo.direction, Direction::Outbound);
    let coupon = message("new_message_coupon");
    assert_eq!(coupon.direction, Direction::Outbound);
    assert!(
        matches!(coupon.content, Content::Unsupported { platform_type, raw } if platform_type == "tiktok_shop.coupon_card" && raw["coupon_id"] == "7301234567890123456")
    );
    assert!(
        matches!(event("new_message_system").kind, EventKind::Unsupported { platform_type, .. } if platform_type == "tiktok_shop.system_message")
    );
}

#[test]
fn order_cancellation_return_and_package_webhooks_are_order_updates() {
    let order = event("order_status");
    assert_eq!(order.id, "notification:7327112393057371921");
    assert!(
        matches!(order.kind, EventKind::OrderUpdate(u) if u.order_id == "576486316948490001" && u.status == "UNPAID")
    );
    assert!(
        matches!(event("cancellation").kind, EventKind::OrderUpdate(u) if u.status == "CANCELLATION_REQUEST_PENDING")
    );
    assert!(
        matches!(event("return").kind, EventKind::OrderUpdate(u) if u.status == "RETURN_OR_REFUND_REQUEST_PENDING")
    );
    let packages = common::events_of(&common::channel(), &common::fixture("package_update"));
    let orders: Vec<(String, String)> = packages
        .iter()
        .map(|e| match &e.kind {
            EventKind::OrderUpdate(u) => (u.order_id.clone(), u.status.clone()),
            other => panic!("an order update: {other:?}"),
        })
        .collect();
    assert_eq!(orders, [("152523".into(), "PACKAGE_COMBINE".into()), ("532123".into(), "PACKAGE_COMBINE".into())]);
    assert_ne!(packages[0].id, packages[1].id);
}

#[test]
fn deauthorization_revokes_and_the_expiry_warning_is_recorded_for_renewal() {
    let revoked = event("deauthorization");
    assert!(matches!(revoked.kind, EventKind::AuthorizationRevoked { reason } if reason.contains("deauthorized")));
    let channel = common::channel();
    let events = common::events_of(&channel, &common::fixture("authorization_expiring"));
    assert!(
        matches!(&events[0].kind, EventKind::Unsupported { platform_type, .. } if platform_type == "tiktok_shop.authorization_expiring")
    );
    let alerts = channel.expiry_alerts().take();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (alerts[0].platform_account_id.as_str(), alerts[0].expires_at),
        (SHOP, Timestamp::from_unix_seconds(1_647_004_885))
    );
}

#[test]
fn other_webhooks_are_kept_whole_and_every_fixture_has_stable_ids() {
    assert!(
        matches!(event("new_conversation").kind, EventKind::Unsupported { platform_type, .. } if platform_type == "tiktok_shop.conversation_update")
    );
    assert!(
        matches!(event("product_status").kind, EventKind::Unsupported { platform_type, .. } if platform_type == "tiktok_shop.5")
    );
    for name in common::fixture_names() {
        let body = common::fixture(&name);
        assert_eq!(
            common::events_of(&common::channel(), &body),
            common::events_of(&common::channel(), &body),
            "{name}"
        );
    }
}

#[test]
fn webhooks_without_a_type_or_a_shop_are_malformed() {
    let channel = common::channel();
    for body in [&br#"{"shop_id":"1","data":{}}"#[..], br#"{"type":1,"data":{}}"#, br#"[14,"1"]"#, b"\xff"] {
        let request = common::signed(body);
        assert_eq!(channel.parse(&channel.verify(&request).unwrap()).unwrap_err().kind(), ErrorKind::MalformedPayload);
    }
}
